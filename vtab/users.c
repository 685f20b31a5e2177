/*
** okta_users: every user of the org, DEPROVISIONED included.
**
**   SELECT login, status FROM okta_users WHERE status = 'SUSPENDED';
**   SELECT * FROM okta_users WHERE id IN ('00u1', '00u2');
**   SELECT * FROM okta_users WHERE search = 'profile.department eq "Sales"';
**
** Okta's plain user list leaves DEPROVISIONED users out, so a scan is two
** listings: the plain list and filter=status eq "DEPROVISIONED" (repeats
** are dropped should a user change status in between).
*/
#include "tables.h"

enum { C_ID, C_STATUS, C_LOGIN, C_EMAIL, C_FIRST_NAME, C_LAST_NAME };

#define USER_STATUSES \
  "STAGED|PROVISIONED|ACTIVE|RECOVERY|LOCKED_OUT|PASSWORD_EXPIRED|SUSPENDED|DEPROVISIONED"

static const okta_column cols[] = {
  [C_ID] = {"id", T_TEXT, "id", .dialect = D_FILTER, .api = "id", .ops = OP_EQ, .id_prefix = "00u"},
  [C_STATUS] = {"status", T_TEXT, "status", .dialect = D_FILTER, .api = "status", .ops = OP_EQ,
                .values = USER_STATUSES},
  [C_LOGIN] = {"login", T_TEXT, "profile.login", .dialect = D_FILTER, .api = "profile.login", .ops = OP_EQ},
  [C_EMAIL] = {"email", T_TEXT, "profile.email", .dialect = D_FILTER, .api = "profile.email", .ops = OP_EQ},
  [C_FIRST_NAME] = {"first_name", T_TEXT, "profile.firstName", .dialect = D_FILTER,
                    .api = "profile.firstName", .ops = OP_EQ},
  [C_LAST_NAME] = {"last_name", T_TEXT, "profile.lastName", .dialect = D_FILTER,
                   .api = "profile.lastName", .ops = OP_EQ},
  {"user_type", T_TEXT, "profile.userType"},
  {"created", T_TEXT, "created"},
  {"activated", T_TEXT, "activated"},
  {"status_changed", T_TEXT, "statusChanged"},
  {"last_login", T_TEXT, "lastLogin"},
  {"last_updated", T_TEXT, "lastUpdated", .dialect = D_FILTER, .api = "lastUpdated", .ops = OP_EQ | OP_RANGE},
  {"password_changed", T_TEXT, "passwordChanged"},
  {"transitioning_to_status", T_TEXT, "transitioningToStatus"},
  {"type_id", T_TEXT, "type.id"},
  {"profile", T_JSON, "profile"},
  {"credentials", T_JSON, "credentials"},
  {"search", T_TEXT, NULL, .flags = COL_HIDDEN, .dialect = D_RAW, .api = "search",
   .doc = "raw Okta search expression (includes DEPROVISIONED users)"},
  {"filter", T_TEXT, NULL, .flags = COL_HIDDEN, .dialect = D_RAW, .api = "filter",
   .doc = "raw Okta filter expression"},
};

/* Every user: the plain list, then the DEPROVISIONED ones it leaves out. */
const okta_source okta_users_all = {
  "/api/v1/users", K_LIST, 200, NULL,
  PARAMS("", "filter=status eq \"DEPROVISIONED\""), S_PUSHDOWN | S_DEDUPE, NULL,
};
const okta_source okta_user_by_id = {"/api/v1/users/{key}", K_OBJECT, 0, NULL, NULL, S_404_EMPTY, NULL};
static const okta_source users_by_ids = {"/api/v1/users", K_LIST, 200, PARAMS("filter={key}"), NULL, 0, NULL};

static const okta_route routes[] = {
  {"get", C_ID, .source = &okta_user_by_id, .cost = 1, .rows = 1},
  {"batch", C_ID, .source = &users_by_ids, .batch_attr = "id", .cost = 1, .rows = 50},
  {"list", -1, .source = &okta_users_all, .cost = 60, .rows = 10000},
};

const okta_table okta_users_table = {
  "okta_users", "users, DEPROVISIONED included", cols, COUNT(cols), routes, COUNT(routes),
  "scope okta.users.read or any administrator role", NULL,
};
