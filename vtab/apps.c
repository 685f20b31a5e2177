/*
** Applications and their assignments: okta_applications, okta_app_users,
** okta_app_groups.
**
**   SELECT label, aws_account_id FROM okta_applications WHERE name = 'amazon_aws';
**   SELECT label FROM okta_applications WHERE user_id = '00u...';
**   SELECT user_id, scope, profile->>'role' FROM okta_app_users WHERE app_id = '0oa...';
**   SELECT app_id FROM okta_app_users WHERE user_id = '00u...';   -- one user's apps
**   SELECT app_id, status FROM okta_app_users WHERE user_name = 'bob@example.com';  -- q=
*/
#include "tables.h"

/* /apps takes one filter expression, eq only (Okta's Apps reference said
** "Only a single expression is supported" until late 2025; every recorded
** client sends one term plus q): rank says which term is sent. */
enum { A_ID, A_NAME, A_LABEL, A_STATUS };
static const okta_column app_cols[] = {
  [A_ID] = {"id", T_TEXT, "id", .dialect = D_FILTER, .api = "id", .ops = OP_EQ, .id_prefix = "0oa"},
  [A_NAME] = {"name", T_TEXT, "name", .dialect = D_FILTER, .api = "name", .ops = OP_EQ, .rank = 1},
  /* q matches names and labels by prefix: a superset SQLite narrows down. */
  [A_LABEL] = {"label", T_TEXT, "label", .dialect = D_PARAM, .api = "q", .ops = OP_EQ},
  [A_STATUS] = {"status", T_TEXT, "status", .dialect = D_FILTER, .api = "status", .ops = OP_EQ,
                .values = "ACTIVE|INACTIVE", .rank = 2},
  TEXT("sign_on_mode", "signOnMode"),
  TEXT("created", "created"),
  TEXT("last_updated", "lastUpdated"),
  JSONC("features", "features"),
  JSONC("accessibility", "accessibility"),
  JSONC("visibility", "visibility"),
  {"settings", T_JSON, NULL, okta_col_settings, .doc = "settings, secret values replaced by \"(redacted)\""},
  {"credentials", T_JSON, NULL, okta_col_credentials, .doc = "credentials, secret values replaced by \"(redacted)\""},
  {"aws_account_id", T_TEXT, NULL, okta_col_aws_account, .doc = "account of settings.app.identityProviderArn"},
  {"user_id", T_TEXT, NULL, .flags = COL_HIDDEN, .dialect = D_FILTER, .api = "user.id", .ops = OP_EQ,
   .doc = "apps assigned to this user (filter=user.id eq ...)", .id_prefix = "00u"},
  {"group_id", T_TEXT, NULL, .flags = COL_HIDDEN, .dialect = D_FILTER, .api = "group.id", .ops = OP_EQ,
   .doc = "apps assigned to this group (filter=group.id eq ...)", .id_prefix = "00g"},
};

const okta_source okta_apps_all = {"/api/v1/apps", K_LIST, 200, .flags = S_PUSHDOWN | S_ONE_FILTER};
static const okta_source app_by_id = {"/api/v1/apps/{key}", K_OBJECT, 0, .flags = S_404_EMPTY};

/* No batched id IN: "id eq a or id eq b" is two expressions; each id is a GET. */
static const okta_route app_routes[] = {
  {"get", A_ID, .source = &app_by_id, .cost = 1, .rows = 1},
  {"list", -1, .source = &okta_apps_all, .cost = 2, .rows = 200},
};

const okta_table okta_applications_table = {
  "okta_applications", "applications (secrets redacted)", app_cols, COUNT(app_cols), app_routes,
  COUNT(app_routes), "scope okta.apps.read or any administrator role",
};

/* ---------------------------------------------------------- app users */

enum { AU_APP_ID, AU_USER_ID };
static const okta_column app_user_cols[] = {
  [AU_APP_ID] = {"app_id", T_TEXT, "=key", .id_prefix = "0oa"},
  [AU_USER_ID] = {"user_id", T_TEXT, "id", .id_prefix = "00u"},
  TEXT("scope", "scope"),
  TEXT("status", "status"),
  TEXT("sync_state", "syncState"),
  /* q matches userName, firstName, lastName and email by prefix: a superset. */
  {"user_name", T_TEXT, "credentials.userName", .dialect = D_PARAM, .api = "q", .ops = OP_EQ},
  TEXT("external_id", "externalId"),
  TEXT("created", "created"),
  TEXT("last_updated", "lastUpdated"),
  JSONC("profile", "profile"),
  TEXT("status_changed", "statusChanged"),
  TEXT("last_sync", "lastSync"),
  TEXT("password_changed", "passwordChanged"),
  {"credentials", T_JSON, NULL, okta_col_credentials, .doc = "credentials, secret values replaced by \"(redacted)\""},
  {"email", T_TEXT, "profile.email", .dialect = D_PARAM, .api = "q", .ops = OP_EQ},
};

static const okta_source users_of_app = {"/api/v1/apps/{key}/users", K_LIST, 500,
                                         .flags = S_PUSHDOWN | S_404_EMPTY};
static const okta_source apps_of_user = {"/api/v1/apps", K_LIST, 200, PARAMS("filter=user.id eq {arg:q}")};
static const okta_source app_user_one = {"/api/v1/apps/{key}/users/{arg}", K_OBJECT, 0, .flags = S_404_EMPTY};

static const okta_route app_user_routes[] = {
  {"by-app", AU_APP_ID, .source = &users_of_app, .cost = 2, .rows = 500},
  /* One user: the apps assigned to them, then their assignment in each. */
  {"by-user", AU_USER_ID, .parent = &apps_of_user, .parent_key = "id", .source = &app_user_one, .cost = 6,
   .rows = 10},
  {"all-apps", -1, .parent = &okta_apps_all, .parent_key = "id", .source = &users_of_app, .cost = 300,
   .rows = 100000},
};

const okta_table okta_app_users_table = {
  "okta_app_users", "users assigned to applications (directly: scope USER, or through a group: GROUP)",
  app_user_cols, COUNT(app_user_cols), app_user_routes, COUNT(app_user_routes),
  "scope okta.apps.read or any administrator role", .key = "app_id user_id",
};

/* --------------------------------------------------------- app groups */

enum { AG_APP_ID, AG_GROUP_ID };
static const okta_column app_group_cols[] = {
  [AG_APP_ID] = {"app_id", T_TEXT, "=key", .id_prefix = "0oa"},
  [AG_GROUP_ID] = {"group_id", T_TEXT, "id", .id_prefix = "00g"},
  INT("priority", "priority"),
  TEXT("last_updated", "lastUpdated"),
  JSONC("profile", "profile"),
};

static const okta_source groups_of_app = {"/api/v1/apps/{key}/groups", K_LIST, 200, .flags = S_404_EMPTY};
static const okta_source apps_of_group = {"/api/v1/apps", K_LIST, 200, PARAMS("filter=group.id eq {arg:q}")};
static const okta_source app_group_one = {"/api/v1/apps/{key}/groups/{arg}", K_OBJECT, 0, .flags = S_404_EMPTY};

static const okta_route app_group_routes[] = {
  {"by-app", AG_APP_ID, .source = &groups_of_app, .cost = 1, .rows = 20},
  {"by-group", AG_GROUP_ID, .parent = &apps_of_group, .parent_key = "id", .source = &app_group_one, .cost = 4,
   .rows = 10},
  {"all-apps", -1, .parent = &okta_apps_all, .parent_key = "id", .source = &groups_of_app, .cost = 200,
   .rows = 1000},
};

const okta_table okta_app_groups_table = {
  "okta_app_groups", "groups assigned to applications", app_group_cols, COUNT(app_group_cols), app_group_routes,
  COUNT(app_group_routes), "scope okta.apps.read or any administrator role", .key = "app_id group_id",
};
