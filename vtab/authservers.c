/*
** Inside the custom authorization servers (API Access Management):
** okta_auth_server_policies, okta_auth_server_policy_rules,
** okta_auth_server_scopes, okta_auth_server_claims and
** okta_auth_server_clients (the OAuth clients holding its tokens).
**
**   SELECT name, consent FROM okta_auth_server_scopes WHERE auth_server_id = 'aus...';
**   SELECT p.name, r.name, r.grant_types, r.scopes FROM okta_auth_server_policies p
**     JOIN okta_auth_server_policy_rules r ON r.auth_server_id = p.auth_server_id AND r.policy_id = p.id;
**   SELECT s.name, c.client_name FROM okta_authorization_servers s
**     JOIN okta_auth_server_clients c ON c.auth_server_id = s.id;   -- who holds tokens from where
**
** Each is keyed by auth_server_id: constrained, only that server is read;
** otherwise every server of /authorizationServers. Policy rules are two
** levels down: for each server its policies, for each policy its rules
** (policy_id is checked by SQLite: the path needs the server too).
*/
#include "tables.h"

#define AS_NEEDS "scope okta.authorizationServers.read or any administrator role"

/* Routes of a table listed per server: one server, or every server. */
#define PER_SERVER_ROUTES(var, src)                                                                          \
  static const okta_route var[] = {                                                                          \
    {"by-server", 0, .source = &src, .cost = 1, .rows = 20},                                                 \
    {"all-servers", -1, .parent = &okta_auth_servers_all, .parent_key = "id", .source = &src, .cost = 6,      \
     .rows = 200},                                                                                           \
  }

/* ----------------------------------------------------------- policies */

static const okta_column policy_cols[] = {
  TEXT("auth_server_id", "=key"), TEXT("id", "id"), TEXT("name", "name"), TEXT("description", "description"),
  TEXT("status", "status"), INT("priority", "priority"), BOOL("system", "system"), TEXT("type", "type"),
  JSONC("clients", "conditions.clients.include"), JSONC("conditions", "conditions"), TEXT("created", "created"),
  TEXT("last_updated", "lastUpdated"),
};

static const okta_source policies_of_server = {"/api/v1/authorizationServers/{key}/policies", K_LIST, 0,
                                               .flags = S_404_EMPTY};
PER_SERVER_ROUTES(policy_routes, policies_of_server);

const okta_table okta_auth_server_policies_table = {
  "okta_auth_server_policies", "access policies of authorization servers (which clients they cover)", policy_cols,
  COUNT(policy_cols), policy_routes, COUNT(policy_routes), AS_NEEDS,
  .key = "auth_server_id id"
};

/* -------------------------------------------------------- policy rules */

static const okta_column rule_cols[] = {
  TEXT("auth_server_id", "=arg"),
  TEXT("policy_id", "=key"),
  RULE_COLUMNS,
  JSONC("grant_types", "conditions.grantTypes.include"),
  JSONC("scopes", "conditions.scopes.include"),
  JSONC("group_ids", "conditions.people.groups.include"),
  JSONC("user_ids", "conditions.people.users.include"),
  INT("access_token_lifetime_minutes", "actions.token.accessTokenLifetimeMinutes"),
  INT("refresh_token_lifetime_minutes", "actions.token.refreshTokenLifetimeMinutes"),
  JSONC("conditions", "conditions"),
  JSONC("actions", "actions"),
  TEXT("created", "created"),
  TEXT("last_updated", "lastUpdated"),
};

/* The policies of the server in {arg}, and each policy's rules. */
static const okta_source server_policies = {"/api/v1/authorizationServers/{arg}/policies", K_LIST, 0,
                                            .flags = S_404_EMPTY};
static const okta_source rules_of_policy = {"/api/v1/authorizationServers/{arg}/policies/{key}/rules", K_LIST, 0,
                                            .flags = S_404_EMPTY};

static const okta_route rule_routes[] = {
  {"by-server", 0, .parent = &server_policies, .parent_key = "id", .source = &rules_of_policy, .cost = 4,
   .rows = 20},
  {"all-servers", -1, .parent = &server_policies, .parent_key = "id", .source = &rules_of_policy, .cost = 20,
   .rows = 200, .args_from = &okta_auth_servers_all, .args_key = "id"},
};

const okta_table okta_auth_server_policy_rules_table = {
  "okta_auth_server_policy_rules", "rules of authorization server policies (grant types, scopes, token lifetimes)",
  rule_cols, COUNT(rule_cols), rule_routes, COUNT(rule_routes), AS_NEEDS, .key = "auth_server_id policy_id id",
};

/* -------------------------------------------------------------- scopes */

static const okta_column scope_cols[] = {
  TEXT("auth_server_id", "=key"),
  TEXT("id", "id"),
  /* q searches scope names: a superset SQLite narrows down. */
  {"name", T_TEXT, "name", .dialect = D_PARAM, .api = "q", .ops = OP_EQ},
  TEXT("display_name", "displayName"),
  TEXT("description", "description"),
  BOOL("system", "system"),
  BOOL("is_default", "default"),
  BOOL("optional", "optional"),
  TEXT("consent", "consent"),
  TEXT("metadata_publish", "metadataPublish"),
};

static const okta_source scopes_of_server = {"/api/v1/authorizationServers/{key}/scopes", K_LIST, 200,
                                             .flags = S_PUSHDOWN | S_404_EMPTY};
PER_SERVER_ROUTES(scope_routes, scopes_of_server);

const okta_table okta_auth_server_scopes_table = {
  "okta_auth_server_scopes", "scopes of authorization servers", scope_cols, COUNT(scope_cols), scope_routes,
  COUNT(scope_routes), AS_NEEDS,
  .key = "auth_server_id id"
};

/* -------------------------------------------------------------- claims */

static const okta_column claim_cols[] = {
  TEXT("auth_server_id", "=key"), TEXT("id", "id"), TEXT("name", "name"), TEXT("status", "status"),
  TEXT("claim_type", "claimType"), TEXT("value_type", "valueType"), TEXT("value", "value"),
  TEXT("group_filter_type", "group_filter_type"), BOOL("always_include_in_token", "alwaysIncludeInToken"),
  BOOL("system", "system"), JSONC("scopes", "conditions.scopes"), JSONC("conditions", "conditions"),
};

static const okta_source claims_of_server = {"/api/v1/authorizationServers/{key}/claims", K_LIST, 0,
                                             .flags = S_404_EMPTY};
PER_SERVER_ROUTES(claim_routes, claims_of_server);

const okta_table okta_auth_server_claims_table = {
  "okta_auth_server_claims", "claims authorization servers put into tokens", claim_cols, COUNT(claim_cols),
  claim_routes, COUNT(claim_routes), AS_NEEDS,
  .key = "auth_server_id id"
};

/* ------------------------------------------------------------- clients */

static const okta_column client_cols[] = {
  TEXT("auth_server_id", "=key"), TEXT("client_id", "client_id"), TEXT("client_name", "client_name"),
  TEXT("client_uri", "client_uri"), TEXT("logo_uri", "logo_uri"),
};

static const okta_source clients_of_server = {"/api/v1/authorizationServers/{key}/clients", K_LIST, 0,
                                              .flags = S_404_EMPTY};
PER_SERVER_ROUTES(client_routes, clients_of_server);

const okta_table okta_auth_server_clients_table = {
  "okta_auth_server_clients", "OAuth clients that hold tokens from each authorization server", client_cols,
  COUNT(client_cols), client_routes, COUNT(client_routes), AS_NEEDS,
  .key = "auth_server_id client_id"
};
