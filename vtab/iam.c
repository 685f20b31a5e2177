/*
** Who may do what with the Okta API itself: okta_api_tokens (metadata of
** the org's API tokens), okta_custom_roles, okta_role_permissions,
** okta_resource_sets and okta_resource_set_resources (custom admin roles:
** a role's permissions, granted over a resource set).
**
**   SELECT name, user_id, expires_at, network_connection FROM okta_api_tokens;
**   SELECT r.label, p.label FROM okta_custom_roles r JOIN okta_role_permissions p ON p.role_id = r.id;
**   SELECT u.user_id, c.label, s.label FROM okta_user_roles u
**     JOIN okta_custom_roles c ON c.id = u.role_id JOIN okta_resource_sets s ON s.id = u.resource_set;
**   SELECT orn FROM okta_resource_set_resources WHERE resource_set_id = 'iam...';
**
** Okta never returns an API token's value after it is created: there is
** none to read, only who created the token, when it expires and from
** which networks it may be used.
**
** The /iam listings are paged in the body: {"roles": [...], "_links":
** {"next": {"href": ...}}} (and "resource-sets", "permissions",
** "resources").
*/
#include "tables.h"

#define IAM_NEEDS "a Super Administrator token or scope okta.roles.read"

/* ---------------------------------------------------------- api tokens */

static const okta_column token_cols[] = {
  TEXT("id", "id"),
  TEXT("name", "name"),
  TEXT("user_id", "userId"),
  TEXT("client_name", "clientName"),
  TEXT("token_window", "tokenWindow"),
  TEXT("network_connection", "network.connection"),
  JSONC("network", "network"),
  TEXT("expires_at", "expiresAt"),
  TEXT("created", "created"),
  TEXT("last_updated", "lastUpdated"),
};

static const okta_source tokens = {"/api/v1/api-tokens", K_LIST, 0};
static const okta_source token = {"/api/v1/api-tokens/{key}", K_OBJECT, 0, .flags = S_404_EMPTY};
SIMPLE_ROUTES(token_routes, tokens, token);

const okta_table okta_api_tokens_table = {
  "okta_api_tokens", "API tokens: who created each, when it expires, where it may be used (never a token value)",
  token_cols, COUNT(token_cols), token_routes, COUNT(token_routes),
  "scope okta.apiTokens.read (not among the default OAuth scopes) or an administrator API token",
};

/* -------------------------------------------------------- custom roles */

static const okta_column custom_role_cols[] = {
  TEXT("id", "id"), TEXT("label", "label"), TEXT("description", "description"),
  TEXT("created", "created"), TEXT("last_updated", "lastUpdated"),
};

static const okta_source custom_roles = {"/api/v1/iam/roles", K_BODY_LIST, 0, .body_key = "roles"};
static const okta_source custom_role = {"/api/v1/iam/roles/{key}", K_OBJECT, 0, .flags = S_404_EMPTY};
SIMPLE_ROUTES(custom_role_routes, custom_roles, custom_role);

const okta_table okta_custom_roles_table = {
  "okta_custom_roles", "custom admin roles", custom_role_cols, COUNT(custom_role_cols), custom_role_routes,
  COUNT(custom_role_routes), IAM_NEEDS,
};

/* ---------------------------------------------------- role permissions */

static const okta_column permission_cols[] = {
  TEXT("role_id", "=key"), TEXT("label", "label"), JSONC("conditions", "conditions"),
  TEXT("created", "created"), TEXT("last_updated", "lastUpdated"),
};

static const okta_source permissions_of_role = {"/api/v1/iam/roles/{key}/permissions", K_BODY_LIST, 0,
                                                .flags = S_404_EMPTY, .body_key = "permissions"};

static const okta_route permission_routes[] = {
  {"by-role", 0, .source = &permissions_of_role, .cost = 1, .rows = 10},
  {"all-roles", -1, .parent = &custom_roles, .parent_key = "id", .source = &permissions_of_role, .cost = 11,
   .rows = 100},
};

const okta_table okta_role_permissions_table = {
  "okta_role_permissions", "permissions of custom admin roles", permission_cols, COUNT(permission_cols),
  permission_routes, COUNT(permission_routes), IAM_NEEDS,
  .key = "role_id label"
};

/* -------------------------------------------------------- resource sets */

static const okta_column resource_set_cols[] = {
  TEXT("id", "id"), TEXT("label", "label"), TEXT("description", "description"),
  TEXT("created", "created"), TEXT("last_updated", "lastUpdated"),
};

static const okta_source resource_sets = {"/api/v1/iam/resource-sets", K_BODY_LIST, 0, .body_key = "resource-sets"};
static const okta_source resource_set = {"/api/v1/iam/resource-sets/{key}", K_OBJECT, 0, .flags = S_404_EMPTY};
SIMPLE_ROUTES(resource_set_routes, resource_sets, resource_set);

const okta_table okta_resource_sets_table = {
  "okta_resource_sets", "resource sets (what a custom role is granted over)", resource_set_cols,
  COUNT(resource_set_cols), resource_set_routes, COUNT(resource_set_routes), IAM_NEEDS,
};

/* --------------------------------------------------- resource set items */

static const okta_column resource_cols[] = {
  TEXT("resource_set_id", "=key"),
  TEXT("id", "id"),
  {"orn", T_TEXT, "orn", .doc = "Okta resource name, e.g. orn:okta:directory:<org>:groups:<group id>"},
  JSONC("conditions", "conditions"),
  TEXT("href", "_links.self.href"),
  TEXT("created", "created"),
  TEXT("last_updated", "lastUpdated"),
};

static const okta_source resources_of_set = {"/api/v1/iam/resource-sets/{key}/resources", K_BODY_LIST, 100,
                                             .flags = S_404_EMPTY, .body_key = "resources"};

static const okta_route resource_routes[] = {
  {"by-set", 0, .source = &resources_of_set, .cost = 1, .rows = 20},
  {"all-sets", -1, .parent = &resource_sets, .parent_key = "id", .source = &resources_of_set, .cost = 11,
   .rows = 200},
};

const okta_table okta_resource_set_resources_table = {
  "okta_resource_set_resources", "the resources (groups, apps, users, ...) in each resource set", resource_cols,
  COUNT(resource_cols), resource_routes, COUNT(resource_routes), IAM_NEEDS, .key = "resource_set_id id",
};
