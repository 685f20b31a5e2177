-- Snapshot: every table, the access graph and the warnings, saved into a
-- dated SQLite file as evidence of the org's state at collection time.
-- The file is okta-snapshot-<UTC time>.db in the current directory, or
-- the name given with -cmd ".parameter set @file name.db".
--
-- Run: sqlite3 -cmd '.load build/okta' < sql/snapshot.sql
-- Then compare two snapshots with sql/changes.sql.
.headers off
.mode list

ATTACH coalesce(@file, 'okta-snapshot-' || strftime('%Y-%m-%dT%H%M%SZ', 'now') || '.db') AS snap;

CREATE TABLE snap.snapshot_meta AS
  SELECT okta_version() AS extension_version, strftime('%Y-%m-%dT%H:%M:%SZ', 'now') AS collected_at,
         okta_config('orgUrl') AS org_url;
CREATE TABLE snap.okta_org AS SELECT * FROM okta_org;
CREATE TABLE snap.okta_users AS SELECT * FROM okta_users;
CREATE TABLE snap.okta_groups AS SELECT * FROM okta_groups;
CREATE TABLE snap.okta_group_members AS SELECT * FROM okta_group_members;
CREATE TABLE snap.okta_group_rules AS SELECT * FROM okta_group_rules;
CREATE TABLE snap.okta_applications AS SELECT * FROM okta_applications;
CREATE TABLE snap.okta_app_users AS SELECT * FROM okta_app_users;
CREATE TABLE snap.okta_app_groups AS SELECT * FROM okta_app_groups;
CREATE TABLE snap.okta_user_factors AS SELECT * FROM okta_user_factors;
CREATE TABLE snap.okta_user_types AS SELECT * FROM okta_user_types;
CREATE TABLE snap.okta_policies AS SELECT * FROM okta_policies;
CREATE TABLE snap.okta_network_zones AS SELECT * FROM okta_network_zones;
CREATE TABLE snap.okta_trusted_origins AS SELECT * FROM okta_trusted_origins;
CREATE TABLE snap.okta_authorization_servers AS SELECT * FROM okta_authorization_servers;
CREATE TABLE snap.okta_identity_providers AS SELECT * FROM okta_identity_providers;
CREATE TABLE snap.okta_authenticators AS SELECT * FROM okta_authenticators;
CREATE TABLE snap.okta_devices AS SELECT * FROM okta_devices;
CREATE TABLE snap.okta_policy_rules AS SELECT * FROM okta_policy_rules;
CREATE TABLE snap.okta_policy_mappings AS SELECT * FROM okta_policy_mappings;
CREATE TABLE snap.okta_auth_server_policies AS SELECT * FROM okta_auth_server_policies;
CREATE TABLE snap.okta_auth_server_policy_rules AS SELECT * FROM okta_auth_server_policy_rules;
CREATE TABLE snap.okta_auth_server_scopes AS SELECT * FROM okta_auth_server_scopes;
CREATE TABLE snap.okta_auth_server_claims AS SELECT * FROM okta_auth_server_claims;
CREATE TABLE snap.okta_auth_server_clients AS SELECT * FROM okta_auth_server_clients;
CREATE TABLE snap.okta_api_tokens AS SELECT * FROM okta_api_tokens;
CREATE TABLE snap.okta_group_owners AS SELECT * FROM okta_group_owners;
-- Admin roles, custom roles and enrollments may be out of the token's
-- reach (or, for enrollments, the org's: classic orgs have none): an empty
-- table and a warning in snapshot_warnings, as the graph does.
CREATE TABLE snap.okta_user_roles AS SELECT * FROM okta_user_roles;
CREATE TABLE snap.okta_group_roles AS SELECT * FROM okta_group_roles;
CREATE TABLE snap.okta_custom_roles AS SELECT * FROM okta_custom_roles;
CREATE TABLE snap.okta_role_permissions AS SELECT * FROM okta_role_permissions;
CREATE TABLE snap.okta_resource_sets AS SELECT * FROM okta_resource_sets;
CREATE TABLE snap.okta_resource_set_resources AS SELECT * FROM okta_resource_set_resources;
CREATE TABLE snap.okta_user_authenticator_enrollments AS SELECT * FROM okta_user_authenticator_enrollments;
-- Roles and logs may be out of the token's reach: the graph records a
-- warning for them instead of failing.
CREATE TABLE snap.okta_entities AS SELECT * FROM okta_entities;
CREATE TABLE snap.okta_relationships AS SELECT * FROM okta_relationships;
CREATE TABLE snap.snapshot_warnings AS
  SELECT value->>'source' AS source, value->>'message' AS message FROM json_each(okta_warnings());

SELECT 'snapshot saved: ' || file FROM pragma_database_list WHERE name = 'snap';
DETACH snap;
