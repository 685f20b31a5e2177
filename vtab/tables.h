/*
** Shared sources, column helpers and the table descriptors of vtab/.
*/
#ifndef OKTA_TABLES_H
#define OKTA_TABLES_H

#include "table.h"

SQLITE_EXTENSION_INIT3

/* Column shorthands: name and JSON path (see okta_column for the rest). */
#define TEXT(n, p) {n, T_TEXT, p}
#define JSONC(n, p) {n, T_JSON, p}
#define INT(n, p) {n, T_INT, p}
#define BOOL(n, p) {n, T_BOOL, p}
/* A timestamp Okta can filter on with eq/gt/ge/lt/le. */
#define TIME_FILTER(n, p) {n, T_TEXT, p, .dialect = D_FILTER, .api = p, .ops = OP_EQ | OP_RANGE}

/* A table with a listing and a get-by-id route: most configuration objects. */
#define SIMPLE_ROUTES(var, list_src, get_src)                                 \
  static const okta_route var[] = {                                           \
    {"get", 0, .source = &get_src, .cost = 1, .rows = 1},                     \
    {"list", -1, .source = &list_src, .cost = 1, .rows = 50},                 \
  }

/* Columns of an admin role assignment (okta_user_roles, okta_group_roles).
** For a CUSTOM role, id is the assignment's id, role_id the custom role's
** and resource_set the resource set it is bound to. */
#define ROLE_COLUMNS                                                  \
  TEXT("id", "id"), TEXT("label", "label"), TEXT("type", "type"),     \
  TEXT("status", "status"), TEXT("assignment_type", "assignmentType"), \
  TEXT("created", "created"), TEXT("last_updated", "lastUpdated"),     \
  TEXT("role_id", "role"), TEXT("resource_set", "resource-set")

/* The columns every policy rule has (okta_policy_rules, okta_auth_server_policy_rules). */
#define RULE_COLUMNS                                                                        \
  TEXT("id", "id"), TEXT("name", "name"), TEXT("status", "status"), INT("priority", "priority"), \
  BOOL("system", "system"), TEXT("type", "type")

/* Listings other tables fan out from. */
extern const okta_source okta_users_all;
extern const okta_source okta_user_by_id;
extern const okta_source okta_groups_all;
extern const okta_source okta_apps_all;
extern const okta_source okta_policies_all;
extern const okta_source okta_auth_servers_all;

/* Derived values (values.c). */
void okta_value_redacted(sqlite3_context *ctx, const cJSON *v);
cJSON *okta_json_redacted(const cJSON *v);
int okta_secret_key(const char *key);
void okta_col_aws_account(sqlite3_context *ctx, const cJSON *item, const cJSON *parent);
void okta_col_credentials(sqlite3_context *ctx, const cJSON *item, const cJSON *parent);
void okta_col_settings(sqlite3_context *ctx, const cJSON *item, const cJSON *parent);
void okta_col_protocol(sqlite3_context *ctx, const cJSON *item, const cJSON *parent);
void okta_col_device_user_ids(sqlite3_context *ctx, const cJSON *item, const cJSON *parent);
void okta_col_support_enabled(sqlite3_context *ctx, const cJSON *item, const cJSON *parent);
void okta_col_authenticator_id(sqlite3_context *ctx, const cJSON *item, const cJSON *parent);
void okta_col_enrollment_profile(sqlite3_context *ctx, const cJSON *item, const cJSON *parent);
char *okta_aws_account_of(const cJSON *app); /* malloc'd, NULL if not an AWS app */
char *okta_aws_role_arn(const char *value, const char *account); /* malloc'd, NULL if none */

extern const okta_table okta_users_table, okta_groups_table, okta_group_members_table,
    okta_group_roles_table, okta_group_rules_table, okta_applications_table, okta_app_users_table,
    okta_app_groups_table, okta_user_factors_table, okta_user_authenticator_enrollments_table,
    okta_user_roles_table, okta_system_log_table,
    okta_org_table, okta_user_types_table, okta_devices_table, okta_policies_table,
    okta_network_zones_table, okta_trusted_origins_table, okta_authorization_servers_table,
    okta_identity_providers_table, okta_authenticators_table;

/* Peer tables (issue 15): policy rules, API tokens, custom roles, group
** owners, authorization server objects. */
extern const okta_table okta_policy_rules_table, okta_policy_mappings_table, okta_api_tokens_table,
    okta_custom_roles_table, okta_role_permissions_table, okta_resource_sets_table,
    okta_resource_set_resources_table, okta_group_owners_table, okta_auth_server_policies_table,
    okta_auth_server_policy_rules_table, okta_auth_server_scopes_table, okta_auth_server_claims_table,
    okta_auth_server_clients_table;

#endif
