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
#include "rowstore.h"
#include "../ext/ctx.h"

#include <stdlib.h>
#include <string.h>

SQLITE_EXTENSION_INIT3

#define MAX_COLS 8
#define SERVE_ALL (-2)
/* Probes on one column after which the whole table is read into the store. */
#define GRAPH_PROBES_BEFORE_STORE 4

typedef struct graph_arm {
  const char *consts[MAX_COLS]; /* value of each constant column, by column index */
  const char *sql;              /* SELECT of the dynamic columns, named as the table's */
  int optional;                 /* a 403 skips the arm with a warning */
  int skip_null;                /* a row whose to_key is NULL is no edge: its properties
                                   column holds the warning to record instead */
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
/* A standard role is keyed by its type, a custom role by its id (an
** assignment without one, by label). */
#define ROLE_KEY(r) \
  "CASE WHEN " r ".type = 'CUSTOM' THEN coalesce(" r ".role_id, 'CUSTOM:' || " r ".label) ELSE " r ".type END"
/* A person is keyed by the email lowercased with Unicode's rules, as
** JupiterOne does (toLowerCase(): ZOË@x -> zoë@x; SQLite's lower() folds
** ASCII only). */
#define PERSON_KEY(u) "okta_lower(" u ".email)"
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
         "json_object('login', u.login, 'email', " PERSON_KEY("u") ", 'status', u.status, 'active', " ACTIVE("u.status")
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
         "FROM (SELECT type, label, role_id FROM okta_user_roles UNION SELECT type, label, role_id FROM okta_group_roles) r "
         "WHERE r.type <> 'CUSTOM' OR r.role_id IS NULL"),
  ENTITY("okta_rule", "Configuration", 0,
         "SELECT r.id AS key, r.name AS name, json_object('status', r.status, 'active', " ACTIVE("r.status")
         ", 'type', r.type, 'expression', r.expression, 'groupIds', json(r.group_ids), 'created', r.created, "
         "'lastUpdated', r.last_updated) AS properties FROM okta_group_rules r"),
  ENTITY("person", "Person", 0,
         "SELECT " PERSON_KEY("u") " AS key, min(trim(coalesce(u.first_name, '') || ' ' || coalesce(u.last_name, ''))) "
         "AS name, json_object('email', " PERSON_KEY("u") ", 'firstName', min(u.first_name), 'lastName', "
         "min(u.last_name), 'userIds', json_group_array(u.id)) AS properties FROM okta_users u "
         "WHERE " IS_PERSON("u") " GROUP BY " PERSON_KEY("u")),
  /* JupiterOne's okta_device (graph-okta src/converters/device.ts): keyed by the device id. */
  ENTITY("okta_device", "Device", 1,
         "SELECT d.id AS key, coalesce(d.resource_display_name, d.display_name) AS name, json_object('status', "
         "d.status, 'platform', d.platform, 'manufacturer', d.manufacturer, 'model', d.model, 'osVersion', "
         "d.os_version, 'serialNumber', d.serial_number, 'registered', json(CASE d.registered WHEN 1 THEN 'true' "
         "WHEN 0 THEN 'false' END), 'secureHardwarePresent', json(CASE d.secure_hardware_present WHEN 1 THEN "
         "'true' WHEN 0 THEN 'false' END), 'resourceType', d.resource_type, 'created', d.created, 'lastUpdated', "
         "d.last_updated) AS properties FROM okta_devices d"),
  /* Custom admin roles, keyed by role id, defined whether or not anyone holds them. */
  ENTITY("okta_role", "AccessRole", 1,
         "SELECT c.id AS key, c.label AS name, json_object('roleType', 'CUSTOM', 'label', c.label, 'description', "
         "c.description, 'permissions', (SELECT json_group_array(p.label) FROM okta_role_permissions p "
         "WHERE p.role_id = c.id), 'created', c.created, 'lastUpdated', c.last_updated) AS properties "
         "FROM okta_custom_roles c"),
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
/* AWS apps (a) and the role values (j) of an assignment: each value is an
** edge to its IAM role ARN (okta_aws_role_arn: a role ARN as it is, a role
** name with the app's account); a value that gives no ARN is no edge but
** a warning naming the app (skip_null). */
#define AWS_APP "(a.name = 'amazon_aws' OR a.aws_account_id IS NOT NULL)"
#define AWS_ROLE_ARN "okta_aws_role_arn(j.value, a.aws_account_id)"
#define AWS_EDGE_PROPS(props)                                                                                \
  "CASE WHEN " AWS_ROLE_ARN " IS NOT NULL THEN " props " ELSE printf('AWS app \"%s\" (%s): role \"%s\" "      \
  "gives no IAM role ARN (%s): it is not an aws_iam_role edge', a.label, a.id, j.value, "                   \
  "CASE WHEN a.aws_account_id IS NULL THEN 'not a role ARN, and the app has no AWS account: "               \
  "settings.app.identityProviderArn is empty' ELSE 'neither a role ARN nor a role name' END) END"
#define AWS_EDGE(from, type, sql) {{from, NULL, "ASSIGNED", "aws_iam_role", NULL, type}, sql, 0, 1}
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
       "'status', r.status, 'resourceSet', r.resource_set) AS properties "                            \
       "FROM okta_group_roles r CROSS JOIN g ON g.id = r.group_id WHERE " kind)
#define GROUP_AWS_ROLE(from, type, kind)                                                              \
  AWS_EDGE(from, type,                                                                               \
       GROUP_TYPES "SELECT ag.group_id AS from_key, " AWS_ROLE_ARN " AS to_key, "                     \
       AWS_EDGE_PROPS("json_object('appId', a.id, 'app', a.label)") " AS properties "               \
       "FROM okta_applications a JOIN okta_app_groups ag ON ag.app_id = a.id CROSS JOIN g ON g.id = ag.group_id, " \
       SAML_ROLES("ag.profile") " WHERE " AWS_APP " AND j.value IS NOT NULL AND j.value <> '' "     \
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
       "r.status, 'assignmentType', r.assignment_type, 'resourceSet', r.resource_set) AS properties "
       "FROM okta_user_roles r "
       "WHERE r.assignment_type = 'USER'"),
  GROUP_ROLE("okta_user_group", "okta_user_group_assigned_role", "g.type <> 'APP_GROUP'"),
  GROUP_ROLE("okta_app_user_group", "okta_app_user_group_assigned_role", "g.type = 'APP_GROUP'"),
  AWS_EDGE("okta_user", "okta_user_assigned_aws_iam_role",
       "SELECT au.user_id AS from_key, " AWS_ROLE_ARN " AS to_key, "
       AWS_EDGE_PROPS("json_object('appId', a.id, 'app', a.label, 'scope', au.scope)") " AS properties "
       "FROM okta_applications a JOIN okta_app_users au ON au.app_id = a.id, " SAML_ROLES("au.profile")
       " WHERE " AWS_APP " AND j.value IS NOT NULL AND j.value <> ''"),
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
       "SELECT u.id AS from_key, " PERSON_KEY("u") " AS to_key, NULL AS properties FROM okta_users u WHERE " IS_PERSON("u")),
  EDGE("okta_account", "HAS", "okta_device", "okta_account_has_device", 1,
       "SELECT :org AS from_key, d.id AS to_key, NULL AS properties FROM okta_devices d"),
  /* A device's users are in its _embedded.users (graph-okta src/steps/devices.ts). */
  EDGE("okta_user", "HAS", "okta_device", "okta_user_has_device", 1,
       "SELECT j.value->>'$.user.id' AS from_key, d.id AS to_key, json_object('managementStatus', "
       "j.value->>'managementStatus', 'screenLockType', j.value->>'screenLockType') AS properties "
       "FROM okta_devices d, json_each(d.users) j WHERE j.type = 'object' AND j.value->>'$.user.id' IS NOT NULL"),
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
  /* Probes: xFilter calls with a key constraint. A correlated subquery
  ** opens a cursor per outer row, so they are counted per table (per
  ** connection), and once they cost as much as reading every row
  ** (okta_probe_build_now) every row is read once into store, which
  ** answers the probes while the response cache would (cache.ttl). */
  long full_pages;          /* pages the last reading of every row cost (0: not yet) */
  int probes, probe_col;    /* probes on one column: another column starts over */
  long probe_pages, max_probe, pages_at_probe;
  okta_rowstore *store;     /* rows: the dynamic columns; tag: the arm */
  double store_expires;     /* monotonic time */
  okta_client *store_cli;   /* the client whose cache it mirrors */
  long store_generation;    /* and the cache generation */
} graph_vtab;

typedef struct graph_cursor {
  sqlite3_vtab_cursor base;
  sqlite3_stmt **stmts;     /* prepared arms: [arm * 2^ncol + mask of key constraints] */
  char *org;
  const char *eq[MAX_COLS]; /* = values of this xFilter (pointers into argv text) */
  char *eq_copy[MAX_COLS];
  int arm;                  /* current arm */
  sqlite3_stmt *cur;        /* statement of the current arm */
  int eof;
  okta_client *cli;
  okta_rowstore *store;     /* the table's store this cursor answers from */
  int serve_col;            /* >= 0: serving from store on this column (SERVE_ALL: every row) */
  int srow;
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
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY); /* reaches the network: not from views or triggers */
  *ppVtab = &vt->base;
  return SQLITE_OK;
}

/* xDisconnect. */
static int graphDisconnect(sqlite3_vtab *pVtab) {
  okta_rowstore_free(((graph_vtab *)pVtab)->store);
  sqlite3_free(pVtab->zErrMsg);
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

/*
** Plan encoding: every usable "=" constraint with the BINARY collation is
** passed to xFilter; idxStr lists the constrained columns by index, one
** character each ('0' + i), in argv order. idxNum is unused (0). SQLite
** checks every constraint again, so the arms may return a superset.
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
    /* Under NOCASE or RTRIM an exact match inside the arms would lose rows. */
    const char *coll = sqlite3_vtab_collation(info, i);
    if (coll && sqlite3_stricmp(coll, "BINARY") != 0) continue;
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
  okta_rowstore_free(cur->store);
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

/* Index in an arm's statement of table column i (constants are not selected). */
static int stmt_col(const graph_table *t, int i) {
  int k = 0;
  for (int c = 0; c < i; c++) {
    if (!(t->consts & (1u << c))) k++;
  }
  return k;
}

static int arm_done(graph_cursor *cur, int rc);

/* 1 when the current row of a skip_null arm is no edge (its to_key is
** NULL): it is skipped, and its properties say why in a warning. */
static int arm_row_skipped(graph_cursor *cur) {
  graph_vtab *vt = (graph_vtab *)cur->base.pVtab;
  const graph_table *t = vt->t;
  if (!t->arms[cur->arm].skip_null || sqlite3_column_type(cur->cur, stmt_col(t, R_TO_KEY)) != SQLITE_NULL) return 0;
  const char *w = (const char *)sqlite3_column_text(cur->cur, stmt_col(t, R_PROPERTIES));
  okta_ctx_warn(vt->ctx, t->name, "%s", w ? w : "an edge without a target was skipped");
  return 1;
}

/* Steps to the next row, moving through the arms; skips optional arms the
** token may not read, and rows of skip_null arms that are no edge. */
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
    if (rc == SQLITE_ROW && arm_row_skipped(cur)) continue;
    if (rc == SQLITE_ROW) return SQLITE_OK;
    rc = arm_done(cur, rc);
    if (rc != SQLITE_OK) return rc;
    cur->arm++;
  }
}

/* Ends the current arm's statement after it stepped to rc (not a row): an
** optional arm the token may not read is skipped with a warning; any other
** failure is the statement's error. */
static int arm_done(graph_cursor *cur, int rc) {
  graph_vtab *vt = (graph_vtab *)cur->base.pVtab;
  const graph_table *t = vt->t;
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
  return SQLITE_OK;
}

/* Reads every row of every arm into the cursor's store. */
static int store_build(graph_cursor *cur) {
  graph_vtab *vt = (graph_vtab *)cur->base.pVtab;
  const graph_table *t = vt->t;
  const char *saved[MAX_COLS];
  memcpy(saved, cur->eq, sizeof(saved));
  memset(cur->eq, 0, sizeof(cur->eq));
  int ndyn = 0;
  for (int i = 0; i < t->ncol; i++) ndyn += !(t->consts & (1u << i));
  long before = okta_pages_read(cur->cli);
  okta_rowstore *rs = okta_rowstore_new(ndyn, ~(uint64_t)0);
  int rc = rs ? SQLITE_OK : SQLITE_NOMEM;
  sqlite3_value *vals[MAX_COLS];
  for (cur->arm = 0; rc == SQLITE_OK && cur->arm < t->narm; cur->arm++) {
    rc = arm_stmt(cur, cur->arm, &cur->cur);
    int step = SQLITE_ROW;
    while (rc == SQLITE_OK && (step = sqlite3_step(cur->cur)) == SQLITE_ROW) {
      if (arm_row_skipped(cur)) continue;
      for (int k = 0; k < ndyn; k++) vals[k] = sqlite3_column_value(cur->cur, k);
      rc = okta_rowstore_add(rs, vals, cur->arm);
    }
    if (rc == SQLITE_OK) rc = arm_done(cur, step);
  }
  memcpy(cur->eq, saved, sizeof(saved));
  if (cur->cur) {
    sqlite3_reset(cur->cur);
    cur->cur = NULL;
  }
  if (rc != SQLITE_OK) {
    okta_rowstore_free(rs);
    return rc;
  }
  vt->full_pages = okta_pages_read(cur->cli) - before;
  if (vt->full_pages < 1) vt->full_pages = 1;
  okta_rowstore_free(vt->store);
  vt->store = rs;
  vt->store_cli = cur->cli;
  vt->store_generation = okta_client_cache_generation(cur->cli);
  vt->store_expires = okta_now_mono() + okta_config_real(okta_client_config(cur->cli), CFG_CACHE_TTL);
  vt->probes = 0;
  vt->probe_pages = vt->max_probe = 0;
  return SQLITE_OK;
}

/* Next stored row matching the constraints, from cur->srow on: by the
** index of a key column, or (SERVE_ALL) every row of the arms left. */
static int store_step(graph_cursor *cur) {
  graph_vtab *vt = (graph_vtab *)cur->base.pVtab;
  const graph_table *t = vt->t;
  const char *key = cur->serve_col >= 0 ? cur->eq[cur->serve_col] : NULL;
  int k = 0;
  for (int c = 0; c < cur->serve_col; c++) k += !(t->consts & (1u << c));
  for (;;) {
    if (key) cur->srow = okta_rowstore_find(cur->store, k, key, (int)strlen(key), cur->srow);
    else if (++cur->srow >= okta_rowstore_count(cur->store)) cur->srow = -1;
    if (cur->srow == -2) return SQLITE_NOMEM;
    if (cur->srow < 0) {
      cur->eof = 1;
      return SQLITE_OK;
    }
    if (!arm_pruned(t, &t->arms[okta_rowstore_tag(cur->store, cur->srow)], cur)) return SQLITE_OK;
  }
}

/* xFilter: the = values (see the plan encoding above graphBestIndex). */
static int graphFilter(sqlite3_vtab_cursor *pCur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv) {
  graph_cursor *cur = (graph_cursor *)pCur;
  graph_vtab *vt = (graph_vtab *)pCur->pVtab;
  (void)idxNum;
  graph_clear(cur);
  cur->arm = 0;
  cur->eof = 0;
  cur->serve_col = -1;
  int keyed = -1, typed = 0;
  for (int i = 0; i < argc && idxStr && idxStr[i]; i++) {
    int col = idxStr[i] - '0';
    int blob = sqlite3_value_type(argv[i]) == SQLITE_BLOB; /* asked before the text conversion */
    const char *v = (const char *)sqlite3_value_text(argv[i]);
    /* = NULL is never true, nor is a blob equal to text */
    if (!v || blob) { cur->eof = 1; return SQLITE_OK; }
    cur->eq_copy[col] = okta_strdup(v);
    if (!cur->eq_copy[col]) return SQLITE_NOMEM;
    cur->eq[col] = cur->eq_copy[col];
    if (keyed < 0 && !(vt->t->consts & (1u << col))) keyed = col;
    typed |= (vt->t->consts & (1u << col)) != 0;
  }
  if (!cur->org) {
    char *err = NULL;
    okta_client *c = okta_ctx_client(vt->ctx, &err);
    if (!c) {
      okta_vtab_error(pCur->pVtab, "%s", err ? err : "out of memory");
      free(err);
      return SQLITE_ERROR;
    }
    cur->cli = c;
    cur->org = okta_strdup(okta_client_config(c)->org_url);
    if (!cur->org) return SQLITE_NOMEM;
  }
  okta_rowstore_free(cur->store);
  cur->store = NULL;
  if (vt->store && (vt->store_cli != cur->cli || okta_now_mono() > vt->store_expires ||
                    vt->store_generation != okta_client_cache_generation(cur->cli) || !okta_client_caching(cur->cli))) {
    okta_rowstore_free(vt->store); /* as stale as the responses it came from */
    vt->store = NULL;
  }
  if ((keyed >= 0 || typed) && okta_client_caching(cur->cli)) {
    /* What the previous probe cost, then whether to read everything now. */
    long now = okta_pages_read(cur->cli);
    if (vt->probes && vt->probe_col == keyed) {
      long last = now - vt->pages_at_probe;
      vt->probe_pages += last;
      if (last > vt->max_probe) vt->max_probe = last;
    } else {
      vt->probes = 0; /* a join probes one column: other lookups are not its probes */
      vt->probe_pages = vt->max_probe = 0;
      vt->probe_col = keyed;
    }
    /* Requests decide first; but a probe answered from cached responses
    ** still runs every arm's SQL (an arm whose key is computed, like the
    ** person's lowered email, scans its whole table), so a few probes on
    ** one column are enough to read everything once. */
    if (!vt->store && (vt->probes >= GRAPH_PROBES_BEFORE_STORE ||
                       okta_probe_build_now(vt->probes, vt->probe_pages, vt->max_probe, vt->full_pages, 0, 1))) {
      int rc = store_build(cur);
      if (rc != SQLITE_OK) return rc;
    }
    vt->probes++;
    vt->pages_at_probe = okta_pages_read(cur->cli);
    if (vt->store) {
      cur->store = okta_rowstore_ref(vt->store);
      cur->serve_col = keyed >= 0 ? keyed : SERVE_ALL;
      cur->srow = -1;
      return store_step(cur);
    }
  }
  return graph_step(cur);
}

static int graphNext(sqlite3_vtab_cursor *pCur) {
  graph_cursor *cur = (graph_cursor *)pCur;
  return cur->serve_col != -1 ? store_step(cur) : graph_step(cur);
}
static int graphEof(sqlite3_vtab_cursor *pCur) { return ((graph_cursor *)pCur)->eof; }

/* The value of column i of the current row: an arm constant (as text in
** *konst), or a value of the arm's statement or of the store. */
static sqlite3_value *graph_value(graph_cursor *cur, int i, const char **konst) {
  const graph_table *t = ((graph_vtab *)cur->base.pVtab)->t;
  int arm = cur->serve_col != -1 ? okta_rowstore_tag(cur->store, cur->srow) : cur->arm;
  *konst = NULL;
  if (t->consts & (1u << i)) {
    *konst = t->arms[arm].consts[i];
    return NULL;
  }
  int k = stmt_col(t, i);
  return cur->serve_col != -1 ? okta_rowstore_value(cur->store, cur->srow, k) : sqlite3_column_value(cur->cur, k);
}

/* xColumn: an arm constant, or the arm statement's (or the store's) column. */
static int graphColumn(sqlite3_vtab_cursor *pCur, sqlite3_context *ctx, int i) {
  const char *konst;
  sqlite3_value *v = graph_value((graph_cursor *)pCur, i, &konst);
  if (konst) sqlite3_result_text(ctx, konst, -1, SQLITE_STATIC);
  else if (v) sqlite3_result_value(ctx, v);
  return SQLITE_OK;
}

/* xRowid: a hash of every column, the same whichever plan reads the row
** (SQLite's multi-index OR de-duplicates by rowid). */
static int graphRowid(sqlite3_vtab_cursor *pCur, sqlite_int64 *pRowid) {
  const graph_table *t = ((graph_vtab *)pCur->pVtab)->t;
  const char *parts[MAX_COLS];
  size_t lens[MAX_COLS];
  for (int i = 0; i < t->ncol; i++) {
    sqlite3_value *v = graph_value((graph_cursor *)pCur, i, &parts[i]);
    if (v) parts[i] = (const char *)sqlite3_value_text(v);
    lens[i] = parts[i] ? strlen(parts[i]) : 0;
  }
  *pRowid = okta_key_hash(parts, lens, t->ncol);
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

/* For a skip_null arm: SQL selecting why its rows without a target are no
** edge (what the live table warns about), each reason once with its count
** of rows; NULL for other arms. */
char *okta_graph_arm_skipped(int t, int a) {
  if (t < 0 || t >= COUNT(graph_tables) || a < 0 || a >= graph_tables[t]->narm) return NULL;
  const graph_arm *arm = &graph_tables[t]->arms[a];
  return arm->skip_null
             ? sqlite3_mprintf("SELECT properties, count(*) FROM (%s) WHERE to_key IS NULL GROUP BY 1", arm->sql)
             : NULL;
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
  /* A skip_null arm's row without a target is no edge (the live table
  ** skips it with a warning). */
  char *out = sql ? sqlite3_mprintf("%s FROM (%s)%s", sql, g->arms[a].sql,
                                    g->arms[a].skip_null ? " WHERE to_key IS NOT NULL" : "")
                  : NULL;
  sqlite3_free(sql);
  return out;
}
