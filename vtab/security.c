/*
** MFA factors, authenticator enrollments and admin roles of users:
** okta_user_factors, okta_user_authenticator_enrollments, okta_user_roles.
**
**   SELECT factor_type, status FROM okta_user_factors WHERE user_id = '00u...';
**   SELECT u.login FROM okta_users u WHERE u.status = 'ACTIVE'
**      AND NOT EXISTS (SELECT 1 FROM okta_user_factors f
**                       WHERE f.user_id = u.id AND f.status = 'ACTIVE');
**   SELECT key, status FROM okta_user_authenticator_enrollments WHERE user_id = '00u...';
**   SELECT user_id, label, assignment_type FROM okta_user_roles;
**
** The two can differ: /users/{id}/factors lists only the factors REQUIRED or
** OPTIONAL in the highest-priority authenticator enrollment policy that
** applies to the admin's client context (Okta's spec, listFactors), while
** /users/{id}/authenticator-enrollments (Identity Engine) lists every
** enrollment, the password included.
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

/* ------------------------------------------- authenticator enrollments */

static const okta_column enrollment_cols[] = {
  TEXT("user_id", "=key"),
  TEXT("id", "id"),
  TEXT("key", "key"),
  TEXT("type", "type"),
  TEXT("name", "name"),
  TEXT("status", "status"),
  TEXT("nickname", "nickname"),
  {"authenticator_id", T_TEXT, NULL, okta_col_authenticator_id,
   .doc = "id of the authenticator (okta_authenticators.id), from _links.authenticator"},
  TEXT("created", "created"),
  TEXT("last_updated", "lastUpdated"),
  {"profile", T_JSON, NULL, okta_col_enrollment_profile,
   .doc = "profile (phone number masked by Okta, email); a temporary access code is redacted"},
};

/* Identity Engine only: an org without the endpoint (404 other than
** E0000007, 400, or 403 for a feature not enabled) gives no rows and a
** warning, and the fan-out stops there. A missing user is no rows. */
static const okta_source enrollments_of_user = {
  "/api/v1/users/{key}/authenticator-enrollments", K_LIST, 0,
  .flags = S_404_EMPTY | S_404_WARN | S_400_WARN | S_403_WARN,
  .warn = "authenticator enrollments are not available to this token or org (Identity Engine only; skipped)"};

static const okta_route enrollment_routes[] = {
  {"by-user", 0, .source = &enrollments_of_user, .cost = 5, .rows = 3},
  {"all-users", -1, .parent = &okta_users_all, .parent_key = "id", .source = &enrollments_of_user,
   .cost = 1000000, .rows = 30000},
};

const okta_table okta_user_authenticator_enrollments_table = {
  "okta_user_authenticator_enrollments",
  "every authenticator enrollment of users, password included (Identity Engine; okta_user_factors lists only "
  "the factors the enrollment policy allows)",
  enrollment_cols, COUNT(enrollment_cols), enrollment_routes, COUNT(enrollment_routes),
  "scope okta.users.read or any administrator role",
  .key = "user_id id"
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
