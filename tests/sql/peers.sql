-- The peer tables (issue 15): IAM listings paged in the body, the
-- two-level fan-out of authorization server policy rules, device search and
-- per-user lookups, and a 403 naming its scope.
-- fake: {"iam_page_size": 1, "forbidden": ["^/api/v1/api-tokens"]}
-- expect: custom_roles|3
-- expect: permissions|5
-- expect: resources|3
-- expect: as_rules|4
-- expect: macs|1
-- expect: 403 E0000006
-- expect: needs scope okta.apiTokens.read
.bail off
SELECT 'custom_roles|' || count(*) FROM okta_custom_roles;
SELECT 'permissions|' || count(*) FROM okta_role_permissions;
SELECT 'resources|' || count(*) FROM okta_resource_set_resources;
SELECT 'as_rules|' || count(*) FROM okta_auth_server_policy_rules;
SELECT 'macs|' || (count(*) > 0) FROM okta_devices WHERE platform = 'MACOS' AND status = 'ACTIVE';
SELECT count(*) FROM okta_devices WHERE user_id IN (SELECT j.value FROM okta_devices d, json_each(d.user_ids) j LIMIT 3);
SELECT count(*) FROM okta_relationships WHERE type IN ('okta_user_has_device', 'okta_user_assigned_role');
SELECT count(*) FROM okta_entities WHERE type = 'okta_role';
SELECT count(*) FROM okta_api_tokens;
