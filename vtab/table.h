/*
** Table descriptors for the generic engine (vtab/engine.c).
**
** A table is a list of columns and a list of routes. A route is one way to
** answer a query:
**
**   keys:    where the keys come from: nothing (one plain listing), the
**            values of an "=" or "IN" constraint on the route's arg column,
**            or the items of a parent listing (fan-out);
**   source:  the request made for each key: a paged list, one object, or
**            a list paged in its body.
**
** xBestIndex picks the cheapest route whose arg column is constrained, and
** pushes every other usable constraint the route's source accepts into its
** query (filter=, search=, or a plain parameter). Everything pushed is still
** rechecked by SQLite (omit stays 0), so the API may return a superset and
** the result is exactly what the SQL says. Hidden columns are inputs: their
** constraint is consumed (omit), and they read back as the value given.
**
** Templates in source paths and parameters:
**   {key}      the fan-out key (URL-encoded as one path segment)
**   {arg}      the route's constraint value
**   {arg:q}    the same as a quoted, escaped filter literal ({key:q}: the key)
**   {batch}    for batched IN: 'attr eq "a" or attr eq "b" ...'
**   {now}      the current time, ISO 8601
**   {now-90d}  the time 90 days ago (the System Log's retention)
**
** Exactness. Every answer must equal the same query over plain tables
** holding the table's full scan. So a value is pushed only when the API's
** answer is a superset of the rows SQLite keeps (collation BINARY, a value
** the API can compare exactly, a bound converted with the text order of
** Okta's timestamps); a key column reads back the id the API returned, never
** the value the query passed; an id the API would resolve as something else
** (a login in place of a user id, "..") is no row without a request; and a
** row's rowid is a hash of the table's key columns, so it is the same
** whichever route reads the row (SQLite's OR de-duplicates by rowid).
*/
#ifndef OKTA_TABLE_H
#define OKTA_TABLE_H

#include "../ext/okta.h"

#include <sqlite3ext.h>
#include <cjson/cJSON.h>

struct okta_ctx;

/* Column value types (and their declared SQL types). */
enum okta_col_type { T_TEXT, T_INT, T_BOOL, T_REAL, T_JSON };

/* How a constraint on a column is pushed to the API. */
enum okta_dialect {
  D_NONE,
  D_FILTER,      /* term in filter= (or search= when that is in use) */
  D_SEARCH,      /* term in search= only */
  D_PARAM,       /* its own query parameter: api=value */
  D_RAW,         /* hidden column whose value is the parameter's raw text */
  D_TIME_RANGE,  /* >, >= go to api_lo, <, <= to api_hi */
};

/* Operators a column accepts for pushdown. */
#define OP_EQ 0x01
#define OP_RANGE 0x02 /* > >= < <= */

/* Column flags. */
#define COL_HIDDEN 0x01

typedef void (*okta_value_fn)(sqlite3_context *ctx, const cJSON *item, const cJSON *parent);

typedef struct okta_column {
  const char *name;
  int type;
  /* Where the value is: a dotted JSON path in the row's item ("profile.login",
  ** "target.0.id", "" for the whole item); "^path" in the parent item;
  ** "=key" the fan-out key; "=arg" the route's constraint value; NULL when
  ** fn computes it (or, for hidden inputs, the value constrained). */
  const char *path;
  okta_value_fn fn;
  unsigned flags;
  int dialect;
  const char *api;      /* attribute or parameter name */
  unsigned ops;
  const char *api_hi;   /* D_TIME_RANGE: parameter for the upper bound */
  const char *values;   /* '|'-separated values the API knows; others are not pushed */
  const char *doc;
  /* An Okta id column: its ids start with this prefix ("00u") and are
  ** letters and digits only. As a route's key, a value of another form
  ** (a login, "..") matches no row and costs no request. */
  const char *id_prefix;
  /* Sources that take one filter expression only (S_ONE_FILTER): the term
  ** of the lowest rank is sent. */
  int rank;
} okta_column;

/* Source kinds. */
enum okta_source_kind {
  K_LIST,       /* JSON array, next page in the Link header */
  K_OBJECT,     /* one JSON object */
  K_BODY_LIST,  /* {"value":[...], "_links":{"next":{"href":...}}} (body_key names "value") */
};

/* Source flags. */
#define S_PUSHDOWN 0x01     /* accepts pushed constraints */
#define S_404_EMPTY 0x02    /* 404: no rows (a deleted parent, a missing id) */
#define S_400_WARN 0x04     /* 400: no rows and a warning (feature not enabled) */
#define S_403_WARN 0x08     /* 403: no rows and a warning */
#define S_DEDUPE 0x10       /* passes may overlap: drop repeated ids */
#define S_ONE_FILTER 0x20   /* filter= takes one expression only (no and/or) */
#define S_SHRINK 0x40       /* a page that keeps failing with 5xx is asked again
                            ** with half the limit, then without expand= */
#define S_404_MISSING 0x80  /* any 404: the endpoint is missing (use the route's fallback) */
#define S_404_WARN 0x100    /* 404 without errorCode E0000007 (the endpoint itself is missing:
                            ** the org lacks the feature): no rows and a warning; with
                            ** E0000007 (a missing parent) no rows, as S_404_EMPTY */

typedef struct okta_source {
  const char *path;              /* e.g. /api/v1/users/{key}/factors */
  int kind;
  int page_size;                 /* limit= sent; 0 for unpaged endpoints */
  const char *const *params;     /* fixed "name=template" query parameters */
  const char *const *passes;     /* extra parameter per pass, used when nothing is pushed */
  unsigned flags;
  const char *warn;              /* text of the S_400_WARN/S_403_WARN warning */
  const char *body_key;          /* K_BODY_LIST: key of the array (NULL: "value") */
} okta_source;

typedef struct okta_route {
  const char *name;              /* shown in EXPLAIN QUERY PLAN */
  int arg;                       /* column whose = / IN constraint is required; -1 none */
  const okta_source *parent;     /* keys come from this listing's items ... */
  const char *parent_key;        /* ... at this path */
  const char *parent_unless;     /* skip parent items where this path is false */
  const okta_source *fallback;   /* parent listing to use when parent answers 404 */
  const okta_source *source;     /* the request per key */
  const char *batch_attr;        /* IN lists become {batch} filters on this attribute */
  const char *const *paths;      /* per-column path overrides, NULL entries keep the default */
  double cost;                   /* requests, for an org of about 10,000 users: per key for a
                                  ** keyed route, in all for a listing or fan-out */
  double rows;                   /* rows, likewise */
  /* Two-level fan-out (arg < 0 and a parent): the parent listing runs once
  ** per item of this listing, with the item's args_key as {arg}. */
  const okta_source *args_from;
  const char *args_key;
} okta_route;

typedef struct okta_table {
  const char *name;
  const char *doc;
  const okta_column *cols;
  int ncol;
  const okta_route *routes;
  int nroute;
  const char *needs;   /* permission or scope, for 403 errors and the docs */
  /* Optional: one more object per row, fetched with the row's id as {key}
  ** and attached to the item under aux_name (e.g. okta_org's support
  ** settings). Its source flags say what a 403 or 404 means. */
  const okta_source *aux;
  const char *aux_name;
  /* Space-separated columns that identify a row (default "id"): the rowid
  ** is their hash. */
  const char *key;
} okta_table;

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define PARAMS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* The registry of tables (vtab/registry.c). */
extern const okta_table *const okta_table_list[];
extern const int okta_table_count;

/* Helpers for derived columns (vtab/values.c). */
void okta_result_json(sqlite3_context *ctx, const cJSON *v);
const cJSON *okta_json_path(const cJSON *item, const char *path);

/* The SQL function okta_lower(text): Unicode lowercasing (okta_utf8_lower). */
void okta_sql_lower(sqlite3_context *ctx, int argc, sqlite3_value **argv);
/* Registers okta_lower and okta_aws_role_arn (what the graph's arms call) on db. */
int okta_register_pure_functions(sqlite3 *db);

#endif
