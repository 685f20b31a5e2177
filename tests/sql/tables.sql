-- Every table once, fan-outs and joins included.
-- expect: okta_user_factors|
-- expect: Acme Corp
-- fault: {"path": "/roles$", "kind": "status", "status": 500, "skip": 3, "times": -1}
-- expect: 500 E0000009
.bail off
SELECT 'okta_user_factors|', count(*) FROM okta_user_factors;
SELECT count(*) FROM okta_groups; SELECT count(*) FROM okta_group_members;
SELECT count(*) FROM okta_group_roles; SELECT count(*) FROM okta_group_rules;
SELECT count(*), sum(aws_account_id IS NOT NULL) FROM okta_applications;
SELECT count(*) FROM okta_app_users; SELECT count(*) FROM okta_app_groups;
SELECT count(*) FROM okta_user_roles; SELECT count(*) FROM okta_system_log WHERE published > '2020-01-01';
SELECT company_name, support_enabled FROM okta_org;
SELECT count(*) FROM okta_user_types; SELECT count(*) FROM okta_devices; SELECT count(*) FROM okta_policies;
SELECT count(*) FROM okta_network_zones; SELECT count(*) FROM okta_trusted_origins;
SELECT count(*) FROM okta_authorization_servers; SELECT count(*) FROM okta_identity_providers;
SELECT count(*) FROM okta_authenticators;
SELECT count(*) FROM okta_policy_rules; SELECT count(*) FROM okta_policy_mappings; SELECT count(*) FROM okta_api_tokens;
SELECT count(*) FROM okta_resource_sets; SELECT count(*) FROM okta_resource_set_resources;
SELECT count(*) FROM okta_group_owners; SELECT count(*) FROM okta_auth_server_policies;
SELECT count(*) FROM okta_auth_server_policy_rules; SELECT count(*) FROM okta_auth_server_scopes;
SELECT count(*) FROM okta_auth_server_claims; SELECT count(*) FROM okta_auth_server_clients;
SELECT count(*) FROM okta_devices WHERE user_id = (SELECT j.value FROM okta_devices d, json_each(d.user_ids) j LIMIT 1);
-- (okta_custom_roles and okta_role_permissions read /iam/roles, which the /roles$ fault above would hit)
SELECT count(*) FROM okta_app_users WHERE user_id = (SELECT id FROM okta_users LIMIT 1 OFFSET 30);
SELECT count(*) FROM okta_group_members WHERE user_id = (SELECT id FROM okta_users LIMIT 1 OFFSET 30);
SELECT count(*) FROM okta_users u JOIN okta_user_factors f ON f.user_id = u.id WHERE u.status = 'LOCKED_OUT';
SELECT length(okta_schema()) > 1000;
SELECT okta_config('rateLimit.maxRetries', '0');
SELECT count(*) FROM okta_user_roles;
