/*
** The access graph: okta_entities and okta_relationships.
**
**   SELECT to_key FROM okta_relationships
**    WHERE from_key = '00u...' AND type = 'okta_user_assigned_application';
**   WITH RECURSIVE reach(k) AS (SELECT '00u...' UNION
**        SELECT r.to_key FROM okta_relationships r JOIN reach ON r.from_key = reach.k)
**   SELECT * FROM reach;
**
** Both tables are one generic module over "arms": each arm is a SELECT over
** the okta_* tables that yields the rows of one entity type or one edge
** type. Constant columns (an entity's type and class, an edge's types and
** class) belong to the arm, so a constraint on them skips whole arms without
** a request. A constraint on a key column wraps the arm,
**     SELECT * FROM (<arm>) WHERE from_key = ?
** which SQLite flattens into a constraint on the base table (okta_users.id,
** okta_app_users.user_id ...), so asking for one user's edges fetches that
** user's data, not the org. Arms run one after the other as statements on
** the same connection and share its response cache. An arm marked optional
** reads a source the token may lack (roles, logs): a 403 there records a
** warning and the rest of the graph is returned.
**
** :org in an arm is bound to the org URL (the account's key).
*/
#include "tables.h"
#include "../ext/ctx.h"

#include <stdlib.h>
#include <string.h>

SQLITE_EXTENSION_INIT3

#define MAX_COLS 8

typedef struct graph_arm {
  const char *consts[MAX_COLS]; /* value of each constant column, by column index */
  const char *sql;              /* SELECT of the dynamic columns, named as the table's */
  int optional;                 /* a 403 skips the arm with a warning */
} graph_arm;

typedef struct graph_table {
  const char *name;
  const char *doc;
  const char *const *cols;      /* column names */
  int ncol;
  unsigned consts;              /* bit i: column i is a constant of the arm */
  const graph_arm *arms;
  int narm;
} graph_table;

/* ------------------------------------------------------------ entities */

enum { E_TYPE, E_CLASS, E_KEY, E_NAME, E_PROPERTIES };
static const char *const entity_cols[] = {"type", "class", "key", "name", "properties"};
#define ENTITY(type, class, optional, sql) {{type, class}, sql, optional}

#define ACTIVE(col) "json(CASE WHEN " col " = 'ACTIVE' THEN 'true' ELSE 'false' END)"
#define GROUP_PROPS                                                                            \
  "json_object('description', g.description, 'type', g.type, 'created', g.created, "          \
  "'lastUpdated', g.last_updated, 'lastMembershipUpdated', g.last_membership_updated, "       \
  "'usersCount', g.users_count)"
#define ROLE_KEY(r) "CASE WHEN " r ".type = 'CUSTOM' THEN 'CUSTOM:' || " r ".label ELSE " r ".type END"
#define IS_PERSON(u) \
  u ".email IS NOT NULL AND coalesce(lower(" u ".user_type), '') NOT IN ('generic', 'service', 'bot')"

static const graph_arm entity_arms[] = {
  ENTITY("okta_account", "Account", 0,
         "SELECT :org AS key, o.company_name AS name, json_object('orgUrl', :org, 'subdomain', o.subdomain, "
         "'companyName', o.company_name, 'website', o.website, 'status', o.status, 'created', o.created, "
         "'supportEnabled', json(CASE o.support_enabled WHEN 1 THEN 'true' WHEN 0 THEN 'false' END), "
         "'supportExpiration', o.support_expiration) AS properties FROM okta_org o"),
  ENTITY("okta_service", "Service,Control", 0,
         "SELECT :org || '/service/sso' AS key, 'SSO' AS name, "
         "json_object('function', json_array('SSO', 'IAM'), 'category', json_array('security')) AS properties "
         "UNION ALL SELECT :org || '/service/mfa', 'MFA', "
         "json_object('function', json_array('MFA'), 'category', json_array('security'))"),
  ENTITY("okta_user", "User", 0,
         "SELECT u.id AS key, trim(coalesce(u.first_name, '') || ' ' || coalesce(u.last_name, '')) AS name, "
         "json_object('login', u.login, 'email', lower(u.email), 'status', u.status, 'active', " ACTIVE("u.status")
         ", 'userType', u.user_type, 'firstName', u.first_name, 'lastName', u.last_name, 'created', u.created, "
         "'activated', u.activated, 'statusChanged', u.status_changed, 'lastLogin', u.last_login, "
         "'lastUpdated', u.last_updated, 'passwordChanged', u.password_changed, 'typeId', u.type_id) AS properties "
         "FROM okta_users u"),
  ENTITY("okta_user_group", "UserGroup", 0,
         "SELECT g.id AS key, g.name AS name, " GROUP_PROPS " AS properties FROM okta_groups g "
         "WHERE g.type <> 'APP_GROUP'"),
  ENTITY("okta_app_user_group", "UserGroup", 0,
         "SELECT g.id AS key, g.name AS name, " GROUP_PROPS " AS properties FROM okta_groups g "
         "WHERE g.type = 'APP_GROUP'"),
  ENTITY("okta_application", "Application", 0,
         "SELECT a.id AS key, a.label AS name, json_object('appName', a.name, 'label', a.label, 'status', a.status, "
         "'active', " ACTIVE("a.status") ", 'signOnMode', a.sign_on_mode, 'created', a.created, "
         "'lastUpdated', a.last_updated, 'awsAccountId', a.aws_account_id) AS properties FROM okta_applications a"),
  ENTITY("mfa_device", "Key,AccessKey", 0,
         "SELECT f.id AS key, f.factor_type AS name, json_object('factorType', f.factor_type, 'provider', f.provider, "
         "'vendorName', f.vendor_name, 'status', f.status, 'active', " ACTIVE("f.status") ", 'userId', f.user_id, "
         "'created', f.created, 'lastUpdated', f.last_updated) AS properties FROM okta_user_factors f"),
  ENTITY("okta_role", "AccessRole", 1,
         "SELECT DISTINCT " ROLE_KEY("r") " AS key, r.label AS name, "
         "json_object('roleType', r.type, 'label', r.label) AS properties "
         "FROM (SELECT type, label FROM okta_user_roles UNION SELECT type, label FROM okta_group_roles) r"),
  ENTITY("okta_rule", "Configuration", 0,
         "SELECT r.id AS key, r.name AS name, json_object('status', r.status, 'active', " ACTIVE("r.status")
         ", 'type', r.type, 'expression', r.expression, 'groupIds', json(r.group_ids), 'created', r.created, "
         "'lastUpdated', r.last_updated) AS properties FROM okta_group_rules r"),
  ENTITY("person", "Person", 0,
         "SELECT lower(u.email) AS key, min(trim(coalesce(u.first_name, '') || ' ' || coalesce(u.last_name, ''))) "
         "AS name, json_object('email', lower(u.email), 'firstName', min(u.first_name), 'lastName', "
         "min(u.last_name), 'userIds', json_group_array(u.id)) AS properties FROM okta_users u "
         "WHERE " IS_PERSON("u") " GROUP BY lower(u.email)"),
};

static const graph_table entities = {
  "okta_entities", "every entity of the access graph (JupiterOne's Okta model)", entity_cols, 5,
  (1u << E_TYPE) | (1u << E_CLASS), entity_arms, COUNT(entity_arms),
};

/* ------------------------------------------------------- relationships */

enum { R_FROM_TYPE, R_FROM_KEY, R_CLASS, R_TO_TYPE, R_TO_KEY, R_TYPE, R_PROPERTIES };
static const char *const rel_cols[] = {"from_type", "from_key", "class", "to_type", "to_key", "type", "properties"};
#define EDGE(from, class, to, type, optional, sql) {{from, NULL, class, to, NULL, type}, sql, optional}

/* Groups are joined by id from one listing, not looked up one by one;
** CROSS JOIN keeps the fan-out table outside (SQLite would otherwise drive
** it once per group, one round trip each). */
#define GROUP_TYPES "WITH g AS MATERIALIZED (SELECT id, type FROM okta_groups) "
#define AWS_ROLE_ARN(profile)                                                                  \
  "CASE WHEN j.value LIKE 'arn:aws:iam::%' THEN j.value "                                      \
  "ELSE 'arn:aws:iam::' || a.aws_account_id || ':role/' || j.value END"
#define SAML_ROLES(profile)                                                                    \
  "json_each(CASE WHEN json_type(" profile ", '$.samlRoles') = 'array' THEN " profile          \
  "->'samlRoles' ELSE json_array(" profile "->>'role') END) j"

/* Edges from groups come in two kinds, okta_user_group and
** okta_app_user_group (APP_GROUP): the same SQL with the kind's condition. */
#define GROUP_ASSIGNED_APP(from, type, kind)                                                          \
  EDGE(from, "ASSIGNED", "okta_application", type, 0,                                                \
       GROUP_TYPES "SELECT ag.group_id AS from_key, ag.app_id AS to_key, json_object('priority', "   \
       "ag.priority, 'role', ag.profile->>'role', 'samlRoles', ag.profile->'samlRoles') AS properties " \
       "FROM okta_app_groups ag CROSS JOIN g ON g.id = ag.group_id WHERE " kind)
#define RULE_MANAGES(to, type, kind)                                                                  \
  EDGE("okta_rule", "MANAGES", to, type, 0,                                                          \
       GROUP_TYPES "SELECT r.id AS from_key, j.value AS to_key, json_object('status', r.status) AS properties " \
       "FROM okta_group_rules r CROSS JOIN json_each(r.group_ids) j JOIN g ON g.id = j.value WHERE " kind)
#define GROUP_ROLE(from, type, kind)                                                                  \
  EDGE(from, "ASSIGNED", "okta_role", type, 1,                                                       \
       GROUP_TYPES "SELECT r.group_id AS from_key, " ROLE_KEY("r") " AS to_key, json_object('label', r.label, " \
       "'status', r.status) AS properties FROM okta_group_roles r CROSS JOIN g ON g.id = r.group_id WHERE " kind)
#define GROUP_AWS_ROLE(from, type, kind)                                                              \
  EDGE(from, "ASSIGNED", "aws_iam_role", type, 0,                                                    \
       GROUP_TYPES "SELECT ag.group_id AS from_key, " AWS_ROLE_ARN("ag.profile") " AS to_key, "       \
       "json_object('appId', a.id, 'app', a.label) AS properties "                                  \
       "FROM okta_applications a JOIN okta_app_groups ag ON ag.app_id = a.id CROSS JOIN g ON g.id = ag.group_id, " \
       SAML_ROLES("ag.profile") " WHERE a.aws_account_id IS NOT NULL AND j.value IS NOT NULL AND j.value <> '' " \
       "AND " kind)

static const graph_arm rel_arms[] = {
  EDGE("okta_account", "HAS", "okta_application", "okta_account_has_application", 0,
       "SELECT :org AS from_key, a.id AS to_key, NULL AS properties FROM okta_applications a"),
  EDGE("okta_account", "HAS", "okta_user_group", "okta_account_has_user_group", 0,
       "SELECT :org AS from_key, g.id AS to_key, NULL AS properties FROM okta_groups g WHERE g.type <> 'APP_GROUP'"),
  EDGE("okta_account", "HAS", "okta_app_user_group", "okta_account_has_app_user_group", 0,
       "SELECT :org AS from_key, g.id AS to_key, NULL AS properties FROM okta_groups g WHERE g.type = 'APP_GROUP'"),
  EDGE("okta_account", "HAS", "okta_rule", "okta_account_has_rule", 0,
       "SELECT :org AS from_key, r.id AS to_key, NULL AS properties FROM okta_group_rules r"),
  EDGE("okta_account", "HAS", "okta_service", "okta_account_has_service", 0,
       "SELECT :org AS from_key, :org || '/service/sso' AS to_key, NULL AS properties "
       "UNION ALL SELECT :org, :org || '/service/mfa', NULL"),
  EDGE("okta_account", "HAS", "okta_user", "okta_account_has_user", 0,
       "SELECT :org AS from_key, u.id AS to_key, NULL AS properties FROM okta_users u"),
  /* Members are listed per group; the built-in Everyone group has every user. */
  EDGE("okta_user_group", "HAS", "okta_user", "okta_group_has_user", 0,
       "SELECT g.id AS from_key, m.user_id AS to_key, NULL AS properties "
       "FROM okta_groups g JOIN okta_group_members m ON m.group_id = g.id "
       "WHERE g.type = 'OKTA_GROUP' OR (g.type = 'BUILT_IN' AND g.name <> 'Everyone')"),
  EDGE("okta_user_group", "HAS", "okta_user", "okta_group_has_user", 0,
       "SELECT g.id AS from_key, u.id AS to_key, NULL AS properties FROM okta_groups g CROSS JOIN okta_users u "
       "WHERE g.type = 'BUILT_IN' AND g.name = 'Everyone'"),
  EDGE("okta_app_user_group", "HAS", "okta_user", "okta_app_user_group_has_user", 0,
       "SELECT g.id AS from_key, m.user_id AS to_key, NULL AS properties "
       "FROM okta_groups g JOIN okta_group_members m ON m.group_id = g.id WHERE g.type = 'APP_GROUP'"),
  GROUP_ASSIGNED_APP("okta_user_group", "okta_group_assigned_application", "g.type <> 'APP_GROUP'"),
  GROUP_ASSIGNED_APP("okta_app_user_group", "okta_app_user_group_assigned_application", "g.type = 'APP_GROUP'"),
  RULE_MANAGES("okta_user_group", "okta_rule_manages_user_group", "g.type <> 'APP_GROUP'"),
  RULE_MANAGES("okta_app_user_group", "okta_rule_manages_app_user_group", "g.type = 'APP_GROUP'"),
  EDGE("okta_user", "ASSIGNED", "okta_application", "okta_user_assigned_application", 0,
       "SELECT au.user_id AS from_key, au.app_id AS to_key, json_object('scope', au.scope, 'status', au.status, "
       "'syncState', au.sync_state, 'userName', au.user_name, 'externalId', au.external_id, "
       "'role', au.profile->>'role', 'samlRoles', au.profile->'samlRoles') AS properties FROM okta_app_users au"),
  EDGE("okta_user", "ASSIGNED", "mfa_device", "okta_user_assigned_mfa_device", 0,
       "SELECT f.user_id AS from_key, f.id AS to_key, json_object('factorType', f.factor_type, 'status', f.status) "
       "AS properties FROM okta_user_factors f"),
  EDGE("okta_user", "ASSIGNED", "okta_role", "okta_user_assigned_role", 1,
       "SELECT r.user_id AS from_key, " ROLE_KEY("r") " AS to_key, json_object('label', r.label, 'status', "
       "r.status, 'assignmentType', r.assignment_type) AS properties FROM okta_user_roles r "
       "WHERE r.assignment_type = 'USER'"),
  GROUP_ROLE("okta_user_group", "okta_user_group_assigned_role", "g.type <> 'APP_GROUP'"),
  GROUP_ROLE("okta_app_user_group", "okta_app_user_group_assigned_role", "g.type = 'APP_GROUP'"),
  EDGE("okta_user", "ASSIGNED", "aws_iam_role", "okta_user_assigned_aws_iam_role", 0,
       "SELECT au.user_id AS from_key, " AWS_ROLE_ARN("au.profile") " AS to_key, "
       "json_object('appId', a.id, 'app', a.label, 'scope', au.scope) AS properties "
       "FROM okta_applications a JOIN okta_app_users au ON au.app_id = a.id, " SAML_ROLES("au.profile")
       " WHERE a.aws_account_id IS NOT NULL AND j.value IS NOT NULL AND j.value <> ''"),
  GROUP_AWS_ROLE("okta_user_group", "okta_user_group_assigned_aws_iam_role", "g.type <> 'APP_GROUP'"),
  GROUP_AWS_ROLE("okta_app_user_group", "okta_app_user_group_assigned_aws_iam_role", "g.type = 'APP_GROUP'"),
  /* The admin console records a creation as an update of ".../_new_". */
  EDGE("okta_user", "CREATED", "okta_application", "okta_user_created_application", 1,
       "SELECT l.actor_id AS from_key, l.target_id AS to_key, json_object('eventType', l.event_type, "
       "'published', l.published, 'uuid', l.uuid) AS properties FROM okta_system_log l "
       "WHERE l.published >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-90 days') "
       "AND l.event_type IN ('application.lifecycle.create', 'application.lifecycle.update') "
       "AND (l.event_type = 'application.lifecycle.create' "
       "     OR l.debug_context->>'$.debugData.requestUri' LIKE '%/\\_new\\_' ESCAPE '\\') "
       "AND EXISTS (SELECT 1 FROM okta_users u WHERE u.id = l.actor_id) "
       "AND EXISTS (SELECT 1 FROM okta_applications a WHERE a.id = l.target_id)"),
  EDGE("okta_user", "IS", "person", "okta_user_is_person", 0,
       "SELECT u.id AS from_key, lower(u.email) AS to_key, NULL AS properties FROM okta_users u WHERE " IS_PERSON("u")),
};

static const graph_table relationships = {
  "okta_relationships", "every edge of the access graph (JupiterOne's Okta model)", rel_cols, 7,
  (1u << R_FROM_TYPE) | (1u << R_CLASS) | (1u << R_TO_TYPE) | (1u << R_TYPE), rel_arms, COUNT(rel_arms),
};

/* -------------------------------------------------------------- module */

typedef struct graph_vtab {
  sqlite3_vtab base;
  okta_ctx *ctx;
  const graph_table *t;
  sqlite3 *db;
} graph_vtab;

typedef struct graph_cursor {
  sqlite3_vtab_cursor base;
  sqlite3_stmt **stmts;     /* prepared arms: [arm * 2^ncol + mask of key constraints] */
  char *org;
  const char *eq[MAX_COLS]; /* = values of this xFilter (pointers into argv text) */
  char *eq_copy[MAX_COLS];
  int arm;                  /* current arm */
  sqlite3_stmt *cur;        /* statement of the current arm */
  sqlite3_int64 rowid;
  int eof;
} graph_cursor;

typedef struct graph_aux {
  okta_ctx *ctx;
  const graph_table *t;
} graph_aux;

/* xConnect: declares the columns. */
static int graphConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv, sqlite3_vtab **ppVtab,
                        char **pzErr) {
  graph_aux *aux = pAux;
  (void)argc;
  (void)argv;
  okta_buf sql = {0};
  okta_buf_puts(&sql, "CREATE TABLE x(");
  for (int i = 0; i < aux->t->ncol; i++) okta_buf_printf(&sql, "%s%s TEXT", i ? ", " : "", aux->t->cols[i]);
  okta_buf_puts(&sql, ")");
  int rc = sql.oom ? SQLITE_NOMEM : sqlite3_declare_vtab(db, sql.p);
  okta_buf_free(&sql);
  if (rc != SQLITE_OK) {
    *pzErr = sqlite3_mprintf("okta: cannot declare %s", aux->t->name);
    return rc;
  }
  graph_vtab *vt = sqlite3_malloc(sizeof(*vt));
  if (!vt) return SQLITE_NOMEM;
  memset(vt, 0, sizeof(*vt));
  vt->ctx = aux->ctx;
  vt->t = aux->t;
  vt->db = db;
  sqlite3_vtab_config(db, SQLITE_VTAB_INNOCUOUS);
  *ppVtab = &vt->base;
  return SQLITE_OK;
}

/* xDisconnect. */
static int graphDisconnect(sqlite3_vtab *pVtab) {
  sqlite3_free(pVtab->zErrMsg);
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

/*
** Plan encoding: every usable "=" constraint is passed to xFilter; idxStr
** lists the constrained columns by index, one character each ('0' + i), in
** argv order. idxNum is unused (0).
*/
static int graphBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *info) {
  graph_vtab *vt = (graph_vtab *)pVtab;
  char cols[MAX_COLS + 1];
  int n = 0;
  double cost = 1e6;
  unsigned seen = 0;
  for (int i = 0; i < info->nConstraint && n < MAX_COLS; i++) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    if (!c->usable || c->op != SQLITE_INDEX_CONSTRAINT_EQ || c->iColumn < 0) continue;
    if (seen & (1u << c->iColumn)) continue;
    seen |= 1u << c->iColumn;
    info->aConstraintUsage[i].argvIndex = ++n;
    cols[n - 1] = (char)('0' + c->iColumn);
    /* Keys narrow most; a type prunes arms. */
    cost /= (vt->t->consts & (1u << c->iColumn)) ? 10 : 1000;
  }
  cols[n] = 0;
  info->idxStr = sqlite3_mprintf("%s", cols);
  if (!info->idxStr) return SQLITE_NOMEM;
  info->needToFreeIdxStr = 1;
  info->estimatedCost = cost;
  info->estimatedRows = (sqlite3_int64)(cost > 10 ? cost : 10);
  return SQLITE_OK;
}

/* xOpen. */
static int graphOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCursor) {
  graph_vtab *vt = (graph_vtab *)pVtab;
  graph_cursor *cur = sqlite3_malloc(sizeof(*cur));
  if (!cur) return SQLITE_NOMEM;
  memset(cur, 0, sizeof(*cur));
  cur->stmts = calloc((size_t)vt->t->narm << vt->t->ncol, sizeof(sqlite3_stmt *));
  if (!cur->stmts) { sqlite3_free(cur); return SQLITE_NOMEM; }
  cur->eof = 1;
  *ppCursor = &cur->base;
  return SQLITE_OK;
}

/* Forgets the constraint values of the previous xFilter. */
static void graph_clear(graph_cursor *cur) {
  for (int i = 0; i < MAX_COLS; i++) {
    free(cur->eq_copy[i]);
    cur->eq_copy[i] = NULL;
    cur->eq[i] = NULL;
  }
  if (cur->cur) sqlite3_reset(cur->cur);
  cur->cur = NULL;
}

/* xClose: finalizes the arms' statements. */
static int graphClose(sqlite3_vtab_cursor *pCur) {
  graph_cursor *cur = (graph_cursor *)pCur;
  graph_vtab *vt = (graph_vtab *)pCur->pVtab;
  graph_clear(cur);
  for (size_t i = 0; i < ((size_t)vt->t->narm << vt->t->ncol); i++) sqlite3_finalize(cur->stmts[i]);
  free(cur->stmts);
  free(cur->org);
  sqlite3_free(cur);
  return SQLITE_OK;
}

/* 1 when arm a cannot yield a row with the constrained constant values. */
static int arm_pruned(const graph_table *t, const graph_arm *a, graph_cursor *cur) {
  for (int i = 0; i < t->ncol; i++) {
    if ((t->consts & (1u << i)) && cur->eq[i] && strcmp(a->consts[i], cur->eq[i]) != 0) return 1;
  }
  return 0;
}

/* The statement of an arm for the current key constraints, prepared once
** per cursor. */
static int arm_stmt(graph_cursor *cur, int arm, sqlite3_stmt **out) {
  graph_vtab *vt = (graph_vtab *)cur->base.pVtab;
  const graph_table *t = vt->t;
  unsigned mask = 0;
  for (int i = 0; i < t->ncol; i++) {
    if (!(t->consts & (1u << i)) && cur->eq[i]) mask |= 1u << i;
  }
  sqlite3_stmt **slot = &cur->stmts[((size_t)arm << t->ncol) + mask];
  if (!*slot) {
    okta_buf sql = {0};
    okta_buf_puts(&sql, "SELECT ");
    int first = 1;
    for (int i = 0; i < t->ncol; i++) {
      if (t->consts & (1u << i)) continue;
      okta_buf_printf(&sql, "%s%s", first ? "" : ", ", t->cols[i]);
      first = 0;
    }
    okta_buf_printf(&sql, " FROM (%s)", t->arms[arm].sql);
    first = 1;
    for (int i = 0; i < t->ncol; i++) {
      if (!(mask & (1u << i))) continue;
      okta_buf_printf(&sql, " %s %s = ?%d", first ? "WHERE" : "AND", t->cols[i], i + 1);
      first = 0;
    }
    if (sql.oom) { okta_buf_free(&sql); return SQLITE_NOMEM; }
    int rc = sqlite3_prepare_v3(vt->db, sql.p, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);
    okta_buf_free(&sql);
    if (rc != SQLITE_OK) {
      okta_vtab_error(&vt->base, "%s arm %d: %s", t->name, arm, sqlite3_errmsg(vt->db));
      return rc;
    }
  }
  sqlite3_stmt *st = *slot;
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  for (int i = 0; i < t->ncol; i++) {
    if (mask & (1u << i)) sqlite3_bind_text(st, i + 1, cur->eq[i], -1, SQLITE_STATIC);
  }
  int org = sqlite3_bind_parameter_index(st, ":org");
  if (org) sqlite3_bind_text(st, org, cur->org, -1, SQLITE_STATIC);
  *out = st;
  return SQLITE_OK;
}

/* Steps to the next row, moving through the arms; skips optional arms the
** token may not read. */
static int graph_step(graph_cursor *cur) {
  graph_vtab *vt = (graph_vtab *)cur->base.pVtab;
  const graph_table *t = vt->t;
  for (;;) {
    if (!cur->cur) {
      while (cur->arm < t->narm && arm_pruned(t, &t->arms[cur->arm], cur)) cur->arm++;
      if (cur->arm >= t->narm) {
        cur->eof = 1;
        return SQLITE_OK;
      }
      int rc = arm_stmt(cur, cur->arm, &cur->cur);
      if (rc != SQLITE_OK) return rc;
    }
    int rc = sqlite3_step(cur->cur);
    if (rc == SQLITE_ROW) {
      cur->rowid++;
      return SQLITE_OK;
    }
    if (rc != SQLITE_DONE) {
      const char *msg = sqlite3_errmsg(vt->db);
      const graph_arm *a = &t->arms[cur->arm];
      int forbidden = strstr(msg, ": 403 ") != NULL || strstr(msg, "insufficient_scope") != NULL;
      if (a->optional && forbidden && rc != SQLITE_INTERRUPT) {
        if (strncmp(msg, "okta: ", 6) == 0) msg += 6;
        okta_ctx_warn(vt->ctx, t->name, "skipped %s: %s", a->consts[t == &entities ? E_TYPE : R_TYPE], msg);
      } else {
        okta_vtab_error(&vt->base, "%s", msg);
        sqlite3_reset(cur->cur);
        cur->cur = NULL;
        return rc == SQLITE_INTERRUPT ? rc : SQLITE_ERROR;
      }
    }
    sqlite3_reset(cur->cur);
    cur->cur = NULL;
    cur->arm++;
  }
}

/* xFilter: the = values (see the plan encoding above graphBestIndex). */
static int graphFilter(sqlite3_vtab_cursor *pCur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv) {
  graph_cursor *cur = (graph_cursor *)pCur;
  graph_vtab *vt = (graph_vtab *)pCur->pVtab;
  (void)idxNum;
  graph_clear(cur);
  cur->arm = 0;
  cur->rowid = 0;
  cur->eof = 0;
  for (int i = 0; i < argc && idxStr && idxStr[i]; i++) {
    int col = idxStr[i] - '0';
    const char *v = (const char *)sqlite3_value_text(argv[i]);
    if (!v) { cur->eof = 1; return SQLITE_OK; } /* = NULL is never true */
    cur->eq_copy[col] = okta_strdup(v);
    if (!cur->eq_copy[col]) return SQLITE_NOMEM;
    cur->eq[col] = cur->eq_copy[col];
  }
  if (!cur->org) {
    char *err = NULL;
    okta_client *c = okta_ctx_client(vt->ctx, &err);
    if (!c) {
      okta_vtab_error(pCur->pVtab, "%s", err ? err : "out of memory");
      free(err);
      return SQLITE_ERROR;
    }
    cur->org = okta_strdup(okta_client_config(c)->org_url);
    if (!cur->org) return SQLITE_NOMEM;
  }
  return graph_step(cur);
}

static int graphNext(sqlite3_vtab_cursor *pCur) { return graph_step((graph_cursor *)pCur); }
static int graphEof(sqlite3_vtab_cursor *pCur) { return ((graph_cursor *)pCur)->eof; }

/* xColumn: an arm constant, or the arm statement's column. */
static int graphColumn(sqlite3_vtab_cursor *pCur, sqlite3_context *ctx, int i) {
  graph_cursor *cur = (graph_cursor *)pCur;
  const graph_table *t = ((graph_vtab *)pCur->pVtab)->t;
  if (t->consts & (1u << i)) {
    sqlite3_result_text(ctx, t->arms[cur->arm].consts[i], -1, SQLITE_STATIC);
    return SQLITE_OK;
  }
  int k = 0;
  for (int c = 0; c < i; c++) {
    if (!(t->consts & (1u << c))) k++;
  }
  sqlite3_result_value(ctx, sqlite3_column_value(cur->cur, k));
  return SQLITE_OK;
}

static int graphRowid(sqlite3_vtab_cursor *pCur, sqlite_int64 *pRowid) {
  *pRowid = ((graph_cursor *)pCur)->rowid;
  return SQLITE_OK;
}

static sqlite3_module graph_module = {
  .iVersion = 0,
  .xConnect = graphConnect,
  .xBestIndex = graphBestIndex,
  .xDisconnect = graphDisconnect,
  .xDestroy = graphDisconnect,
  .xOpen = graphOpen,
  .xClose = graphClose,
  .xFilter = graphFilter,
  .xNext = graphNext,
  .xEof = graphEof,
  .xColumn = graphColumn,
  .xRowid = graphRowid,
};

static void graph_aux_free(void *p) {
  graph_aux *aux = p;
  okta_ctx_unref(aux->ctx);
  sqlite3_free(aux);
}

static const graph_table *const graph_tables[] = {&entities, &relationships};

/* Registers okta_entities and okta_relationships. */
int okta_register_graph(sqlite3 *db, okta_ctx *ctx) {
  int rc = SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && i < COUNT(graph_tables); i++) {
    graph_aux *aux = sqlite3_malloc(sizeof(*aux));
    if (!aux) return SQLITE_NOMEM;
    aux->ctx = ctx;
    aux->t = graph_tables[i];
    okta_ctx_ref(ctx);
    rc = sqlite3_create_module_v2(db, graph_tables[i]->name, &graph_module, aux, graph_aux_free);
  }
  return rc;
}

/* ------------------------------------------------- arms for the mirror */

/* The mirror (vtab/sync.c) rebuilds the graph by running these same arms
** over its plain okta_* tables. Table t (0 okta_entities, 1
** okta_relationships): its name and number of arms; NULL past the last. */
const char *okta_graph_table(int t, int *narm) {
  if (t < 0 || t >= COUNT(graph_tables)) return NULL;
  *narm = graph_tables[t]->narm;
  return graph_tables[t]->name;
}

/* Arm a of table t as one SELECT of every column of the table in order,
** the arm's constants as literals (sqlite3_free it); :org stays a
** parameter. NULL when out of memory or out of range. */
char *okta_graph_arm_select(int t, int a) {
  if (t < 0 || t >= COUNT(graph_tables) || a < 0 || a >= graph_tables[t]->narm) return NULL;
  const graph_table *g = graph_tables[t];
  char *sql = sqlite3_mprintf("SELECT");
  for (int i = 0; sql && i < g->ncol; i++) {
    char *next = g->consts & (1u << i)
                     ? sqlite3_mprintf("%s%s %Q AS %s", sql, i ? "," : "", g->arms[a].consts[i], g->cols[i])
                     : sqlite3_mprintf("%s%s %s", sql, i ? "," : "", g->cols[i]);
    sqlite3_free(sql);
    sql = next;
  }
  char *out = sql ? sqlite3_mprintf("%s FROM (%s)", sql, g->arms[a].sql) : NULL;
  sqlite3_free(sql);
  return out;
}
