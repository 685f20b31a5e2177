/*
** okta_sync(): a local mirror of the org, kept current from the System Log.
**
**   SELECT okta_sync('okta.db');            -- first run: a full pull; later: incremental
**   SELECT okta_sync('okta.db', 'full');    -- a full pull, whatever the mirror holds
**
** The mirror is a plain SQLite file whose okta_* tables have the SAME names
** and columns as the live tables (the live table's visible columns, from
** PRAGMA table_xinfo), so every report runs unchanged against it: open the
** mirror as the main database of a connection with the extension loaded and
** its plain okta_* tables hide the eponymous virtual tables of the same name
** (`sqlite3 -cmd '.load okta' okta.db < sql/admins.sql` makes no request).
** okta_entities and okta_relationships are rebuilt from the mirrored tables
** by running the graph's own arms (vtab/graph.c) on the mirror: no request.
** It returns JSON: mode (full or incremental), requests, changes, seconds,
** graph_seconds (running the graph's arms) and graph_apply_seconds
** (matching and writing their rows), per-table counts and what was done to
** each table, warnings, and "absent": the tables of the specs this build
** does not have (skipped; a warning says so when the mirror holds rows of
** one, which are then kept as they were).
**
** How it reads and writes. The live tables are read with SQL through a
** private in-memory connection on which the okta_* modules are registered
** with the caller's context (same settings, client, statistics and
** warnings), so a mirror opened as the caller's main database cannot hide
** the live tables from the sync. The mirror is written through its own
** connection, in ONE transaction per run (BEGIN IMMEDIATE ... COMMIT): a run
** that fails (network, 403 where it matters, sqlite3_interrupt() on the
** caller's connection, a crash) leaves the file exactly as the last good run
** left it, and the next run starts from that run's high-water mark. A second
** process syncing the same file waits up to 10 s for the lock, then fails
** with an error saying so. A file with tables but no okta_sync_runs is not
** a mirror and is refused untouched. A mirror of another org is refused.
**
** What a run does. The tables, and how each is kept current, are DATA (the
** specs[] table below; a new table is one line). Kinds of refresh:
**   users    okta_users: `last_updated > hwm - overlap` (filter=lastUpdated,
**            which returns DEPROVISIONED users too), plus the users the log
**            names (sign-ins, lifecycle, deletions) by id, 50 per request.
**   groups   okta_groups: `search=lastUpdated gt X or lastMembershipUpdated
**            gt X`, plus the groups the log names; a group whose
**            lastMembershipUpdated moved has its members re-pulled.
**   child    rows hanging off users, groups or apps: re-pulled for the ids
**            the log events name (event type prefixes and target types are
**            in the spec). A table with two scope columns (app users: by app
**            or by user) is re-pulled by whichever is cheaper, estimated from
**            the mirror's own row counts.
**   every    re-listed on every run (group rules: the event catalog has no
**            event for a rule created or updated).
**   event    small configuration tables: re-listed when an event with one of
**            their prefixes appears, and whenever their last pull is over 20
**            hours old (a daily sync re-lists them; a safety net for events
**            we do not know).
**   log      okta_system_log keeps the events the graph reads (app creations,
**            last 90 days: the window of the CREATED edges), appended from
**            each incremental read and pruned to the window.
**   graph    okta_entities and okta_relationships, from the graph's arms;
**            matched with the mirror's rows through their key index, so a
**            run writes (and records) only the rows that changed.
** Rows derived from other rows follow them without a request: a member row's
** login, email and status are the user's (copy), and rows of a deleted user,
** group or app go with it (refs).
**
** The System Log. An incremental run reads every event published since the
** previous run's high-water mark minus an overlap of 10 minutes (the log is
** eventually consistent: an event may appear after its publication time),
** drops the uuids already processed (okta_sync_seen), and turns each event
** into re-pulls of what its targets name (failed outcomes change nothing and
** are skipped). The high-water mark of a run is the time it started (the
** client's clock, which must be within the overlap of Okta's). Where the log
** cannot answer (a token that may not read it, a previous run more than 90
** days ago: Okta keeps 90 days) the run pulls everything in full and says why
** in a warning. An event type not in the specs nor in the read-only list
** (ignored[]) that names a user, group or app re-pulls every table row
** hanging off what it names, with a warning naming the event type.
**
** Bookkeeping in the mirror: okta_sync_runs (one row per committed run: run,
** started, finished, mode, requests, changes, warnings as JSON, hwm as JSON,
** org, tables as JSON), okta_changes (the change feed: run, table_name,
** row_key, op in insert/update/delete, old and new as JSON; updates keep only
** the changed columns; the first run loads the mirror and writes no feed;
** okta_system_log appends are not in the feed), okta_sync_tables (columns and
** last full pull of each table) and okta_sync_seen (uuids of the events of the
** overlap window).
**
** Full runs make the same requests as sql/snapshot.sql for the same tables
** (the graph comes from the mirror, not from a second pull); the response
** cache is cleared when a run starts so nothing older than the run is used.
*/
#include "tables.h"
#include "../ext/ctx.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

SQLITE_EXTENSION_INIT3

#define OVERLAP_MS (10 * 60 * 1000LL)
#define LOG_DAYS 90
#define EVENT_TABLE_MAX_AGE_MS (20 * 3600 * 1000LL)
#define BUSY_TIMEOUT_MS 10000
#define MAX_COLS 64

int okta_register_table(sqlite3 *db, okta_ctx *ctx, const okta_table *t);
int okta_register_graph(sqlite3 *db, okta_ctx *ctx);
const char *okta_graph_table(int t, int *narm);
char *okta_graph_arm_select(int t, int a);
char *okta_graph_arm_skipped(int t, int a);

/* ------------------------------------------------------------ the specs */

enum { R_USERS, R_GROUPS, R_CHILD, R_EVERY, R_EVENT, R_LOG, R_GRAPH };

/* A column a re-pull can be narrowed to, the event target type whose id
** gives its values, and about how many rows one request returns (for the
** cost estimate; 0: one request per value whatever it holds). */
typedef struct sync_scope {
  const char *col;
  const char *type;
  int per_request;
} sync_scope;

typedef struct sync_spec {
  const char *name;
  int refresh;
  const char *key;        /* key columns (space-separated): row_key of the feed, indexes */
  sync_scope scope[2];
  const char *events;     /* '|'-separated event types; "x." is a prefix; "@actor": the actor is the target */
  const char *refs;       /* "col:table ...": a row goes when the row it references goes */
  const char *copy;       /* "table:col:a b c": columns a, b, c are table's, of the row whose key is col */
  int page;               /* rows per request of the full listing (users, groups: by id or re-list) */
  const char *index;      /* indexes, when not one per key column: "a,b c" is (a, b) and (c) */
  int on_status;          /* a user whose status changed has its rows (user_id) re-pulled */
} sync_spec;

/* Event types for the tables of the core, from Okta's event type catalog
** (okta/okta-developer-docs, data/event-types.json): user.lifecycle.create
** / activate / deactivate / suspend / unsuspend / delete.initiated /
** delete.completed, user.session.start, group.user_membership.add / remove,
** group.lifecycle.create / delete, group.application_assignment.add /
** remove / update, group.privilege.grant / revoke,
** application.user_membership.add / remove / update / change_username / ...,
** application.lifecycle.create / update / activate / deactivate / delete,
** user.mfa.factor.activate / deactivate / reset_all / update / suspend /
** unsuspend, user.account.privilege.grant / revoke. Their targets (Okta
** Workflows' event cards and recorded events): User and UserGroup for
** memberships; AppUser, AppInstance and User for app assignments; AppInstance
** and UserGroup for group assignments; User for factors and user privileges;
** UserGroup for group privileges; the actor for sign-ins. The tables other
** branches add are listed too: a table this build lacks is skipped with a
** warning. */
static const sync_spec specs[] = {
  {"okta_org", R_EVENT, "id", .events = "system.org.|user.session.impersonation."},
  {"okta_users", R_USERS, "id", {{"id", "User", 50}}, "user.lifecycle.|user.session.start@actor", .page = 200},
  {"okta_groups", R_GROUPS, "id", {{"id", "UserGroup", 50}}, "group.lifecycle.", .page = 200},
  {"okta_applications", R_CHILD, "id", {{"id", "AppInstance", 50}}, "application.lifecycle.", .page = 200},
  {"okta_group_members", R_CHILD, "group_id user_id", {{"group_id", "UserGroup", 1000}, {"user_id", "User", 200}},
   "group.user_membership.add|group.user_membership.remove", "group_id:okta_groups user_id:okta_users",
   "okta_users:user_id:login email status"},
  {"okta_group_rules", R_EVERY, "id"},
  {"okta_app_groups", R_CHILD, "app_id group_id", {{"app_id", "AppInstance", 200}, {"group_id", "UserGroup", 1}},
   "group.application_assignment.", "app_id:okta_applications group_id:okta_groups"},
  {"okta_app_users", R_CHILD, "app_id user_id", {{"app_id", "AppInstance", 500}, {"user_id", "User", 1}},
   "application.user_membership.", "app_id:okta_applications user_id:okta_users", .on_status = 1},
  {"okta_user_factors", R_CHILD, "user_id id", {{"user_id", "User", 0}}, "user.mfa.factor.", "user_id:okta_users",
   .on_status = 1},
  {"okta_user_authenticator_enrollments", R_CHILD, "user_id id", {{"user_id", "User", 0}},
   "user.mfa.factor.|user.authenticator.", "user_id:okta_users", .on_status = 1},
  {"okta_group_roles", R_CHILD, "group_id id", {{"group_id", "UserGroup", 0}}, "group.privilege.",
   "group_id:okta_groups"},
  {"okta_user_roles", R_CHILD, "user_id id assignment_type", {{"user_id", "User", 0}}, "user.account.privilege.",
   "user_id:okta_users"},
  {"okta_system_log", R_LOG, "uuid", .events = "application.lifecycle.create|application.lifecycle.update"},
  {"okta_user_types", R_EVENT, "id", .events = "user.type."},
  {"okta_devices", R_EVENT, "id", .events = "device."},
  {"okta_policies", R_EVENT, "id", .events = "policy.lifecycle."},
  {"okta_policy_rules", R_EVENT, "policy_id id", .events = "policy.lifecycle.|policy.rule."},
  {"okta_policy_mappings", R_EVENT, "policy_id id", .events = "policy.lifecycle.|application.policy."},
  {"okta_network_zones", R_EVENT, "id", .events = "zone."},
  {"okta_trusted_origins", R_EVENT, "id", .events = "system.trusted_origin."},
  {"okta_authorization_servers", R_EVENT, "id", .events = "oauth2.as."},
  {"okta_auth_server_policies", R_EVENT, "auth_server_id id", .events = "oauth2.as."},
  {"okta_auth_server_policy_rules", R_EVENT, "auth_server_id policy_id id", .events = "oauth2.as."},
  {"okta_auth_server_scopes", R_EVENT, "auth_server_id id", .events = "oauth2.as."},
  {"okta_auth_server_claims", R_EVENT, "auth_server_id id", .events = "oauth2.as."},
  {"okta_auth_server_clients", R_EVENT, "auth_server_id client_id", .events = "oauth2.as.|app.oauth2.as.token.revoke"},
  {"okta_identity_providers", R_EVENT, "id", .events = "system.idp."},
  {"okta_authenticators", R_EVENT, "id", .events = "security.authenticator."},
  {"okta_api_tokens", R_EVENT, "id", .events = "system.api_token."},
  {"okta_custom_roles", R_EVENT, "id", .events = "iam.role."},
  {"okta_role_permissions", R_EVENT, "role_id label", .events = "iam.role."},
  {"okta_resource_sets", R_EVENT, "id", .events = "iam.resourceset."},
  {"okta_resource_set_resources", R_EVENT, "resource_set_id id", .events = "iam.resourceset."},
  {"okta_group_owners", R_EVENT, "group_id id", .events = "group.owner.|user.lifecycle.delete|group.lifecycle.delete"},
  {"okta_entities", R_GRAPH, "type key", .index = "key,type"},
  {"okta_relationships", R_GRAPH, "type from_key to_key", .index = "from_key,to_key to_key"},
};

/* Event types that change nothing the mirror holds, or only what the
** lastUpdated filters already show (prefixes end in '.'). Any other event
** type a rule above does not know, naming a user, group or app, makes the
** rows hanging off what it names be re-pulled. */
static const char *const ignored[] = {
  "user.session.", "user.authentication.", "user.account.", "user.mfa.okta_verify", "user.mfa.attempt_bypass",
  "policy.evaluate_sign_on", "app.oauth2.", "app.generic.unauth_app_access_attempt", "application.provision.",
  "application.integration.", "application.configuration.", "group.profile.update", "group.user_membership.rule.",
  "system.", "security.", "core.", "directory.", "app.", "event_hook.", "inline_hook.", "workflows.", "task.",
  "scheduled_action.", "analytics.", "credential.",
};

/* ------------------------------------------------------------ a run */

typedef struct tstate {
  int present;                  /* the live table exists in this build */
  int ncol;
  char *cols;                   /* "a", "b", ... (visible columns of the live table) */
  char *json;                   /* json_object('a', "a", ...) */
  char *keyx;                   /* the row_key expression */
  int full;                     /* re-pull in full this run */
  char *why;                    /* why it was pulled in full (or skipped) */
  const char *did;              /* what the run did */
  int skipped;                  /* could not be read: rows kept */
  int touched;                  /* refreshed this run */
} tstate;

typedef struct sync_run {
  okta_ctx *ctx;
  sqlite3 *udb;                 /* the caller's connection: its interrupts stop the run */
  sqlite3 *live;                /* private connection with the okta_* modules */
  sqlite3 *m;                   /* the mirror */
  okta_client *cli;
  const char *path;
  char *org;
  sqlite3_int64 start_ms;
  char start_iso[32], since_iso[32], window_iso[32];
  double t0, last_check, graph_seconds, graph_apply_seconds;
  sqlite3_int64 prev;           /* previous committed run, 0 if none */
  sqlite3_int64 run;
  int forced, full, record;
  char *why_full;
  long req0;
  cJSON *warnings;
  char *err;
  int interrupted;
  tstate st[COUNT(specs)];
} sync_run;

/* Records the first error of the run. */
static void fail(sync_run *r, const char *fmt, ...) {
  if (r->err) return;
  va_list ap;
  va_start(ap, fmt);
  r->err = sqlite3_vmprintf(fmt, ap);
  va_end(ap);
}

/* Records a warning of the run (also in okta_warnings()). */
static void warn(sync_run *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = sqlite3_vmprintf(fmt, ap);
  va_end(ap);
  if (!msg) return;
  cJSON_AddItemToArray(r->warnings, cJSON_CreateString(msg));
  okta_ctx_warn(r->ctx, "okta_sync", "%s", msg);
  sqlite3_free(msg);
}

/* 1 when the caller's connection was interrupted (sqlite3_interrupt). A
** statement stepped on an interrupted connection fails at once, and SQLite
** 3.40 has no sqlite3_is_interrupted(). */
static int interrupted(sync_run *r) {
  if (r->interrupted) return 1;
  double now = okta_now_mono();
  if (now - r->last_check < 0.05) return 0;
  r->last_check = now;
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(r->udb, "SELECT 1", -1, &st, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_step(st);
  else rc = sqlite3_errcode(r->udb);
  sqlite3_finalize(st);
  if (rc == SQLITE_INTERRUPT) r->interrupted = 1;
  return r->interrupted;
}

/* Progress handler of the mirror's connection: long local work stops too. */
static int mirror_progress(void *arg) { return interrupted(arg); }

/* Runs SQL (a printf format) on the mirror. */
static int mx(sync_run *r, const char *fmt, ...) {
  if (r->err) return SQLITE_ERROR;
  va_list ap;
  va_start(ap, fmt);
  char *sql = sqlite3_vmprintf(fmt, ap);
  va_end(ap);
  if (!sql) { fail(r, "out of memory"); return SQLITE_NOMEM; }
  char *msg = NULL;
  int rc = sqlite3_exec(r->m, sql, NULL, NULL, &msg);
  if (rc != SQLITE_OK) {
    if (rc == SQLITE_INTERRUPT || interrupted(r)) r->interrupted = 1;
    else fail(r, "%s: %s", r->path, msg ? msg : sqlite3_errstr(rc));
  }
  sqlite3_free(msg);
  sqlite3_free(sql);
  return rc;
}

/* Prepares SQL (a printf format) on db; NULL with the run's error set. */
static sqlite3_stmt *prep(sync_run *r, sqlite3 *db, const char *fmt, ...) {
  if (r->err) return NULL;
  va_list ap;
  va_start(ap, fmt);
  char *sql = sqlite3_vmprintf(fmt, ap);
  va_end(ap);
  sqlite3_stmt *st = NULL;
  if (!sql) fail(r, "out of memory");
  else if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) fail(r, "%s", sqlite3_errmsg(db));
  sqlite3_free(sql);
  return st;
}

/* Prepares a query (format and arguments) on the mirror and steps it to
** its first row (*row: 1, or 0 when it has none); NULL with the run's
** error set when it fails. */
static sqlite3_stmt *first_row(sync_run *r, int *row, const char *fmt, va_list ap) {
  char *sql = sqlite3_vmprintf(fmt, ap);
  sqlite3_stmt *st = NULL;
  int rc = sql ? sqlite3_prepare_v2(r->m, sql, -1, &st, NULL) : SQLITE_NOMEM;
  if (rc == SQLITE_OK) rc = sqlite3_step(st);
  sqlite3_free(sql);
  *row = rc == SQLITE_ROW;
  if (rc == SQLITE_ROW || rc == SQLITE_DONE) return st;
  if (rc == SQLITE_INTERRUPT || interrupted(r)) r->interrupted = 1;
  fail(r, "%s: %s", r->path, rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(r->m));
  sqlite3_finalize(st);
  return NULL;
}

/* The integer a query (a printf format) on the mirror returns; -1 on error. */
static sqlite3_int64 mint(sync_run *r, const char *fmt, ...) {
  if (r->err) return -1;
  int row;
  va_list ap;
  va_start(ap, fmt);
  sqlite3_stmt *st = first_row(r, &row, fmt, ap);
  va_end(ap);
  sqlite3_int64 v = !st ? -1 : row ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_finalize(st);
  return v;
}

/* The text a query on the mirror returns (sqlite3_free it); NULL if none. */
static char *mtext(sync_run *r, const char *fmt, ...) {
  if (r->err) return NULL;
  int row;
  va_list ap;
  va_start(ap, fmt);
  sqlite3_stmt *st = first_row(r, &row, fmt, ap);
  va_end(ap);
  char *v = st && row && sqlite3_column_text(st, 0) ? sqlite3_mprintf("%s", sqlite3_column_text(st, 0)) : NULL;
  sqlite3_finalize(st);
  return v;
}

/* Splits s at spaces into at most max words of at most 63 characters. */
static int words(const char *s, char out[][64], int max) {
  int n = 0;
  while (s && *s && n < max) {
    while (*s == ' ') s++;
    size_t len = strcspn(s, " ");
    if (!len) break;
    snprintf(out[n++], 64, "%.*s", (int)len, s);
    s += len;
  }
  return n;
}

static int spec_index(const char *name) {
  for (int i = 0; i < COUNT(specs); i++) {
    if (strcmp(specs[i].name, name) == 0) return i;
  }
  return -1;
}

/* 1 when table t has column c. */
static int has_col(sync_run *r, int t, const char *c) {
  char want[80];
  snprintf(want, sizeof(want), "\"%s\"", c);
  const char *p = r->st[t].cols;
  size_t n = strlen(want);
  while (p && (p = strstr(p, want))) {
    if ((p == r->st[t].cols || p[-1] == ' ') && (p[n] == ',' || p[n] == 0)) return 1;
    p += n;
  }
  return 0;
}

/* The quoted columns of an index entry ("a,b"), those table t has; NULL
** when it has none (sqlite3_free it). */
static char *index_columns(sync_run *r, int t, const char *entry) {
  char *out = NULL;
  for (const char *p = entry; *p;) {
    size_t n = strcspn(p, ",");
    char c[64];
    snprintf(c, sizeof(c), "%.*s", (int)(n < 63 ? n : 63), p);
    if (has_col(r, t, c)) {
      char *x = out ? sqlite3_mprintf("%s, \"%w\"", out, c) : sqlite3_mprintf("\"%w\"", c);
      sqlite3_free(out);
      out = x;
    }
    p += n + (p[n] == ',');
  }
  return out;
}

/* "?, ?, ..." for n values (sqlite3_free it). */
static char *placeholders(int n) {
  char *p = sqlite3_mprintf("?");
  for (int i = 1; p && i < n; i++) {
    char *q = sqlite3_mprintf("%s, ?", p);
    sqlite3_free(p);
    p = q;
  }
  return p;
}

/* A JSON array of the '|'-separated words of s (sqlite3_free it). */
static char *json_words(const char *s) {
  char *out = sqlite3_mprintf("[");
  for (const char *p = s; out && p && *p;) {
    size_t n = strcspn(p, "|");
    char *q = sqlite3_mprintf("%s%s\"%.*s\"", out, out[1] ? "," : "", (int)n, p);
    sqlite3_free(out);
    out = q;
    p += n + (p[n] == '|');
  }
  char *q = out ? sqlite3_mprintf("%s]", out) : NULL;
  sqlite3_free(out);
  return q;
}

/* 1 when an error message says the source may not be read here (rather
** than that the network or the run failed). */
static int unreadable(const char *msg) {
  return strstr(msg, ": 403 ") || strstr(msg, "insufficient_scope") || strstr(msg, ": 404 ") ||
         strstr(msg, ": 400 ");
}

/* ----------------------------------------------------------- reading */

/* A live statement stopped with rc: -1 when the run must stop (error set,
** or interrupted), -2 when the source may not be read here; *msg is the
** error without its "okta: " prefix. */
static int read_failure(sync_run *r, int rc, const char **msg) {
  const char *m = sqlite3_errmsg(r->live);
  *msg = strncmp(m, "okta: ", 6) == 0 ? m + 6 : m;
  if (rc == SQLITE_INTERRUPT || interrupted(r)) {
    r->interrupted = 1;
    return -1;
  }
  if (unreadable(m)) return -2;
  fail(r, "%s", m);
  return -1;
}

/* Runs `SELECT <columns> FROM <table> <where>` on the live connection with
** the text arguments, appending each row to temp."new_<table>". Returns the
** rows, -1 when the run failed (error set), -2 when the source may not be
** read (a warning says so). */
static long pull(sync_run *r, int t, const char *where, int nargs, const char *const *args) {
  tstate *s = &r->st[t];
  char *marks = placeholders(s->ncol);
  sqlite3_stmt *src = prep(r, r->live, "SELECT %s FROM \"%w\" %s", s->cols, specs[t].name, where ? where : "");
  sqlite3_stmt *dst = marks ? prep(r, r->m, "INSERT INTO temp.\"new_%w\" VALUES (%s)", specs[t].name, marks) : NULL;
  sqlite3_free(marks);
  long rows = 0;
  int rc = SQLITE_OK;
  for (int i = 0; src && i < nargs; i++) sqlite3_bind_text(src, i + 1, args[i], -1, SQLITE_STATIC);
  while (src && dst && (rc = sqlite3_step(src)) == SQLITE_ROW) {
    for (int c = 0; c < s->ncol; c++) sqlite3_bind_value(dst, c + 1, sqlite3_column_value(src, c));
    if (sqlite3_step(dst) != SQLITE_DONE) {
      fail(r, "%s: %s", r->path, sqlite3_errmsg(r->m));
      break;
    }
    sqlite3_reset(dst);
    if ((++rows & 1023) == 0 && interrupted(r)) break;
  }
  long out = rows;
  if (!src || !dst || r->err || r->interrupted) {
    out = -1;
  } else if (rc != SQLITE_DONE) {
    const char *msg;
    out = read_failure(r, rc, &msg);
    if (out == -2) warn(r, "%s not refreshed, its rows are kept: %s", specs[t].name, msg);
  }
  sqlite3_finalize(src);
  sqlite3_finalize(dst);
  if (out < 0) mx(r, "DELETE FROM temp.\"new_%w\"", specs[t].name);
  return out;
}

/* ---------------------------------------------------------- applying */

/* Makes the mirror's rows of table t within scope (a condition on its
** columns; "1": the whole table) equal to temp."new_<t>", which it empties.
** When the run records changes, temp.chg keeps, per row key, the row as it
** was when the run started ('old') and as it is now ('new'). */
static int apply(sync_run *r, int t, const char *scope) {
  const char *n = specs[t].name;

  tstate *s = &r->st[t];
  s->touched = 1;
  if (r->record && specs[t].refresh != R_LOG) {
    mx(r, "CREATE TEMP TABLE gone AS SELECT %s AS k, %s AS j FROM (SELECT %s FROM main.\"%w\" WHERE %s "
          "EXCEPT SELECT %s FROM temp.\"new_%w\")",
       s->keyx, s->json, s->cols, n, scope, s->cols, n);
    mx(r, "CREATE TEMP TABLE came AS SELECT %s AS k, %s AS j FROM (SELECT %s FROM temp.\"new_%w\" "
          "EXCEPT SELECT %s FROM main.\"%w\" WHERE %s)",
       s->keyx, s->json, s->cols, n, s->cols, n, scope);
    /* The state before the run is the first one seen; the last one wins. */
    mx(r, "DELETE FROM temp.chg WHERE tbl = %Q AND side = 'new' AND k IN (SELECT k FROM temp.gone)", n);
    mx(r, "INSERT INTO temp.chg(tbl, k, side, j) SELECT %Q, k, 'old', j FROM temp.gone g "
          "WHERE NOT EXISTS (SELECT 1 FROM temp.chg c WHERE c.tbl = %Q AND c.k IS g.k)", n, n);
    mx(r, "INSERT INTO temp.chg(tbl, k, side, j) SELECT %Q, k, 'new', j FROM temp.came", n);
    mx(r, "DROP TABLE temp.gone; DROP TABLE temp.came");
  }
  /* Without a WHERE, SQLite empties the table at once (not row by row). */
  if (strcmp(scope, "1") == 0) mx(r, "DELETE FROM main.\"%w\"", n);
  else mx(r, "DELETE FROM main.\"%w\" WHERE %s", n, scope);
  mx(r, "INSERT INTO main.\"%w\"(%s) SELECT %s FROM temp.\"new_%w\"", n, s->cols, s->cols, n);
  return mx(r, "DELETE FROM temp.\"new_%w\"", n);
}

/* The graph tables are large and change little between runs: their new
** rows are matched with the mirror's through the key index (every column
** compared, NULLs equal) rather than two full-row EXCEPTs, and only the rows
** that differ are deleted and inserted. A count check falls back to a plain
** replace should duplicate rows make the two sets ambiguous. */
static int apply_keyed(sync_run *r, int t) {
  const char *n = specs[t].name;
  tstate *s = &r->st[t];
  char ix[4][64];
  words(specs[t].index, ix, 4);
  char *kcols = index_columns(r, t, ix[0]);
  char *same = sqlite3_mprintf("1");
  sqlite3_stmt *st = prep(r, r->m, "SELECT name FROM main.pragma_table_info(%Q) ORDER BY cid", n);
  while (st && same && sqlite3_step(st) == SQLITE_ROW) {
    char *x = sqlite3_mprintf("%s AND x.\"%w\" IS m.\"%w\"", same, sqlite3_column_text(st, 0), sqlite3_column_text(st, 0));
    sqlite3_free(same);
    same = x;
  }
  sqlite3_finalize(st);
  if (!kcols || !same || mint(r, "SELECT count(*) FROM main.\"%w\"", n) == 0) {
    sqlite3_free(kcols);
    sqlite3_free(same);
    return r->err ? SQLITE_ERROR : apply(r, t, "1");
  }
  s->touched = 1;
  mx(r, "CREATE INDEX IF NOT EXISTS temp.\"new_%w_key\" ON \"new_%w\"(%s)", n, n, kcols);
  mx(r, "CREATE TEMP TABLE gone AS SELECT m.rowid AS rid FROM main.\"%w\" m WHERE NOT EXISTS "
        "(SELECT 1 FROM temp.\"new_%w\" x WHERE %s)", n, n, same);
  mx(r, "CREATE TEMP TABLE came AS SELECT m.rowid AS rid FROM temp.\"new_%w\" m WHERE NOT EXISTS "
        "(SELECT 1 FROM main.\"%w\" x WHERE %s)", n, n, same);
  if (r->record) {
    mx(r, "INSERT INTO temp.chg(tbl, k, side, j) SELECT %Q, %s, 'old', %s FROM main.\"%w\" WHERE rowid IN "
          "(SELECT rid FROM temp.gone)", n, s->keyx, s->json, n);
    mx(r, "INSERT INTO temp.chg(tbl, k, side, j) SELECT %Q, %s, 'new', %s FROM temp.\"new_%w\" WHERE rowid IN "
          "(SELECT rid FROM temp.came)", n, s->keyx, s->json, n);
  }
  mx(r, "DELETE FROM main.\"%w\" WHERE rowid IN (SELECT rid FROM temp.gone)", n);
  mx(r, "INSERT INTO main.\"%w\"(%s) SELECT %s FROM temp.\"new_%w\" WHERE rowid IN (SELECT rid FROM temp.came)",
     n, s->cols, s->cols, n);
  mx(r, "DROP TABLE temp.gone; DROP TABLE temp.came");
  sqlite3_int64 want = mint(r, "SELECT count(*) FROM temp.\"new_%w\"", n);
  if (!r->err && mint(r, "SELECT count(*) FROM main.\"%w\"", n) != want) {
    mx(r, "DELETE FROM main.\"%w\"", n);
    mx(r, "INSERT INTO main.\"%w\"(%s) SELECT %s FROM temp.\"new_%w\"", n, s->cols, s->cols, n);
  }
  sqlite3_free(kcols);
  sqlite3_free(same);
  return mx(r, "DELETE FROM temp.\"new_%w\"", n);
}

/* Pulls the whole of table t and makes the mirror's copy equal to it. */
static int refresh_full(sync_run *r, int t, const char *why) {
  tstate *s = &r->st[t];
  long rows;
  if (specs[t].refresh == R_LOG) {
    char *types = json_words(specs[t].events);
    const char *args[] = {r->window_iso, types};
    rows = pull(r, t, "WHERE published >= ?1 AND event_type IN (SELECT value FROM json_each(?2))", 2, args);
    sqlite3_free(types);
  } else {
    rows = pull(r, t, NULL, 0, NULL);
  }
  if (rows == -2) {
    s->skipped = 1;
    s->did = "skipped";
    return SQLITE_OK;
  }
  if (rows < 0) return SQLITE_ERROR;
  s->did = "full";
  if (why && !s->why) s->why = sqlite3_mprintf("%s", why);
  return apply(r, t, "1");
}

/* Fills temp.scope with the values a query on the mirror returns. */
static int scope_fill(sync_run *r, const char *fmt, ...) {
  mx(r, "DELETE FROM temp.scope");
  va_list ap;
  va_start(ap, fmt);
  char *sql = sqlite3_vmprintf(fmt, ap);
  va_end(ap);
  int rc = sql ? mx(r, "INSERT OR IGNORE INTO temp.scope(val) SELECT v FROM (%s) WHERE v IS NOT NULL", sql)
               : SQLITE_NOMEM;
  sqlite3_free(sql);
  return rc;
}

/* Re-pulls the rows of table t whose column col is in temp.scope (the
** engine fans the values out: one IN list). Returns 0, -1 (run failed) or
** -2 (unreadable: warned, rows kept). */
static int refresh_scope(sync_run *r, int t, const char *col) {
  char *vals = mtext(r, "SELECT json_group_array(val) FROM temp.scope");
  if (!vals || strcmp(vals, "[]") == 0) {
    sqlite3_free(vals);
    return r->err ? -1 : 0;
  }
  char *where = sqlite3_mprintf("WHERE \"%w\" IN (SELECT value FROM json_each(?1))", col);
  const char *args[] = {vals};
  long rows = where ? pull(r, t, where, 1, args) : -1;
  sqlite3_free(where);
  sqlite3_free(vals);
  if (rows == -2) {
    r->st[t].skipped = 1;
    r->st[t].did = "skipped";
    return -2;
  }
  if (rows < 0) return -1;
  if (!r->st[t].did || strcmp(r->st[t].did, "full") != 0) r->st[t].did = "events";
  char *scope = sqlite3_mprintf("\"%w\" IN (SELECT val FROM temp.scope)", col);
  int rc = scope ? apply(r, t, scope) : SQLITE_NOMEM;
  sqlite3_free(scope);
  return rc == SQLITE_OK ? 0 : -1;
}

/* --------------------------------------------------------- the mirror */

/* Opens the mirror, refusing what is not one, and starts the run's
** transaction. */
static int open_mirror(sync_run *r) {
  if (sqlite3_open_v2(r->path, &r->m, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
    fail(r, "cannot open %s: %s", r->path, r->m ? sqlite3_errmsg(r->m) : "out of memory");
    return SQLITE_ERROR;
  }
  sqlite3_busy_timeout(r->m, BUSY_TIMEOUT_MS);
  okta_register_pure_functions(r->m); /* the graph's arms run here too */
  /* A run rewrites large tables and diffs them: 64 MiB of pages each for
  ** the mirror and the temporary tables, not SQLite's default 2 MiB. */
  sqlite3_exec(r->m, "PRAGMA main.cache_size = -65536; PRAGMA temp.cache_size = -65536", NULL, NULL, NULL);
  sqlite3_progress_handler(r->m, 20000, mirror_progress, r);
  for (int pass = 0; pass < 2; pass++) {
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(r->m,
                                "SELECT count(*), count(*) FILTER (WHERE name = 'okta_sync_runs') FROM sqlite_schema "
                                "WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
                                -1, &st, NULL);
    if (rc == SQLITE_OK) rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
      rc = sqlite3_errcode(r->m);
      if (rc == SQLITE_NOTADB) fail(r, "%s is not a SQLite database (nor a mirror): give a new file or a mirror", r->path);
      else if (rc == SQLITE_BUSY) fail(r, "%s is locked by another process (another okta_sync?): try again when it is done", r->path);
      else fail(r, "%s: %s", r->path, sqlite3_errmsg(r->m));
      sqlite3_finalize(st);
      return SQLITE_ERROR;
    }
    int tables = sqlite3_column_int(st, 0), runs = sqlite3_column_int(st, 1);
    sqlite3_finalize(st);
    if (tables > 0 && !runs) {
      fail(r, "%s is not a mirror made by okta_sync (it has %d table%s and no okta_sync_runs): it was left "
              "untouched; give a new file or a mirror", r->path, tables, tables == 1 ? "" : "s");
      return SQLITE_ERROR;
    }
    if (pass == 1) break;
    /* Readers of the mirror are not blocked by a run (WAL), and a run is
    ** one transaction that takes the write lock before any request. */
    sqlite3_exec(r->m, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
    int rc2 = sqlite3_exec(r->m, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    if (rc2 == SQLITE_BUSY) {
      fail(r, "%s is being written by another process (another okta_sync?) and stayed locked for %d s: try "
              "again when it is done", r->path, BUSY_TIMEOUT_MS / 1000);
      return SQLITE_ERROR;
    }
    if (rc2 != SQLITE_OK) {
      fail(r, "%s: %s", r->path, sqlite3_errmsg(r->m));
      return SQLITE_ERROR;
    }
  }
  return mx(r,
            "CREATE TABLE IF NOT EXISTS main.okta_sync_runs(run INTEGER PRIMARY KEY, started TEXT, finished TEXT, "
            "mode TEXT, requests INTEGER, changes INTEGER, warnings TEXT, hwm TEXT, org TEXT, tables TEXT, "
            "version TEXT);"
            "CREATE TABLE IF NOT EXISTS main.okta_changes(run INTEGER NOT NULL, table_name TEXT NOT NULL, "
            "row_key TEXT, op TEXT NOT NULL CHECK (op IN ('insert', 'update', 'delete')), old TEXT, new TEXT);"
            "CREATE INDEX IF NOT EXISTS main.okta_changes_run ON okta_changes(run, table_name);"
            "CREATE INDEX IF NOT EXISTS main.okta_changes_row ON okta_changes(table_name, row_key);"
            "CREATE TABLE IF NOT EXISTS main.okta_sync_tables(table_name TEXT PRIMARY KEY, columns TEXT, "
            "full_run INTEGER, full_at TEXT, refreshed_run INTEGER, rows INTEGER);"
            "CREATE TABLE IF NOT EXISTS main.okta_sync_seen(uuid TEXT PRIMARY KEY, published TEXT) WITHOUT ROWID;"
            "CREATE TEMP TABLE chg(tbl TEXT, k TEXT, side TEXT, j TEXT);"
            "CREATE INDEX temp.chg_k ON chg(tbl, k, side);"
            "CREATE TEMP TABLE scope(val TEXT PRIMARY KEY);"
            "CREATE TEMP TABLE want(tbl TEXT, item INTEGER, col TEXT, val TEXT);"
            "CREATE INDEX temp.want_t ON want(tbl, col, val);"
            "CREATE TEMP TABLE pick(col TEXT, val TEXT, PRIMARY KEY (col, val));"
            "CREATE TEMP TABLE ev(uuid TEXT, published TEXT, event_type TEXT, actor_id TEXT, actor_type TEXT, "
            "outcome TEXT, target TEXT, skip INTEGER DEFAULT 0, known INTEGER DEFAULT 0);"
            "CREATE INDEX temp.want_i ON want(tbl, item)");
}

/* Learns each table's columns from the live table and makes the mirror's
** table match (created, or re-created and re-pulled when they changed). */
static int prepare_tables(sync_run *r) {
  for (int t = 0; t < COUNT(specs) && !r->err; t++) {
    tstate *s = &r->st[t];
    const char *n = specs[t].name;
    sqlite3_stmt *st = prep(r, r->live, "SELECT name, type FROM pragma_table_xinfo(%Q) WHERE hidden = 0", n);
    char *cols = sqlite3_mprintf(""), *decl = sqlite3_mprintf(""), *json = sqlite3_mprintf("");
    while (st && cols && decl && json && sqlite3_step(st) == SQLITE_ROW) {
      const char *c = (const char *)sqlite3_column_text(st, 0), *ty = (const char *)sqlite3_column_text(st, 1);
      char *a = sqlite3_mprintf("%s%s\"%w\"", cols, s->ncol ? ", " : "", c);
      char *b = sqlite3_mprintf("%s%s\"%w\" %s", decl, s->ncol ? ", " : "", c, ty && *ty ? ty : "");
      char *j = sqlite3_mprintf("%s%s%Q, \"%w\"", json, s->ncol ? ", " : "", c, c);
      sqlite3_free(cols);
      sqlite3_free(decl);
      sqlite3_free(json);
      cols = a, decl = b, json = j;
      s->ncol++;
    }
    sqlite3_finalize(st);
    if (!cols || !decl || !json) fail(r, "out of memory");
    if (s->ncol > MAX_COLS) fail(r, "%s has more than %d columns", n, MAX_COLS);
    if (r->err || s->ncol == 0) {
      if (!r->err && specs[t].refresh != R_GRAPH && strncmp(n, "okta_", 5) == 0 &&
          mint(r, "SELECT count(*) FROM main.sqlite_schema WHERE name = %Q", n) > 0)
        warn(r, "%s is not in this build of the extension: its rows are kept as they were", n);
      sqlite3_free(cols);
      sqlite3_free(decl);
      sqlite3_free(json);
      continue;
    }
    s->present = 1;
    s->cols = cols;
    s->json = sqlite3_mprintf("json_object(%s)", json);
    sqlite3_free(json);
    /* Key: the spec's key columns this table has. */
    char key[4][64];
    int nk = words(specs[t].key, key, 4);
    char *kx = NULL;
    for (int i = 0; i < nk; i++) {
      if (!has_col(r, t, key[i])) continue;
      char *x = kx ? sqlite3_mprintf("%s || '|' || coalesce(\"%w\", '')", kx, key[i])
                   : sqlite3_mprintf("coalesce(\"%w\", '')", key[i]);
      sqlite3_free(kx);
      kx = x;
    }
    s->keyx = kx ? kx : sqlite3_mprintf("NULL");
    /* The mirror's table: the same columns, or re-created. */
    char *have = mtext(r, "SELECT group_concat(x, ', ') FROM (SELECT '\"' || replace(name, '\"', '\"\"') || '\"' "
                          "AS x FROM main.pragma_table_info(%Q) ORDER BY cid)", n);
    if (have && strcmp(have, cols) != 0) {
      warn(r, "the columns of %s changed: the table was re-created and pulled in full", n);
      mx(r, "DROP TABLE main.\"%w\"", n);
      s->full = 1;
      s->why = sqlite3_mprintf("its columns changed");
    }
    if (!have || strcmp(have, cols) != 0) {
      mx(r, "CREATE TABLE main.\"%w\"(%s)", n, decl);
      char ix[4][64];
      int ni = specs[t].index ? words(specs[t].index, ix, 4) : words(specs[t].key, ix, 4);
      for (int i = 0; i < ni; i++) {
        char *cols_ix = index_columns(r, t, ix[i]);
        for (char *c = ix[i]; *c; c++) *c = *c == ',' ? '_' : *c;
        if (cols_ix) mx(r, "CREATE INDEX IF NOT EXISTS main.\"%w_%w\" ON \"%w\"(%s)", n, ix[i], n, cols_ix);
        sqlite3_free(cols_ix);
      }
      for (int i = 0; i < 2 && specs[t].scope[i].col; i++) {
        if (strcmp(specs[t].scope[i].col, key[0]) != 0 && has_col(r, t, specs[t].scope[i].col))
          mx(r, "CREATE INDEX IF NOT EXISTS main.\"%w_%w\" ON \"%w\"(\"%w\")", n, specs[t].scope[i].col, n, specs[t].scope[i].col);
      }
    }
    sqlite3_free(have);
    sqlite3_free(decl);
    mx(r, "CREATE TEMP TABLE \"new_%w\" AS SELECT * FROM main.\"%w\" WHERE 0", n, n);
    if (!s->full && mint(r, "SELECT count(*) FROM main.okta_sync_tables WHERE table_name = %Q AND full_run IS NOT NULL", n) == 0) {
      s->full = 1;
      s->why = sqlite3_mprintf(r->prev ? "new in the mirror" : "first run");
    }
  }
  return r->err ? SQLITE_ERROR : SQLITE_OK;
}

/* -------------------------------------------------------- the log */

/* 1 when event type ty matches the '|'-separated patterns (a pattern
** ending in '.' is a prefix); *actor says the match wants the actor. */
static int matches(const char *pats, const char *ty, int *actor) {
  for (const char *p = pats; p && *p;) {
    size_t n = strcspn(p, "|");
    size_t pn = n;
    int use_actor = 0;
    if (pn > 6 && strncmp(p + pn - 6, "@actor", 6) == 0) { pn -= 6; use_actor = 1; }
    if (pn && ((p[pn - 1] == '.' && strncmp(ty, p, pn) == 0) || (strlen(ty) == pn && strncmp(ty, p, pn) == 0))) {
      if (actor) *actor = use_actor;
      return 1;
    }
    p += n + (p[n] == '|');
  }
  return 0;
}

/* Reads the events published since the previous run's high-water mark
** minus the overlap into temp.ev (and those the mirror keeps into
** temp.new_okta_system_log). Returns 0, -1 (the run failed) or -2 (the
** log cannot be read: warned). */
static int read_log(sync_run *r) {
  int lt = spec_index("okta_system_log");
  tstate *s = &r->st[lt];
  if (!s->present) return -2;
  sqlite3_stmt *src = prep(r, r->live, "SELECT %s, event_type, actor_id, actor_type, outcome_result, target "
                                       "FROM okta_system_log WHERE published > ?1", s->cols);
  sqlite3_stmt *ev = prep(r, r->m, "INSERT INTO temp.ev(uuid, published, event_type, actor_id, actor_type, outcome, "
                                   "target) VALUES (?, ?, ?, ?, ?, ?, ?)");
  char *marks = placeholders(s->ncol);
  sqlite3_stmt *keep = marks ? prep(r, r->m, "INSERT INTO temp.new_okta_system_log VALUES (%s)", marks) : NULL;
  sqlite3_free(marks);
  int rc = SQLITE_OK, out = 0;
  long n = 0;
  if (src) sqlite3_bind_text(src, 1, r->since_iso, -1, SQLITE_STATIC);
  int cu = -1, cp = -1;
  for (int c = 0; src && c < s->ncol; c++) {
    if (strcmp(sqlite3_column_name(src, c), "uuid") == 0) cu = c;
    if (strcmp(sqlite3_column_name(src, c), "published") == 0) cp = c;
  }
  while (src && ev && keep && cu >= 0 && cp >= 0 && (rc = sqlite3_step(src)) == SQLITE_ROW) {
    const char *ty = (const char *)sqlite3_column_text(src, s->ncol);
    sqlite3_bind_value(ev, 1, sqlite3_column_value(src, cu));
    sqlite3_bind_value(ev, 2, sqlite3_column_value(src, cp));
    for (int i = 0; i < 5; i++) sqlite3_bind_value(ev, 3 + i, sqlite3_column_value(src, s->ncol + i));
    int bad = sqlite3_step(ev) != SQLITE_DONE;
    sqlite3_reset(ev);
    if (!bad && ty && matches(specs[lt].events, ty, NULL)) {
      for (int c = 0; c < s->ncol; c++) sqlite3_bind_value(keep, c + 1, sqlite3_column_value(src, c));
      bad = sqlite3_step(keep) != SQLITE_DONE;
      sqlite3_reset(keep);
    }
    if (bad) { fail(r, "%s: %s", r->path, sqlite3_errmsg(r->m)); break; }
    if ((++n & 1023) == 0 && interrupted(r)) break;
  }
  if (!src || !ev || !keep || r->err || r->interrupted) {
    out = -1;
  } else if (cu < 0 || cp < 0) {
    fail(r, "okta_system_log has no uuid or published column");
    out = -1;
  } else if (rc != SQLITE_DONE) {
    const char *msg;
    out = read_failure(r, rc, &msg);
    if (out == -2) r->why_full = sqlite3_mprintf("the System Log cannot be read (%s)", msg);
  }
  sqlite3_finalize(src);
  sqlite3_finalize(ev);
  sqlite3_finalize(keep);
  return out;
}

/* The condition "event row e matches pattern p" (a prefix when p ends in
** '.'); *actor says the pattern takes the actor as its target. */
static char *match_sql(const char *p, size_t n, int *actor) {
  *actor = n > 6 && strncmp(p + n - 6, "@actor", 6) == 0;
  if (*actor) n -= 6;
  if (n && p[n - 1] == '.') return sqlite3_mprintf("substr(e.event_type, 1, %d) = '%.*q'", (int)n, (int)n, p);
  return sqlite3_mprintf("e.event_type = '%.*q'", (int)n, p);
}

/* Adds to temp.want, for the events matching cond, the values of the
** scope columns of table t their targets (or actor) name. */
static void want_sql(sync_run *r, int t, const char *cond, int actor) {
  for (int i = 0; i < 2 && specs[t].scope[i].col; i++) {
    const sync_scope *sc = &specs[t].scope[i];
    if (!has_col(r, t, sc->col)) continue;
    if (actor)
      mx(r, "INSERT INTO temp.want(tbl, item, col, val) SELECT %Q, e.rowid, %Q, e.actor_id FROM temp.ev e WHERE "
            "e.skip = 0 AND %s AND e.actor_type = %Q AND e.actor_id IS NOT NULL", specs[t].name, sc->col, cond, sc->type);
    else
      mx(r, "INSERT INTO temp.want(tbl, item, col, val) SELECT %Q, item, %Q, v FROM (SELECT e.rowid AS item, (SELECT "
            "j.value ->> 'id' FROM json_each(CASE WHEN json_valid(e.target) THEN e.target ELSE '[]' END) j WHERE "
            "j.value ->> 'type' = %Q LIMIT 1) AS v FROM temp.ev e WHERE e.skip = 0 AND %s) WHERE v IS NOT NULL",
         specs[t].name, sc->col, sc->type, cond);
  }
}

/* Turns the new events into what each table must re-pull (temp.want) and
** the tables to re-list, with warnings for event types not understood. */
static int plan_events(sync_run *r) {
  /* Events of the overlap window already processed by an earlier run. */
  mx(r, "DELETE FROM temp.ev WHERE uuid IN (SELECT uuid FROM main.okta_sync_seen)");
  mx(r, "INSERT OR IGNORE INTO main.okta_sync_seen(uuid, published) SELECT uuid, published FROM temp.ev");
  /* A failed action changes nothing. */
  mx(r, "UPDATE temp.ev SET skip = 1 WHERE outcome IN ('FAILURE', 'DENY')");
  for (int t = 0; t < COUNT(specs) && !r->err; t++) {
    const sync_spec *sp = &specs[t];
    if (sp->refresh == R_LOG || sp->refresh == R_GRAPH || !sp->events) continue;
    for (const char *p = sp->events; *p && !r->err;) {
      size_t n = strcspn(p, "|");
      int actor = 0;
      char *cond = match_sql(p, n, &actor);
      p += n + (p[n] == '|');
      if (!cond) { fail(r, "out of memory"); break; }
      mx(r, "UPDATE temp.ev AS e SET known = 1 WHERE %s", cond);
      if (r->st[t].present && !r->st[t].full) {
        if (sp->scope[0].col) want_sql(r, t, cond, actor);
        /* An event that does not say which rows: the whole table. */
        char *ty = mtext(r, "SELECT e.event_type FROM temp.ev e WHERE e.skip = 0 AND %s AND NOT EXISTS (SELECT 1 "
                            "FROM temp.want w WHERE w.tbl = %Q AND w.item = e.rowid) LIMIT 1", cond, sp->name);
        if (ty) {
          r->st[t].full = 1;
          r->st[t].why = sp->scope[0].col ? sqlite3_mprintf("event %s names no %s", ty, sp->scope[0].type)
                                          : sqlite3_mprintf("event %s", ty);
        }
        sqlite3_free(ty);
      }
      sqlite3_free(cond);
    }
  }
  for (int i = 0; i < COUNT(ignored) && !r->err; i++) {
    int actor;
    char *cond = match_sql(ignored[i], strlen(ignored[i]), &actor);
    if (cond) mx(r, "UPDATE temp.ev AS e SET known = 1 WHERE known = 0 AND %s", cond);
    sqlite3_free(cond);
  }
  /* Event types not understood: what their targets name is re-pulled. */
  for (int t = 0; t < COUNT(specs) && !r->err; t++) {
    if (r->st[t].present && !r->st[t].full && specs[t].scope[0].col && specs[t].refresh != R_LOG)
      want_sql(r, t, "e.known = 0", 0);
  }
  sqlite3_stmt *st = prep(r, r->m, "SELECT e.event_type, count(*), (SELECT group_concat(DISTINCT j.value ->> 'type') FROM "
                                   "temp.ev x, json_each(CASE WHEN json_valid(x.target) THEN x.target ELSE '[]' END) j "
                                   "WHERE x.event_type = e.event_type) FROM temp.ev e WHERE e.known = 0 AND e.skip = 0 "
                                   "AND EXISTS (SELECT 1 FROM temp.want w WHERE w.item = e.rowid) GROUP BY e.event_type");
  while (st && !r->err && sqlite3_step(st) == SQLITE_ROW) {
    warn(r, "event type %s (%d events) is not one okta_sync knows: the rows hanging off what it names (%s) were "
            "re-pulled", (const char *)sqlite3_column_text(st, 0), sqlite3_column_int(st, 1),
         sqlite3_column_text(st, 2) ? (const char *)sqlite3_column_text(st, 2) : "");
  }
  sqlite3_finalize(st);
  return r->err ? SQLITE_ERROR : SQLITE_OK;
}

/* ---------------------------------------------------- incremental steps */

/* Re-pulls what temp.want asks of table t, choosing per value the cheaper
** of its scope columns, estimated from the mirror's row counts. */
static int refresh_wanted(sync_run *r, int t) {
  const sync_spec *sp = &specs[t];
  const char *n = sp->name;
  if (!r->st[t].present || r->st[t].full || r->st[t].skipped || !sp->scope[0].col) return 0;
  mx(r, "DELETE FROM temp.pick");
  /* Values that are the only one their event gives. */
  mx(r, "INSERT OR IGNORE INTO temp.pick SELECT w.col, w.val FROM temp.want w WHERE w.tbl = %Q AND NOT EXISTS "
        "(SELECT 1 FROM temp.want x WHERE x.tbl = w.tbl AND x.item = w.item AND x.col <> w.col)", n);
  if (sp->scope[1].col && has_col(r, t, sp->scope[1].col)) {
    const sync_scope *a = &sp->scope[0], *b = &sp->scope[1];
    mx(r, "CREATE TEMP TABLE pairs AS SELECT DISTINCT x.val AS a, y.val AS b FROM temp.want x JOIN temp.want y "
          "ON y.tbl = x.tbl AND y.item = x.item AND y.col = %Q WHERE x.tbl = %Q AND x.col = %Q AND NOT EXISTS "
          "(SELECT 1 FROM temp.pick p WHERE (p.col = %Q AND p.val = x.val) OR (p.col = %Q AND p.val = y.val))",
       b->col, n, a->col, a->col, b->col);
    /* One request per per_request rows of the value, at least one. */
    mx(r, "INSERT OR IGNORE INTO temp.pick SELECT %Q, a FROM temp.pairs p GROUP BY a HAVING "
          "1 + (SELECT count(*) FROM main.\"%w\" WHERE \"%w\" = p.a) / %d <= "
          "sum(1 + (SELECT count(*) FROM main.\"%w\" WHERE \"%w\" = p.b) / %d)",
       a->col, n, a->col, a->per_request > 0 ? a->per_request : 1000000000, n, b->col,
       b->per_request > 0 ? b->per_request : 1000000000);
    mx(r, "INSERT OR IGNORE INTO temp.pick SELECT %Q, b FROM temp.pairs WHERE a NOT IN (SELECT val FROM temp.pick "
          "WHERE col = %Q)", b->col, a->col);
    mx(r, "DROP TABLE temp.pairs");
  }
  for (int i = 0; i < 2 && sp->scope[i].col && !r->err; i++) {
    scope_fill(r, "SELECT val AS v FROM temp.pick WHERE col = %Q", sp->scope[i].col);
    if (refresh_scope(r, t, sp->scope[i].col) == -1) return -1;
    if (r->st[t].skipped) break;
  }
  return r->err ? -1 : 0;
}


/* Fetching many ids in batches can cost more than the whole listing: then
** the table is re-listed in full. */
static void listing_cheaper(sync_run *r, int t) {
  const sync_spec *sp = &specs[t];
  if (r->st[t].full || sp->page <= 0 || sp->scope[0].per_request <= 0) return;
  sqlite3_int64 want = mint(r, "SELECT count(DISTINCT val) FROM temp.want WHERE tbl = %Q", sp->name);
  sqlite3_int64 rows = mint(r, "SELECT count(*) FROM main.\"%w\"", sp->name);
  if (want > 0 && (want + sp->scope[0].per_request - 1) / sp->scope[0].per_request > 1 + rows / sp->page) {
    r->st[t].full = 1;
    r->st[t].why = sqlite3_mprintf("%lld rows to fetch by id: the listing is cheaper", want);
  }
}

/* okta_users or okta_groups: the rows changed since the high-water mark
** (upserted: a deletion only shows in the log), then the ids the log names. */
static int refresh_delta(sync_run *r, int t) {
  const char *n = specs[t].name;
  tstate *s = &r->st[t];
  if (s->full) return refresh_full(r, t, NULL) == SQLITE_OK ? 0 : -1;
  long rows;
  if (specs[t].refresh == R_USERS) {
    const char *args[] = {r->since_iso};
    rows = pull(r, t, "WHERE last_updated > ?1", 1, args);
  } else {
    /* filter= cannot say "or" over these two on this table: search can. */
    char *q = sqlite3_mprintf("lastUpdated gt \"%s\" or lastMembershipUpdated gt \"%s\"", r->since_iso, r->since_iso);
    const char *args[] = {q};
    rows = q ? pull(r, t, "WHERE search = ?1", 1, args) : -1;
    sqlite3_free(q);
  }
  if (rows == -2) return refresh_full(r, t, "its changes cannot be listed") == SQLITE_OK ? 0 : -1;
  if (rows < 0) return -1;
  s->did = "delta";
  mx(r, "DELETE FROM temp.want WHERE tbl = %Q AND col = 'id' AND val IN (SELECT id FROM temp.\"new_%w\")", n, n);
  char *scope = sqlite3_mprintf("id IN (SELECT id FROM temp.\"new_%w\")", n);
  int rc = scope ? apply(r, t, scope) : SQLITE_NOMEM;
  sqlite3_free(scope);
  if (rc != SQLITE_OK) return -1;
  listing_cheaper(r, t);
  if (r->st[t].full) return refresh_full(r, t, NULL) == SQLITE_OK ? 0 : -1;
  return refresh_wanted(r, t);
}

/* Deletes the rows of table t that reference a row its refs name and the
** run deleted (a deleted user's memberships, factors, roles ...). */
static int cascade(sync_run *r, int t) {
  char refs[4][64];
  int nr = words(specs[t].refs, refs, 4);
  for (int i = 0; i < nr && !r->err; i++) {
    char *colon = strchr(refs[i], ':');
    if (!colon) continue;
    *colon = 0;
    scope_fill(r, "SELECT o.k AS v FROM temp.chg o WHERE o.tbl = %Q AND o.side = 'old' AND NOT EXISTS "
                  "(SELECT 1 FROM temp.chg n WHERE n.tbl = o.tbl AND n.k = o.k AND n.side = 'new')", colon + 1);
    if (mint(r, "SELECT count(*) FROM temp.scope") > 0) {
      char *scope = sqlite3_mprintf("\"%w\" IN (SELECT val FROM temp.scope)", refs[i]);
      if (scope) apply(r, t, scope);
      sqlite3_free(scope);
    }
  }
  return r->err ? -1 : 0;
}

/* Copies into table t the columns its copy rule takes from another table,
** for the rows of that table the run changed (a member row's login, email
** and status are its user's): no request. */
static int copy_columns(sync_run *r, int t) {
  if (!specs[t].copy || !r->record) return 0;
  char spec[160], *src = spec, *col, *names;
  snprintf(spec, sizeof(spec), "%s", specs[t].copy);
  if (!(col = strchr(spec, ':')) || !(names = strchr(col + 1, ':'))) return 0;
  *col++ = 0;
  *names++ = 0;
  int ps = spec_index(src);
  if (ps < 0 || !r->st[ps].present) return 0;
  char key[4][64];
  words(specs[ps].key, key, 4);
  scope_fill(r, "SELECT k AS v FROM temp.chg WHERE tbl = %Q AND side = 'new'", src);
  if (mint(r, "SELECT count(*) FROM temp.scope") <= 0) return r->err ? -1 : 0;
  char list[8][64];
  int nn = words(names, list, 8);
  char *in = sqlite3_mprintf("''");
  for (int i = 0; i < nn && in; i++) {
    char *x = sqlite3_mprintf("%s, %Q", in, list[i]);
    sqlite3_free(in);
    in = x;
  }
  char *exprs = in ? mtext(r, "SELECT group_concat(CASE WHEN name IN (%s) THEN 'p.' ELSE 'm.' END || '\"' || "
                              "replace(name, '\"', '\"\"') || '\"', ', ') FROM (SELECT name FROM "
                              "main.pragma_table_info(%Q) ORDER BY cid)", in, specs[t].name)
                   : NULL;
  sqlite3_free(in);
  if (exprs) {
    mx(r, "INSERT INTO temp.\"new_%w\" SELECT %s FROM main.\"%w\" m JOIN main.\"%w\" p ON p.\"%w\" = m.\"%w\" "
          "WHERE m.\"%w\" IN (SELECT val FROM temp.scope)", specs[t].name, exprs, specs[t].name, src, key[0], col, col);
    char *scope = sqlite3_mprintf("\"%w\" IN (SELECT val FROM temp.scope)", col);
    if (scope) apply(r, t, scope);
    sqlite3_free(scope);
  }
  sqlite3_free(exprs);
  return r->err ? -1 : 0;
}

/* Derived re-pulls before a table's own: members of a group whose
** membership moved (lastMembershipUpdated); the inherited roles of users
** who joined or left a group holding roles, or whose group's roles changed
** (a user's roles list includes its groups' roles); and the app
** assignments that follow groups and status: the users of an app whose
** group assignments changed, each (app, user) of a member who joined or
** left a group assigned to apps; and the rows of a user whose status
** changed in the tables that say so (on_status: apps, factors). Those need
** no event per user (Okta's log names the group's or the user's change;
** whether it also names every row that follows is not relied on). */
static int derive_wants(sync_run *r, int t) {
  const char *n = specs[t].name;
  if (specs[t].on_status && has_col(r, t, "user_id"))
    mx(r, "INSERT INTO temp.want(tbl, item, col, val) SELECT %Q, -c.rowid, 'user_id', c.k FROM temp.chg c JOIN "
          "temp.chg o ON o.tbl = c.tbl AND o.k = c.k AND o.side = 'old' WHERE c.tbl = 'okta_users' AND c.side = 'new' "
          "AND (c.j ->> 'status') IS NOT (o.j ->> 'status')", n);
  if (strcmp(n, "okta_app_users") == 0 && spec_index("okta_app_groups") >= 0 &&
      r->st[spec_index("okta_app_groups")].present) {
    mx(r, "INSERT INTO temp.want(tbl, item, col, val) SELECT %Q, -rowid, 'app_id', j ->> 'app_id' FROM temp.chg "
          "WHERE tbl = 'okta_app_groups'", n);
    mx(r, "CREATE TEMP TABLE derived AS SELECT DISTINCT ag.app_id AS a, c.j ->> 'user_id' AS u FROM temp.chg c "
          "JOIN main.okta_app_groups ag ON ag.group_id = c.j ->> 'group_id' WHERE c.tbl = 'okta_group_members'");
    mx(r, "INSERT INTO temp.want(tbl, item, col, val) SELECT %Q, -1000000000 - rowid, 'app_id', a FROM temp.derived "
          "UNION ALL SELECT %Q, -1000000000 - rowid, 'user_id', u FROM temp.derived", n, n);
    mx(r, "DROP TABLE temp.derived");
  } else if (strcmp(n, "okta_group_members") == 0) {
    mx(r, "INSERT INTO temp.want(tbl, item, col, val) SELECT %Q, -c.rowid, 'group_id', c.k FROM temp.chg c WHERE "
          "c.tbl = 'okta_groups' AND c.side = 'new' AND (c.j ->> 'last_membership_updated') IS NOT (SELECT "
          "o.j ->> 'last_membership_updated' FROM temp.chg o WHERE o.tbl = c.tbl AND o.side = 'old' AND o.k = c.k)", n);
  } else if (strcmp(n, "okta_user_roles") == 0 && spec_index("okta_group_roles") >= 0 &&
             r->st[spec_index("okta_group_roles")].present) {
    mx(r, "CREATE TEMP TABLE admin_groups AS SELECT DISTINCT group_id AS g FROM main.okta_group_roles UNION "
          "SELECT j ->> 'group_id' FROM temp.chg WHERE tbl = 'okta_group_roles'");
    mx(r, "INSERT INTO temp.want(tbl, item, col, val) SELECT %Q, 0, 'user_id', j ->> 'user_id' FROM temp.chg "
          "WHERE tbl = 'okta_group_members' AND j ->> 'group_id' IN (SELECT g FROM temp.admin_groups) UNION "
          "SELECT %Q, 0, 'user_id', m.user_id FROM main.okta_group_members m WHERE m.group_id IN "
          "(SELECT j ->> 'group_id' FROM temp.chg WHERE tbl = 'okta_group_roles')", n, n);
    mx(r, "DROP TABLE temp.admin_groups");
  }
  return r->err ? -1 : 0;
}

/* Refreshes one table the way its spec says. */
static int refresh_table(sync_run *r, int t) {
  tstate *s = &r->st[t];
  const sync_spec *sp = &specs[t];
  if (!s->present || sp->refresh == R_GRAPH) return 0;
  if (cascade(r, t) || derive_wants(r, t)) return -1;
  int rc = 0;
  switch (sp->refresh) {
    case R_USERS:
    case R_GROUPS:
      rc = refresh_delta(r, t);
      break;
    case R_CHILD:
      listing_cheaper(r, t);
      rc = s->full ? (refresh_full(r, t, NULL) == SQLITE_OK ? 0 : -1) : refresh_wanted(r, t);
      break;
    case R_EVERY:
      rc = refresh_full(r, t, r->full ? NULL : "every run") == SQLITE_OK ? 0 : -1;
      break;
    case R_EVENT:
      if (!s->full && mint(r, "SELECT count(*) FROM main.okta_sync_tables WHERE table_name = %Q AND full_at < "
                              "strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', %Q, '-%lld seconds')",
                           sp->name, r->start_iso, EVENT_TABLE_MAX_AGE_MS / 1000) > 0) {
        s->full = 1;
        s->why = sqlite3_mprintf("last pulled over %lld hours ago", EVENT_TABLE_MAX_AGE_MS / 3600000);
      }
      if (s->full) rc = refresh_full(r, t, NULL) == SQLITE_OK ? 0 : -1;
      break;
    case R_LOG:
      if (s->full) {
        rc = refresh_full(r, t, NULL) == SQLITE_OK ? 0 : -1;
      } else {
        /* The kept events read this run, then the window. */
        s->did = "events";
        apply(r, t, "uuid IN (SELECT uuid FROM temp.new_okta_system_log)");
        char *scope = sqlite3_mprintf("published < %Q", r->window_iso);
        if (scope) apply(r, t, scope);
        sqlite3_free(scope);
        rc = r->err ? -1 : 0;
      }
      break;
  }
  if (rc == 0) rc = copy_columns(r, t);
  return rc || r->err || r->interrupted ? -1 : 0;
}

/* The warnings the live graph gives for an arm's rows that are no edge
** (an AWS role without an ARN), so a mirror's run says what a live read
** would. */
static void warn_skipped_edges(sync_run *r, int g, int a) {
  char *sql = okta_graph_arm_skipped(g, a);
  sqlite3_stmt *st = NULL;
  if (sql && sqlite3_prepare_v2(r->m, sql, -1, &st, NULL) == SQLITE_OK) {
    int org = sqlite3_bind_parameter_index(st, ":org");
    if (org) sqlite3_bind_text(st, org, r->org, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
      const char *why = (const char *)sqlite3_column_text(st, 0);
      /* One warning per reason, as the live context counts repeats. */
      char rows[32] = "";
      if (sqlite3_column_int(st, 1) > 1) snprintf(rows, sizeof(rows), " (%d rows)", sqlite3_column_int(st, 1));
      warn(r, "okta_relationships: %s%s", why ? why : "an edge without a target was skipped", rows);
    }
  }
  sqlite3_finalize(st);
  sqlite3_free(sql);
}

/* okta_entities and okta_relationships from the mirrored tables: the
** graph's own arms, run on the mirror (no request). */
static int rebuild_graph(sync_run *r) {
  double t0 = okta_now_mono();
  int narm = 0;
  const char *name;
  for (int g = 0; (name = okta_graph_table(g, &narm)) != NULL && !r->err; g++) {
    int t = spec_index(name);
    if (t < 0 || !r->st[t].present) continue;
    for (int a = 0; a < narm && !r->err && !r->interrupted; a++) {
      char *arm = okta_graph_arm_select(g, a);
      char *sql = arm ? sqlite3_mprintf("INSERT INTO temp.\"new_%w\" %s", name, arm) : NULL;
      sqlite3_stmt *st = NULL;
      int rc = sql ? sqlite3_prepare_v2(r->m, sql, -1, &st, NULL) : SQLITE_NOMEM;
      if (rc == SQLITE_OK) {
        int org = sqlite3_bind_parameter_index(st, ":org");
        if (org) sqlite3_bind_text(st, org, r->org, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(r->m);
      }
      if (rc == SQLITE_INTERRUPT || interrupted(r)) r->interrupted = 1;
      else if (rc == SQLITE_NOMEM) fail(r, "out of memory");
      else if (rc != SQLITE_OK) warn(r, "%s: arm %d skipped: %s", name, a, sqlite3_errmsg(r->m));
      sqlite3_finalize(st);
      sqlite3_free(sql);
      sqlite3_free(arm);
      if (rc == SQLITE_OK) warn_skipped_edges(r, g, a);
    }
    r->st[t].did = "rebuilt";
    double t1 = okta_now_mono();
    apply_keyed(r, t);
    r->graph_apply_seconds += okta_now_mono() - t1;
  }
  r->graph_seconds = okta_now_mono() - t0 - r->graph_apply_seconds;
  return r->err || r->interrupted ? -1 : 0;
}

/* -------------------------------------------------------- bookkeeping */

/* Requests the client has sent so far. */
static long requests_sent(okta_client *c) {
  long n = 0;
  for (okta_endpoint *e = okta_client_endpoints(c); e; e = e->next) n += e->requests;
  return n;
}

/* Writes the change feed of the run from temp.chg: per row key, the row
** before the run and after it; an update keeps the changed columns only. */
static int write_changes(sync_run *r) {
  if (!r->record) return 0;
  return mx(r,
            "INSERT INTO main.okta_changes(run, table_name, row_key, op, old, new) "
            "SELECT %lld, o.tbl, o.k, 'delete', o.j, NULL FROM temp.chg o WHERE o.side = 'old' AND NOT EXISTS "
            "(SELECT 1 FROM temp.chg n WHERE n.tbl = o.tbl AND n.k IS o.k AND n.side = 'new') "
            "UNION ALL SELECT %lld, n.tbl, n.k, 'insert', NULL, n.j FROM temp.chg n WHERE n.side = 'new' AND NOT "
            "EXISTS (SELECT 1 FROM temp.chg o WHERE o.tbl = n.tbl AND o.k IS n.k AND o.side = 'old') "
            "UNION ALL SELECT %lld, tbl, k, 'update', a, b FROM (SELECT o.tbl, o.k, "
            "(SELECT json_group_object(x.key, x.value) FROM json_each(o.j) x WHERE x.value IS NOT "
            "json_extract(n.j, '$.\"' || x.key || '\"')) AS a, "
            "(SELECT json_group_object(y.key, y.value) FROM json_each(n.j) y WHERE y.value IS NOT "
            "json_extract(o.j, '$.\"' || y.key || '\"')) AS b "
            "FROM temp.chg o JOIN temp.chg n ON n.tbl = o.tbl AND n.k IS o.k AND o.side = 'old' AND n.side = 'new') "
            "WHERE b <> '{}'",
            r->run, r->run, r->run);
}

/* The run's report (JSON) and its row in okta_sync_runs; commits. */
static char *finish(sync_run *r) {
  write_changes(r);
  cJSON *out = cJSON_CreateObject(), *tables = cJSON_CreateObject();
  sqlite3_int64 changes = mint(r, "SELECT count(*) FROM main.okta_changes WHERE run = %lld", r->run);
  for (int t = 0; t < COUNT(specs) && !r->err && out && tables; t++) {
    tstate *s = &r->st[t];
    if (!s->present) continue;
    cJSON *jt = cJSON_AddObjectToObject(tables, specs[t].name);
    cJSON_AddNumberToObject(jt, "rows", (double)mint(r, "SELECT count(*) FROM main.\"%w\"", specs[t].name));
    cJSON_AddStringToObject(jt, "refresh", s->did ? s->did : "unchanged");
    if (s->why && s->did && strcmp(s->did, "full") == 0) cJSON_AddStringToObject(jt, "why", s->why);
    static const char *const ops[] = {"insert", "update", "delete"};
    for (int i = 0; i < 3; i++) {
      char key[16];
      snprintf(key, sizeof(key), "%sd", i == 0 ? "inserte" : i == 1 ? "update" : "delete");
      cJSON_AddNumberToObject(jt, key, (double)mint(r, "SELECT count(*) FROM main.okta_changes WHERE run = %lld "
                                                       "AND table_name = %Q AND op = %Q", r->run, specs[t].name, ops[i]));
    }
    if (s->touched && !s->skipped) {
      int full = s->did && strcmp(s->did, "full") == 0;
      char run_id[24];
      snprintf(run_id, sizeof(run_id), "%lld", r->run);
      mx(r, "INSERT INTO main.okta_sync_tables(table_name, columns, full_run, full_at, refreshed_run, rows) VALUES "
            "(%Q, %Q, %s, %Q, %lld, (SELECT count(*) FROM main.\"%w\")) ON CONFLICT (table_name) DO UPDATE SET "
            "columns = excluded.columns, full_run = coalesce(excluded.full_run, full_run), full_at = "
            "coalesce(excluded.full_at, full_at), refreshed_run = excluded.refreshed_run, rows = excluded.rows",
         specs[t].name, s->cols, full ? run_id : "NULL", full ? r->start_iso : NULL, r->run, specs[t].name);
    }
  }
  char finished[32];
  okta_format_iso8601((int64_t)(okta_now_wall() * 1000), finished);
  long requests = requests_sent(r->cli) - r->req0;
  double seconds = okta_now_mono() - r->t0;
  if (!out || !tables) fail(r, "out of memory");
  if (r->err) {
    cJSON_Delete(out);
    cJSON_Delete(tables);
    return NULL;
  }
  cJSON_AddStringToObject(out, "file", r->path);
  cJSON_AddNumberToObject(out, "run", (double)r->run);
  cJSON_AddStringToObject(out, "mode", r->full ? "full" : "incremental");
  cJSON_AddNumberToObject(out, "requests", (double)requests);
  cJSON_AddNumberToObject(out, "changes", (double)changes);
  cJSON_AddNumberToObject(out, "seconds", seconds);
  cJSON_AddNumberToObject(out, "graph_seconds", r->graph_seconds);
  cJSON_AddNumberToObject(out, "graph_apply_seconds", r->graph_apply_seconds);
  cJSON_AddStringToObject(out, "since", r->full ? "" : r->since_iso);
  cJSON_AddItemToObject(out, "tables", tables);
  cJSON *absent = cJSON_AddArrayToObject(out, "absent");
  for (int t = 0; t < COUNT(specs) && absent; t++) {
    if (!r->st[t].present) cJSON_AddItemToArray(absent, cJSON_CreateString(specs[t].name));
  }
  cJSON_AddItemReferenceToObject(out, "warnings", r->warnings);
  char *tj = cJSON_PrintUnformatted(tables), *wj = cJSON_PrintUnformatted(r->warnings);
  char *hwm = sqlite3_mprintf("{\"time\":\"%s\",\"overlap_seconds\":%lld}", r->start_iso, OVERLAP_MS / 1000);
  /* Events older than the next run's overlap window are never read again. */
  mx(r, "DELETE FROM main.okta_sync_seen WHERE published < strftime('%%Y-%%m-%%dT%%H:%%M:%%fZ', %Q, '-%lld seconds')",
     r->start_iso, OVERLAP_MS / 1000 + 60);
  mx(r, "INSERT INTO main.okta_sync_runs(run, started, finished, mode, requests, changes, warnings, hwm, org, tables, "
        "version) VALUES (%lld, %Q, %Q, %Q, %ld, %lld, %Q, %Q, %Q, %Q, %Q)",
     r->run, r->start_iso, finished, r->full ? "full" : "incremental", requests, changes, wj ? wj : "[]", hwm, r->org,
     tj ? tj : "{}", OKTA_VERSION);
  free(tj);
  free(wj);
  sqlite3_free(hwm);
  if (!r->err && !r->interrupted && sqlite3_exec(r->m, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    fail(r, "%s: commit failed: %s", r->path, sqlite3_errmsg(r->m));
  char *text = r->err || r->interrupted ? NULL : cJSON_PrintUnformatted(out);
  cJSON_Delete(out);
  return text;
}

/* ------------------------------------------------------------ the run */

/* The private connection the live tables are read through. */
static int open_live(sync_run *r) {
  int rc = sqlite3_open_v2(":memory:", &r->live, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  for (int i = 0; rc == SQLITE_OK && i < okta_table_count; i++) rc = okta_register_table(r->live, r->ctx, okta_table_list[i]);
  if (rc == SQLITE_OK) rc = okta_register_graph(r->live, r->ctx);
  if (rc != SQLITE_OK) fail(r, "cannot open a connection to read the org: %s", sqlite3_errstr(rc));
  return rc;
}

/* Decides full or incremental, then refreshes every table and the graph. */
static char *run(sync_run *r) {
  r->prev = mint(r, "SELECT coalesce(max(run), 0) FROM main.okta_sync_runs");
  r->run = r->prev + 1;
  char *prev_org = mtext(r, "SELECT org FROM main.okta_sync_runs WHERE run = %lld", r->prev);
  char *prev_start = mtext(r, "SELECT hwm ->> 'time' FROM main.okta_sync_runs WHERE run = %lld", r->prev);
  if (prev_org && strcmp(prev_org, r->org) != 0)
    fail(r, "%s mirrors %s, not %s (the org this connection is configured for): use another file", r->path, prev_org,
         r->org);
  int64_t prev_ms = 0;
  if (prev_start && okta_parse_iso8601(prev_start, &prev_ms)) prev_ms = 0;
  sqlite3_free(prev_org);
  sqlite3_free(prev_start);
  okta_format_iso8601(r->start_ms - (int64_t)LOG_DAYS * 86400000, r->window_iso);
  if (r->err || prepare_tables(r) != SQLITE_OK) return NULL;
  r->record = r->prev > 0;
  if (r->forced) {
    r->full = 1;
    r->why_full = sqlite3_mprintf("a full pull was asked for");
  } else if (!r->prev || !prev_ms) {
    r->full = 1;
    r->why_full = sqlite3_mprintf("first run");
  } else if (prev_ms < r->start_ms - (int64_t)LOG_DAYS * 86400000 + OVERLAP_MS) {
    r->full = 1;
    r->why_full = sqlite3_mprintf("the last run (%lld) was over %d days ago, beyond what the System Log keeps",
                                  r->prev, LOG_DAYS);
    warn(r, "%s: everything was pulled in full", r->why_full);
  } else {
    okta_format_iso8601(prev_ms - OVERLAP_MS, r->since_iso);
    int rc = read_log(r);
    if (rc == -1) return NULL;
    if (rc == -2) {
      r->full = 1;
      if (!r->why_full) r->why_full = sqlite3_mprintf("the System Log is not in this build");
      warn(r, "%s: everything was pulled in full", r->why_full);
      mx(r, "DELETE FROM temp.ev; DELETE FROM temp.new_okta_system_log");
    }
  }
  for (int t = 0; r->full && t < COUNT(specs); t++) {
    if (!r->st[t].present) continue;
    r->st[t].full = 1;
    sqlite3_free(r->st[t].why);
    r->st[t].why = sqlite3_mprintf("%s", r->why_full);
  }
  if (!r->full && plan_events(r) != SQLITE_OK) return NULL;
  for (int t = 0; t < COUNT(specs) && !r->err && !r->interrupted; t++) {
    if (refresh_table(r, t)) break;
  }
  if (!r->err && !r->interrupted) rebuild_graph(r);
  if (r->err || r->interrupted) return NULL;
  return finish(r);
}

/* Frees what a run holds. */
static void run_free(sync_run *r) {
  for (int t = 0; t < COUNT(specs); t++) {
    sqlite3_free(r->st[t].cols);
    sqlite3_free(r->st[t].json);
    sqlite3_free(r->st[t].keyx);
    sqlite3_free(r->st[t].why);
  }
  if (r->m) {
    if (!sqlite3_get_autocommit(r->m)) sqlite3_exec(r->m, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(r->m);
  }
  if (r->live) sqlite3_close(r->live);
  cJSON_Delete(r->warnings);
  sqlite3_free(r->why_full);
  sqlite3_free(r->err);
  free(r->org);
}

/* okta_sync(file [, 'full']): mirrors the org into file (see above). */
static void fn_sync(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  const char *path = (const char *)sqlite3_value_text(argv[0]);
  const char *mode = argc > 1 ? (const char *)sqlite3_value_text(argv[1]) : NULL;
  if (!path || !*path || strcmp(path, ":memory:") == 0 || strncmp(path, "file:", 5) == 0) {
    sqlite3_result_error(ctx, "okta_sync: give the mirror's file name, e.g. okta_sync('okta.db')", -1);
    return;
  }
  if (mode && strcmp(mode, "full") != 0 && strcmp(mode, "auto") != 0) {
    sqlite3_result_error(ctx, "okta_sync: the second argument is 'full' (a full pull) or 'auto'", -1);
    return;
  }
  sync_run *r = calloc(1, sizeof(*r));
  if (!r || !(r->warnings = cJSON_CreateArray())) {
    free(r);
    sqlite3_result_error_nomem(ctx);
    return;
  }
  r->ctx = sqlite3_user_data(ctx);
  r->udb = sqlite3_context_db_handle(ctx);
  r->path = path;
  r->forced = mode && strcmp(mode, "full") == 0;
  r->t0 = okta_now_mono();
  r->start_ms = (sqlite3_int64)(okta_now_wall() * 1000);
  okta_format_iso8601(r->start_ms, r->start_iso);
  char *err = NULL;
  r->cli = okta_ctx_client(r->ctx, &err);
  char *text = NULL;
  if (!r->cli) {
    fail(r, "%s", err ? err : "out of memory");
  } else if (!(r->org = okta_strdup(okta_client_config(r->cli)->org_url))) {
    fail(r, "out of memory");
  } else {
    /* Nothing older than the run may answer it. */
    okta_client_cache_clear(r->cli);
    r->req0 = requests_sent(r->cli);
    if (open_live(r) == SQLITE_OK && open_mirror(r) == SQLITE_OK) text = run(r);
  }
  free(err);
  if (text) {
    sqlite3_result_text(ctx, text, -1, free);
  } else {
    char *msg;
    if (r->interrupted || (!r->err && interrupted(r)))
      msg = sqlite3_mprintf("okta_sync: interrupted; %s is as the last completed run left it", path);
    else
      msg = sqlite3_mprintf("okta_sync: %s%s", r->err ? (strncmp(r->err, "okta: ", 6) ? r->err : r->err + 6)
                                                      : "failed",
                            r->m && r->prev > 0 ? "; the mirror is as the last completed run left it" : "");
    sqlite3_result_error(ctx, msg ? msg : "okta_sync: out of memory", -1);
    sqlite3_free(msg);
  }
  run_free(r);
  free(r);
}

/* okta_sync writes files: never from a view or trigger (DIRECTONLY). */
static const struct {
  const char *name;
  int nargs;
} sync_functions[] = {{"okta_sync", 1}, {"okta_sync", 2}};

/* Registers okta_sync on a connection. */
int okta_register_sync(sqlite3 *db, okta_ctx *ctx) {
  int rc = SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && i < COUNT(sync_functions); i++) {
    okta_ctx_ref(ctx);
    rc = sqlite3_create_function_v2(db, sync_functions[i].name, sync_functions[i].nargs,
                                    SQLITE_UTF8 | SQLITE_DIRECTONLY, ctx, fn_sync, NULL, NULL, okta_ctx_unref);
  }
  return rc;
}
