/*
** What the connection did: okta_stats and okta_warnings.
**
**   SELECT * FROM okta_stats ORDER BY requests DESC;
**   SELECT source, message FROM okta_warnings;
**
** okta_stats has one row per endpoint (path template): requests sent,
** retries, 429s, seconds spent waiting on rate limits, bytes received,
** cache hits and misses, and failed requests. okta_warnings lists what
** skipped sources recorded (a token that may not read roles, a feature the
** org lacks), most recent last. Both read the connection's live counters
** at xFilter; neither makes a request.
*/
#include "tables.h"
#include "../ext/ctx.h"

#include <stdlib.h>
#include <string.h>

SQLITE_EXTENSION_INIT3

/* A cell of a snapshot row. */
typedef struct cell {
  int type; /* SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_NULL */
  sqlite3_int64 i;
  double d;
  char *s;
} cell;

typedef struct snap_table {
  const char *name;
  const char *schema;
  int ncol;
  /* Appends the table's rows to cells (ncol per row); returns rows or -1. */
  int (*fill)(okta_ctx *ctx, cell **cells);
} snap_table;

typedef struct snap_vtab {
  sqlite3_vtab base;
  okta_ctx *ctx;
  const snap_table *t;
} snap_vtab;

typedef struct snap_cursor {
  sqlite3_vtab_cursor base;
  cell *cells;
  int nrow, row;
} snap_cursor;

/* Grows the cell array by one row. */
static cell *add_row(cell **cells, int nrow, int ncol) {
  cell *c = realloc(*cells, sizeof(cell) * (size_t)(nrow + 1) * (size_t)ncol);
  if (!c) return NULL;
  *cells = c;
  memset(c + (size_t)nrow * (size_t)ncol, 0, sizeof(cell) * (size_t)ncol);
  return c + (size_t)nrow * (size_t)ncol;
}

static void set_int(cell *c, sqlite3_int64 v) { c->type = SQLITE_INTEGER; c->i = v; }
static void set_real(cell *c, double v) { c->type = SQLITE_FLOAT; c->d = v; }
static void set_text(cell *c, const char *v) {
  c->s = okta_strdup(v);
  c->type = c->s ? SQLITE_TEXT : SQLITE_NULL;
}

/* okta_stats rows: one per endpoint the client has used. */
static int fill_stats(okta_ctx *ctx, cell **cells) {
  char *err = NULL;
  okta_client *c = okta_ctx_client(ctx, &err);
  free(err); /* no configuration yet: nothing was done, no rows */
  int n = 0;
  for (okta_endpoint *e = c ? okta_client_endpoints(c) : NULL; e; e = e->next) {
    cell *r = add_row(cells, n, 9);
    if (!r) return -1;
    set_text(&r[0], e->name);
    set_int(&r[1], e->requests);
    set_int(&r[2], e->retries);
    set_int(&r[3], e->rate_limited);
    set_real(&r[4], e->waited);
    set_int(&r[5], e->bytes);
    set_int(&r[6], e->cache_hits);
    set_int(&r[7], e->cache_misses);
    set_int(&r[8], e->errors);
    n++;
  }
  return n;
}

/* okta_warnings rows. */
static int fill_warnings(okta_ctx *ctx, cell **cells) {
  int n = 0;
  for (okta_warning *w = okta_ctx_warnings(ctx); w; w = w->next) {
    cell *r = add_row(cells, n, 4);
    if (!r) return -1;
    char at[32];
    okta_format_iso8601((int64_t)(w->at * 1000), at);
    set_text(&r[0], at);
    set_text(&r[1], w->source);
    set_text(&r[2], w->message);
    set_int(&r[3], w->count);
    n++;
  }
  return n;
}

static const snap_table snap_tables[] = {
  {"okta_stats",
   "CREATE TABLE x(endpoint TEXT, requests INTEGER, retries INTEGER, rate_limited INTEGER, "
   "waited_seconds REAL, bytes INTEGER, cache_hits INTEGER, cache_misses INTEGER, errors INTEGER)",
   9, fill_stats},
  {"okta_warnings", "CREATE TABLE x(at TEXT, source TEXT, message TEXT, count INTEGER)", 4, fill_warnings},
};

typedef struct snap_aux {
  okta_ctx *ctx;
  const snap_table *t;
} snap_aux;

/* xConnect: declares the table. */
static int snapConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv, sqlite3_vtab **ppVtab,
                       char **pzErr) {
  snap_aux *aux = pAux;
  (void)argc;
  (void)argv;
  (void)pzErr;
  int rc = sqlite3_declare_vtab(db, aux->t->schema);
  if (rc != SQLITE_OK) return rc;
  snap_vtab *vt = sqlite3_malloc(sizeof(*vt));
  if (!vt) return SQLITE_NOMEM;
  memset(vt, 0, sizeof(*vt));
  vt->ctx = aux->ctx;
  vt->t = aux->t;
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY); /* connection state: not from views or triggers */
  *ppVtab = &vt->base;
  return SQLITE_OK;
}

/* xDisconnect. */
static int snapDisconnect(sqlite3_vtab *pVtab) {
  sqlite3_free(pVtab);
  return SQLITE_OK;
}

/* xBestIndex: always a full scan of a few rows (idxNum and idxStr unused). */
static int snapBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *info) {
  (void)pVtab;
  info->estimatedCost = 10;
  info->estimatedRows = 10;
  return SQLITE_OK;
}

/* xOpen. */
static int snapOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCursor) {
  (void)pVtab;
  snap_cursor *c = sqlite3_malloc(sizeof(*c));
  if (!c) return SQLITE_NOMEM;
  memset(c, 0, sizeof(*c));
  *ppCursor = &c->base;
  return SQLITE_OK;
}

/* Frees the snapshot rows. */
static void snap_clear(snap_cursor *c, int ncol) {
  for (int i = 0; i < c->nrow * ncol; i++) free(c->cells[i].s);
  free(c->cells);
  c->cells = NULL;
  c->nrow = c->row = 0;
}

/* xClose. */
static int snapClose(sqlite3_vtab_cursor *pCur) {
  snap_cursor *c = (snap_cursor *)pCur;
  snap_clear(c, ((snap_vtab *)pCur->pVtab)->t->ncol);
  sqlite3_free(c);
  return SQLITE_OK;
}

/* xFilter: takes the snapshot. */
static int snapFilter(sqlite3_vtab_cursor *pCur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv) {
  snap_cursor *c = (snap_cursor *)pCur;
  snap_vtab *vt = (snap_vtab *)pCur->pVtab;
  (void)idxNum;
  (void)idxStr;
  (void)argc;
  (void)argv;
  snap_clear(c, vt->t->ncol);
  int n = vt->t->fill(vt->ctx, &c->cells);
  if (n < 0) return SQLITE_NOMEM;
  c->nrow = n;
  return SQLITE_OK;
}

static int snapNext(sqlite3_vtab_cursor *pCur) {
  ((snap_cursor *)pCur)->row++;
  return SQLITE_OK;
}

static int snapEof(sqlite3_vtab_cursor *pCur) {
  snap_cursor *c = (snap_cursor *)pCur;
  return c->row >= c->nrow;
}

/* xColumn: a cell of the snapshot. */
static int snapColumn(sqlite3_vtab_cursor *pCur, sqlite3_context *ctx, int i) {
  snap_cursor *c = (snap_cursor *)pCur;
  const cell *v = &c->cells[c->row * ((snap_vtab *)pCur->pVtab)->t->ncol + i];
  switch (v->type) {
    case SQLITE_INTEGER: sqlite3_result_int64(ctx, v->i); break;
    case SQLITE_FLOAT: sqlite3_result_double(ctx, v->d); break;
    case SQLITE_TEXT: sqlite3_result_text(ctx, v->s, -1, SQLITE_TRANSIENT); break;
    default: break;
  }
  return SQLITE_OK;
}

static int snapRowid(sqlite3_vtab_cursor *pCur, sqlite_int64 *pRowid) {
  *pRowid = ((snap_cursor *)pCur)->row;
  return SQLITE_OK;
}

static sqlite3_module snap_module = {
  .xConnect = snapConnect,
  .xBestIndex = snapBestIndex,
  .xDisconnect = snapDisconnect,
  .xDestroy = snapDisconnect,
  .xOpen = snapOpen,
  .xClose = snapClose,
  .xFilter = snapFilter,
  .xNext = snapNext,
  .xEof = snapEof,
  .xColumn = snapColumn,
  .xRowid = snapRowid,
};

static void snap_aux_free(void *p) {
  snap_aux *aux = p;
  okta_ctx_unref(aux->ctx);
  sqlite3_free(aux);
}

/* Registers okta_stats and okta_warnings. */
int okta_register_stats(sqlite3 *db, okta_ctx *ctx) {
  int rc = SQLITE_OK;
  for (size_t i = 0; rc == SQLITE_OK && i < sizeof(snap_tables) / sizeof(snap_tables[0]); i++) {
    snap_aux *aux = sqlite3_malloc(sizeof(*aux));
    if (!aux) return SQLITE_NOMEM;
    aux->ctx = ctx;
    aux->t = &snap_tables[i];
    okta_ctx_ref(ctx);
    rc = sqlite3_create_module_v2(db, snap_tables[i].name, &snap_module, aux, snap_aux_free);
  }
  return rc;
}
