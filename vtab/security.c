/*
** MFA factors and admin roles of users: okta_user_factors, okta_user_roles.
**
**   SELECT factor_type, status FROM okta_user_factors WHERE user_id = '00u...';
**   SELECT u.login FROM okta_users u WHERE u.status = 'ACTIVE'
**      AND NOT EXISTS (SELECT 1 FROM okta_user_factors f
**                       WHERE f.user_id = u.id AND f.status = 'ACTIVE');
**   SELECT user_id, label, assignment_type FROM okta_user_roles;
*/
#include "tables.h"

static const okta_column factor_cols[] = {
  {"user_id", T_TEXT, "=key", .id_prefix = "00u"},
  TEXT("id", "id"),
  TEXT("factor_type", "factorType"),
  TEXT("provider", "provider"),
  TEXT("vendor_name", "vendorName"),
  TEXT("status", "status"),
  TEXT("created", "created"),
  TEXT("last_updated", "lastUpdated"),
  JSONC("profile", "profile"),
};

static const okta_source factors_of_user = {"/api/v1/users/{key}/factors", K_LIST, 0, .flags = S_404_EMPTY};

static const okta_route factor_routes[] = {
  {"by-user", 0, .source = &factors_of_user, .cost = 1, .rows = 2},
  {"all-users", -1, .parent = &okta_users_all, .parent_key = "id", .source = &factors_of_user, .cost = 10060,
   .rows = 20000},
};

const okta_table okta_user_factors_table = {
  "okta_user_factors", "MFA factors enrolled by users", factor_cols, COUNT(factor_cols), factor_routes,
  COUNT(factor_routes), "scope okta.users.read (factors: okta.factors.read) or any administrator role",
  .key = "user_id id",
};

/* -------------------------------------------------------------- roles */

static const okta_column user_role_cols[] = {{"user_id", T_TEXT, "=key", .id_prefix = "00u"}, ROLE_COLUMNS};

static const okta_source roles_of_user = {"/api/v1/users/{key}/roles", K_LIST, 0, .flags = S_404_EMPTY};
/* Users holding any role: one request per 100 admins instead of one per user. */
static const okta_source role_assignees = {"/api/v1/iam/assignees/users", K_BODY_LIST, 100, .flags = S_404_MISSING};

static const okta_route user_role_routes[] = {
  {"by-user", 0, .source = &roles_of_user, .cost = 1, .rows = 2},
  {"admins", -1, .parent = &role_assignees, .parent_key = "id", .fallback = &okta_users_all,
   .source = &roles_of_user, .cost = 100, .rows = 100},
};

const okta_table okta_user_roles_table = {
  "okta_user_roles", "admin roles of users (direct, and inherited from groups)", user_role_cols,
  COUNT(user_role_cols), user_role_routes, COUNT(user_role_routes),
  "a Super Administrator token or scope okta.roles.read", .key = "user_id id assignment_type",
};
