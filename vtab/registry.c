/*
** Every descriptor-driven table, in the order they are registered.
*/
#include "tables.h"

const okta_table *const okta_table_list[] = {
  &okta_users_table,
  &okta_groups_table,
  &okta_group_members_table,
  &okta_group_roles_table,
  &okta_group_rules_table,
  &okta_applications_table,
  &okta_app_users_table,
  &okta_app_groups_table,
  &okta_user_factors_table,
  &okta_user_authenticator_enrollments_table,
  &okta_user_roles_table,
  &okta_system_log_table,
  &okta_org_table,
  &okta_user_types_table,
  &okta_devices_table,
  &okta_policies_table,
  &okta_network_zones_table,
  &okta_trusted_origins_table,
  &okta_authorization_servers_table,
  &okta_identity_providers_table,
  &okta_authenticators_table,
  &okta_policy_rules_table,
  &okta_policy_mappings_table,
  &okta_api_tokens_table,
  &okta_custom_roles_table,
  &okta_role_permissions_table,
  &okta_resource_sets_table,
  &okta_resource_set_resources_table,
  &okta_group_owners_table,
  &okta_auth_server_policies_table,
  &okta_auth_server_policy_rules_table,
  &okta_auth_server_scopes_table,
  &okta_auth_server_claims_table,
  &okta_auth_server_clients_table,
};
const int okta_table_count = COUNT(okta_table_list);

int okta_register_graph(sqlite3 *db, struct okta_ctx *ctx);
int okta_register_stats(sqlite3 *db, struct okta_ctx *ctx);
int okta_register_sync(sqlite3 *db, struct okta_ctx *ctx);

/* Modules that are not descriptor-driven: the access graph, what the
** connection did (okta_stats, okta_warnings), and the mirror (okta_sync). */
int okta_register_extra_modules(sqlite3 *db, struct okta_ctx *ctx) {
  int rc = okta_register_graph(db, ctx);
  if (rc == SQLITE_OK) rc = okta_register_stats(db, ctx);
  return rc == SQLITE_OK ? okta_register_sync(db, ctx) : rc;
}
