/*
** What is inside a policy: okta_policy_rules (its rules, in priority
** order) and okta_policy_mappings (the apps it applies to).
**
**   SELECT name, priority, actions->>'$.appSignOn.verificationMethod.factorMode'
**     FROM okta_policy_rules WHERE policy_id = '00p...';
**   SELECT p.name, r.name FROM okta_policies p JOIN okta_policy_rules r ON r.policy_id = p.id
**    WHERE p.type = 'OKTA_SIGN_ON';
**   SELECT a.label, p.name FROM okta_policy_mappings m JOIN okta_policies p ON p.id = m.policy_id
**     JOIN okta_applications a ON a.id = m.app_id;
**
** Without a policy_id, both fan out over the policies: rules over every
** policy of every type, mappings over the types apps are mapped to.
*/
#include "tables.h"

#include <string.h>

/* -------------------------------------------------------------- rules */

static const okta_column rule_cols[] = {
  TEXT("policy_id", "=key"),
  RULE_COLUMNS,
  JSONC("conditions", "conditions"),
  JSONC("actions", "actions"),
  TEXT("created", "created"),
  TEXT("last_updated", "lastUpdated"),
};

static const okta_source rules_of_policy = {"/api/v1/policies/{key}/rules", K_LIST, 0, .flags = S_404_EMPTY};

static const okta_route rule_routes[] = {
  {"by-policy", 0, .source = &rules_of_policy, .cost = 1, .rows = 5},
  {"all-policies", -1, .parent = &okta_policies_all, .parent_key = "id", .source = &rules_of_policy, .cost = 42,
   .rows = 200},
};

const okta_table okta_policy_rules_table = {
  "okta_policy_rules", "rules of every policy (sign-on, app sign-in, password, MFA enrollment, ...)", rule_cols,
  COUNT(rule_cols), rule_routes, COUNT(rule_routes), "scope okta.policies.read or any administrator role",
  .key = "policy_id id"
};

/* ----------------------------------------------------------- mappings */

/* The app id of a mapping: the last segment of _links.application.href
** (a mapping names its app only by that link). */
static void col_mapped_app(sqlite3_context *ctx, const cJSON *item, const cJSON *parent) {
  (void)parent;
  const cJSON *href = okta_json_path(item, "_links.application.href");
  if (!cJSON_IsString(href)) return;
  const char *s = href->valuestring;
  size_t n = strcspn(s, "?#");
  const char *slash = NULL;
  for (const char *p = s; p < s + n; p++) {
    if (*p == '/') slash = p;
  }
  if (slash && slash + 1 < s + n) sqlite3_result_text(ctx, slash + 1, (int)(s + n - slash - 1), SQLITE_TRANSIENT);
}

static const okta_column mapping_cols[] = {
  TEXT("policy_id", "=key"),
  TEXT("id", "id"),
  {"app_id", T_TEXT, NULL, col_mapped_app, .doc = "the mapped application (from _links.application.href)"},
  TEXT("app_href", "_links.application.href"),
};

/* Apps are mapped to app sign-in (ACCESS_POLICY) and profile enrollment
** policies; the other types have no mappings link. */
static const okta_source mappable_policies = {
  "/api/v1/policies", K_LIST, 0, NULL, PARAMS("type=ACCESS_POLICY", "type=PROFILE_ENROLLMENT"), S_400_WARN,
  "policy type not available in this org (skipped)"};
static const okta_source mappings_of_policy = {"/api/v1/policies/{key}/mappings", K_LIST, 0, .flags = S_404_EMPTY};

static const okta_route mapping_routes[] = {
  {"by-policy", 0, .source = &mappings_of_policy, .cost = 1, .rows = 5},
  {"all-policies", -1, .parent = &mappable_policies, .parent_key = "id", .source = &mappings_of_policy,
   .cost = 42, .rows = 200},
};

const okta_table okta_policy_mappings_table = {
  "okta_policy_mappings", "which applications each app sign-in or profile enrollment policy applies to",
  mapping_cols, COUNT(mapping_cols), mapping_routes, COUNT(mapping_routes),
  "scope okta.policies.read or any administrator role",
  .key = "policy_id id",
};
