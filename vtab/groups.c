/*
** Groups and what hangs off them: okta_groups, okta_group_members,
** okta_group_roles, okta_group_rules, okta_group_owners.
**
**   SELECT name, users_count FROM okta_groups WHERE type = 'OKTA_GROUP';
**   SELECT login FROM okta_group_members WHERE group_id = '00g...';
**   SELECT group_id FROM okta_group_members WHERE user_id = '00u...';
**   SELECT g.name, r.label FROM okta_group_roles r JOIN okta_groups g ON g.id = r.group_id;
**   SELECT display_name, type FROM okta_group_owners WHERE group_id = '00g...';
*/
#include "tables.h"

#define GROUP_TYPES "OKTA_GROUP|APP_GROUP|BUILT_IN"

enum { G_ID };
static const okta_column group_cols[] = {
  [G_ID] = {"id", T_TEXT, "id", .dialect = D_FILTER, .api = "id", .ops = OP_EQ, .id_prefix = "00g"},
  {"name", T_TEXT, "profile.name", .dialect = D_SEARCH, .api = "profile.name", .ops = OP_EQ},
  TEXT("description", "profile.description"),
  {"type", T_TEXT, "type", .dialect = D_FILTER, .api = "type", .ops = OP_EQ, .values = GROUP_TYPES},
  TEXT("created", "created"),
  TIME_FILTER("last_updated", "lastUpdated"),
  TIME_FILTER("last_membership_updated", "lastMembershipUpdated"),
  JSONC("object_class", "objectClass"),
  JSONC("profile", "profile"),
  INT("users_count", "_embedded.stats.usersCount"),
  {"search", T_TEXT, NULL, .flags = COL_HIDDEN, .dialect = D_RAW, .api = "search",
   .doc = "raw Okta search expression"},
  {"filter", T_TEXT, NULL, .flags = COL_HIDDEN, .dialect = D_RAW, .api = "filter",
   .doc = "raw Okta filter expression"},
};

/* Every group, with member counts (expand=stats). Real orgs answer 500 to
** large pages with expand=stats (graph-okta had to drop to 200 and halve on
** error), so pages are 200, halved on a 5xx, and read without the stats as
** a last resort (S_SHRINK). */
const okta_source okta_groups_all = {"/api/v1/groups", K_LIST, 200, PARAMS("expand=stats"), NULL, S_PUSHDOWN | S_SHRINK};
static const okta_source group_by_id = {"/api/v1/groups/{key}", K_OBJECT, 0, PARAMS("expand=stats"), NULL, S_404_EMPTY};
static const okta_source groups_by_ids = {"/api/v1/groups", K_LIST, 200, PARAMS("expand=stats", "filter={key}"), NULL,
                                          S_SHRINK};

static const okta_route group_routes[] = {
  {"get", G_ID, .source = &group_by_id, .cost = 1, .rows = 1},
  {"batch", G_ID, .source = &groups_by_ids, .batch_attr = "id", .cost = 1, .rows = 50},
  {"list", -1, .source = &okta_groups_all, .cost = 5, .rows = 1000},
};

const okta_table okta_groups_table = {
  "okta_groups", "groups (Okta, app-imported and built-in)", group_cols, COUNT(group_cols), group_routes,
  COUNT(group_routes), "scope okta.groups.read or any administrator role",
};

/* ------------------------------------------------------------ members */

enum { M_GROUP_ID, M_USER_ID };
static const okta_column member_cols[] = {
  [M_GROUP_ID] = {"group_id", T_TEXT, "=key", .id_prefix = "00g"},
  [M_USER_ID] = {"user_id", T_TEXT, "id", .id_prefix = "00u"},
  TEXT("login", "profile.login"),
  TEXT("email", "profile.email"),
  TEXT("status", "status"),
};

static const okta_source members_of_group = {"/api/v1/groups/{key}/users", K_LIST, 1000, .flags = S_404_EMPTY};
static const okta_source user_for_members = {"/api/v1/users/{arg}", K_OBJECT, 0, .flags = S_404_EMPTY};
static const okta_source groups_of_user = {"/api/v1/users/{key}/groups", K_LIST, 200, .flags = S_404_EMPTY};

static const okta_route member_routes[] = {
  {"by-group", M_GROUP_ID, .source = &members_of_group, .cost = 2, .rows = 100},
  /* One user's groups: the user (for login, email, status), then its groups. */
  {"by-user", M_USER_ID, .parent = &user_for_members, .parent_key = "id", .source = &groups_of_user,
   .paths = (const char *const[]){"id", "=key", "^profile.login", "^profile.email", "^status"},
   .cost = 2, .rows = 10},
  {"all-groups", -1, .parent = &okta_groups_all, .parent_key = "id", .source = &members_of_group,
   .cost = 1000, .rows = 100000},
};

const okta_table okta_group_members_table = {
  "okta_group_members", "group memberships", member_cols, COUNT(member_cols), member_routes,
  COUNT(member_routes), "scope okta.groups.read or any administrator role", .key = "group_id user_id",
};

/* -------------------------------------------------------------- roles */

static const okta_column group_role_cols[] = {{"group_id", T_TEXT, "=key", .id_prefix = "00g"}, ROLE_COLUMNS};

static const okta_source roles_of_group_list = {"/api/v1/groups/{key}/roles", K_LIST, 0, .flags = S_404_EMPTY};

static const okta_route group_role_routes[] = {
  {"by-group", 0, .source = &roles_of_group_list, .cost = 1, .rows = 2},
  /* Only groups whose stats say they hold an admin role are asked. */
  {"all-groups", -1, .parent = &okta_groups_all, .parent_key = "id",
   .parent_unless = "_embedded.stats.hasAdminPrivilege", .source = &roles_of_group_list, .cost = 10,
   .rows = 100},
};

const okta_table okta_group_roles_table = {
  "okta_group_roles", "admin roles assigned to groups", group_role_cols, COUNT(group_role_cols),
  group_role_routes, COUNT(group_role_routes), "a Super Administrator token or scope okta.roles.read",
  .key = "group_id id",
};

/* -------------------------------------------------------------- rules */

enum { R_ID };
static const okta_column rule_cols[] = {
  [R_ID] = TEXT("id", "id"),
  TEXT("name", "name"),
  TEXT("status", "status"),
  TEXT("type", "type"),
  TEXT("expression", "conditions.expression.value"),
  JSONC("group_ids", "actions.assignUserToGroups.groupIds"),
  JSONC("excluded_user_ids", "conditions.people.users.exclude"),
  JSONC("conditions", "conditions"),
  JSONC("actions", "actions"),
  TEXT("created", "created"),
  TEXT("last_updated", "lastUpdated"),
};

static const char rules_warning[] = "group rules are not available in this org (skipped)";
static const okta_source rule_by_id = {"/api/v1/groups/rules/{key}", K_OBJECT, 0, .flags = S_404_EMPTY};
static const okta_source rules_all = {"/api/v1/groups/rules", K_LIST, 200, .flags = S_400_WARN,
                                      .warn = rules_warning};

static const okta_route rule_routes[] = {
  {"get", R_ID, .source = &rule_by_id, .cost = 1, .rows = 1},
  {"list", -1, .source = &rules_all, .cost = 1, .rows = 100},
};

const okta_table okta_group_rules_table = {
  "okta_group_rules", "group rules (which put users into groups)", rule_cols, COUNT(rule_cols), rule_routes,
  COUNT(rule_routes), "scope okta.groups.read or any administrator role",
};

/* ------------------------------------------------------------- owners */

static const okta_column owner_cols[] = {
  TEXT("group_id", "=key"),
  TEXT("id", "id"),
  {"type", T_TEXT, "type", .dialect = D_SEARCH, .api = "type", .ops = OP_EQ, .values = "USER|GROUP"},
  TEXT("display_name", "displayName"),
  BOOL("resolved", "resolved"),
  TEXT("origin_id", "originId"),
  TEXT("origin_type", "originType"),
  TEXT("last_updated", "lastUpdated"),
};

/* search= takes the owner type only (spec: "filter owners by type"). */
static const okta_source owners_of_group = {"/api/v1/groups/{key}/owners", K_LIST, 1000,
                                            .flags = S_PUSHDOWN | S_404_EMPTY};

static const okta_route owner_routes[] = {
  {"by-group", 0, .source = &owners_of_group, .cost = 5, .rows = 2},
  {"all-groups", -1, .parent = &okta_groups_all, .parent_key = "id", .source = &owners_of_group, .cost = 10000,
   .rows = 1000},
};

const okta_table okta_group_owners_table = {
  "okta_group_owners", "owners of groups (users or groups)", owner_cols, COUNT(owner_cols), owner_routes,
  COUNT(owner_routes), "scope okta.groups.read or any administrator role",
  .key = "group_id id"
};
