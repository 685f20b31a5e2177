/*
** The generic Okta virtual table.
**
** Every okta_* table except the graph is this module driven by a descriptor
** (table.h). The engine turns SQL constraints into a route and a query
** (xBestIndex, xFilter), walks the keys of the route, keeps a window of
** requests in flight for the following keys (fan-out), pages each listing
** lazily with the next page already requested while the current one is read
** (prefetch), and reads columns straight from the JSON (xColumn).
**
** Pipeline of one cursor:
**
**   args (= or IN values) --+--> [parent listing per arg] --> keys
**                           |                                   |
**                           +-----------------------------------+
**                                                               v
**        window: fetch(key1) fetch(key2) ... fetch(keyW)  (all in flight)
**                   |
**                   v  rows in key order, pages prefetched
*/
#include "table.h"
#include "rowstore.h"
#include "../ext/ctx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

SQLITE_EXTENSION_INIT3

#define MAX_SEGS 10
#define BATCH_MAX_IDS 50
#define BATCH_MAX_CHARS 1800

/* ---------------------------------------------------------------- paths */

enum { W_ITEM, W_PARENT, W_KEY, W_ARG, W_FN, W_PUSHED };

typedef struct col_path {
  int where;
  int nseg;
  char *store;               /* segment names, NUL-separated */
  const char *seg[MAX_SEGS];
  int index[MAX_SEGS];       /* >= 0: array index instead of a name */
} col_path;

/* Compiles "a.b.0.c" (with optional ^ or = prefix) into segments. */
static int path_compile(col_path *p, const okta_column *c, const char *path) {
  memset(p, 0, sizeof(*p));
  if (!path) {
    p->where = c->fn ? W_FN : W_PUSHED;
    return 0;
  }
  if (strcmp(path, "=key") == 0) { p->where = W_KEY; return 0; }
  if (strcmp(path, "=arg") == 0) { p->where = W_ARG; return 0; }
  p->where = W_ITEM;
  if (path[0] == '^') { p->where = W_PARENT; path++; }
  if (!*path) return 0; /* the whole item */
  p->store = okta_strdup(path);
  if (!p->store) return -1;
  char *s = p->store;
  while (s && p->nseg < MAX_SEGS) {
    char *dot = strchr(s, '.');
    if (dot) *dot = 0;
    p->seg[p->nseg] = s;
    p->index[p->nseg] = -1;
    if (*s >= '0' && *s <= '9') p->index[p->nseg] = atoi(s);
    p->nseg++;
    s = dot ? dot + 1 : NULL;
  }
  return 0;
}

/* Follows compiled segments from v. */
static const cJSON *path_walk(const cJSON *v, const col_path *p) {
  for (int i = 0; v && i < p->nseg; i++) {
    if (p->index[i] >= 0) v = cJSON_IsArray(v) ? cJSON_GetArrayItem(v, p->index[i]) : NULL;
    else v = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, p->seg[i]) : NULL;
  }
  return v;
}

/* ---------------------------------------------------------------- sets */

/* A set of strings (ids seen), open addressing. */
typedef struct strset {
  char **slot;
  size_t cap, n;
} strset;

static uint64_t str_hash(const char *s) {
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

/* Adds s; returns 1 if it was new, 0 if present, -1 on OOM. */
static int strset_add(strset *set, const char *s) {
  if ((set->n + 1) * 2 > set->cap) {
    size_t cap = set->cap ? set->cap * 2 : 256;
    char **slot = calloc(cap, sizeof(char *));
    if (!slot) return -1;
    for (size_t i = 0; i < set->cap; i++) {
      if (!set->slot[i]) continue;
      size_t j = str_hash(set->slot[i]) & (cap - 1);
      while (slot[j]) j = (j + 1) & (cap - 1);
      slot[j] = set->slot[i];
    }
    free(set->slot);
    set->slot = slot;
    set->cap = cap;
  }
  size_t j = str_hash(s) & (set->cap - 1);
  while (set->slot[j]) {
    if (strcmp(set->slot[j], s) == 0) return 0;
    j = (j + 1) & (set->cap - 1);
  }
  set->slot[j] = okta_strdup(s);
  if (!set->slot[j]) return -1;
  set->n++;
  return 1;
}

static void strset_free(strset *set) {
  for (size_t i = 0; i < set->cap; i++) free(set->slot[i]);
  free(set->slot);
  memset(set, 0, sizeof(*set));
}

/* ---------------------------------------------------------------- types */

#define MAX_KEY_COLS 4

typedef struct okta_vtab {
  sqlite3_vtab base;
  okta_ctx *ctx;
  const okta_table *t;
  col_path *paths; /* nroute x ncol */
  int key_col[MAX_KEY_COLS]; /* the columns whose hash is the rowid */
  int nkey;
  int listing;               /* the route that reads every row (-1: none) */
  /* Learned in this connection: rows and pages of the last full scan. */
  long learned_rows, full_pages;
  /* Probes (xFilter on a keyed route), counted per table because a
  ** correlated subquery opens a cursor per outer row; and the store of
  ** every row that answers them once they cost more than one full scan
  ** (okta_probe_build_now), kept while the response cache would. */
  int probes, probe_col;     /* probes on one column: another column starts over */
  long probe_pages, max_probe, pages_at_probe;
  okta_rowstore *store;
  uint64_t store_keep;       /* columns it holds (colUsed bits) */
  double store_expires;
  okta_client *store_cli;
  long store_generation;     /* the cache generation it was read from */
  int building;              /* store_build's own full scan is running */
  double sized_pages;        /* the listing's cost from its parent's first page (0: not known) */
  int parent_sized;          /* that first page was asked for */
} okta_vtab;

/* One listing (all pages, all passes) for one key. */
typedef struct fetch {
  const okta_source *src;
  int is_main;          /* the route's source (pushdown and LIMIT apply) */
  char *key;
  char *arg;
  cJSON *parent;
  int pass;
  okta_request *req;    /* submitted, not yet consumed */
  char *pending_url;    /* next page not yet submitted (LIMIT near) */
  cJSON *page;
  cJSON *it;
  int finished;
  int not_found;        /* ended on a 404 (S_404_EMPTY, S_404_MISSING) */
  long rows;
  okta_request *pass_req[8]; /* first pages of later passes, requested up front */
  strset urls;          /* pages seen: a next link back to one is a loop */
  strset ids;           /* S_DEDUPE */
} fetch;

typedef struct pushed_param {
  const char *name;
  char *value;
} pushed_param;

typedef struct okta_cursor {
  sqlite3_vtab_cursor base;
  okta_client *cli;
  int route_idx;
  const okta_route *route;
  pushed_param params[8];
  int nparams;
  int page_size;
  sqlite3_int64 want;   /* rows SQLite may read (LIMIT + OFFSET), -1 unknown */
  char **args;
  int nargs, argi;
  int single_done;
  int fallback_used;
  char **colval;        /* value constrained per column (hidden inputs) */
  fetch *pf;            /* parent listing of the current arg */
  fetch *af;            /* listing the args come from (route args_from) */
  fetch **win;
  int wcap, wn;
  int keys_done;
  cJSON *item;
  sqlite3_int64 rowid, emitted;
  int eof;
  int interrupted;
  strset looked_ahead;  /* keys already prefetched for joins */
  struct okta_cursor *next_open; /* in the connection's list of open cursors */
  int registered;
  /* A probe's key: the route's arg column and args, or on the listing
  ** route the first column compared with "=" and its value. */
  int probe_col;
  char *probe_val;
  /* Answering from the table's store instead of the API: the row srow
  ** whose skey_col is skeys[argi - 1]. */
  okta_rowstore *store;
  char **skeys;
  int nskeys, skey_col;
  int srow;
  long pages_at_filter; /* to learn what a full scan costs */
} okta_cursor;

/* ----------------------------------------------------------- templates */

/* Expands {key}, {arg}, {key:q}, {arg:q}, {now} of tpl into b; path mode encodes
** values as path segments, otherwise values are appended raw. */
static void expand(okta_buf *b, const char *tpl, const char *key, const char *arg, int path_mode) {
  for (const char *p = tpl; *p;) {
    const char *open = strchr(p, '{');
    if (!open) { okta_buf_puts(b, p); break; }
    okta_buf_append(b, p, (size_t)(open - p));
    const char *close = strchr(open, '}');
    if (!close) { okta_buf_puts(b, open); break; }
    size_t n = (size_t)(close - open - 1);
    const char *v = NULL;
    int quote = 0;
    char now[32];
    if (n == 3 && strncmp(open + 1, "key", 3) == 0) v = key;
    else if (n == 3 && strncmp(open + 1, "arg", 3) == 0) v = arg;
    else if (n == 5 && strncmp(open + 1, "arg:q", 5) == 0) { v = arg; quote = 1; }
    else if (n == 5 && strncmp(open + 1, "key:q", 5) == 0) { v = key; quote = 1; }
    else if (n == 3 && strncmp(open + 1, "now", 3) == 0) {
      okta_format_iso8601((int64_t)(okta_now_wall() * 1000), now);
      v = now;
    } else if (n == 7 && strncmp(open + 1, "now-90d", 7) == 0) {
      okta_format_iso8601((int64_t)(okta_now_wall() * 1000) - 90LL * 86400000, now);
      v = now;
    }
    if (!v) v = "";
    if (quote) okta_filter_quote(b, v);
    else if (path_mode) okta_buf_urlencode(b, v);
    else okta_buf_puts(b, v);
    p = close + 1;
  }
}

/* Appends "&name=value" (value URL-encoded). */
static void add_param(okta_buf *url, int *first, const char *name, size_t name_len, const char *value) {
  okta_buf_puts(url, *first ? "?" : "&");
  *first = 0;
  okta_buf_append(url, name, name_len);
  okta_buf_puts(url, "=");
  okta_buf_urlencode(url, value);
}

/* Builds the URL of the first page of a fetch for its current pass. */
static char *fetch_url(okta_cursor *cur, fetch *f) {
  okta_buf url = {0}, v = {0};
  int first = 1;
  const okta_source *s = f->src;
  expand(&url, s->path, f->key, f->arg, 1);
  int pushed = f->is_main && (s->flags & S_PUSHDOWN) && cur->nparams > 0;
  for (const char *const *p = s->params; p && *p; p++) {
    const char *eq = strchr(*p, '=');
    if (!eq) continue;
    size_t nl = (size_t)(eq - *p);
    int overridden = 0;
    for (int i = 0; pushed && i < cur->nparams; i++) {
      if (strlen(cur->params[i].name) == nl && strncmp(cur->params[i].name, *p, nl) == 0) overridden = 1;
    }
    if (overridden) continue;
    okta_buf_reset(&v);
    expand(&v, eq + 1, f->key, f->arg, 0);
    add_param(&url, &first, *p, nl, v.p ? v.p : "");
  }
  if (!pushed && s->passes && s->passes[f->pass] && s->passes[f->pass][0]) {
    const char *pp = s->passes[f->pass], *eq = strchr(pp, '=');
    if (eq) add_param(&url, &first, pp, (size_t)(eq - pp), eq + 1);
  }
  for (int i = 0; pushed && i < cur->nparams; i++)
    add_param(&url, &first, cur->params[i].name, strlen(cur->params[i].name), cur->params[i].value);
  if (s->page_size > 0) {
    char lim[24];
    snprintf(lim, sizeof(lim), "%d", f->is_main && cur->page_size > 0 ? cur->page_size : s->page_size);
    add_param(&url, &first, "limit", 5, lim);
  }
  okta_buf_free(&v);
  return okta_buf_take(&url);
}

/* 1 when v can stand for {name} in a path as exactly one segment of the
** intended endpoint: "", "." and ".." would address another resource
** (curl removes dot segments), and no Okta id is longer than this. */
static int path_value_ok(const char *tpl, const char *name, const char *v) {
  if (!strstr(tpl, name)) return 1;
  return v && v[0] && strcmp(v, ".") != 0 && strcmp(v, "..") != 0 && strlen(v) <= 512;
}

/* ------------------------------------------------------------- fetches */

static void fetch_free(okta_cursor *cur, fetch *f) {
  if (!f) return;
  okta_request_free(cur->cli, f->req);
  for (int i = 0; i < 8; i++) okta_request_free(cur->cli, f->pass_req[i]);
  free(f->pending_url);
  cJSON_Delete(f->page);
  cJSON_Delete(f->parent);
  free(f->key);
  free(f->arg);
  strset_free(&f->urls);
  strset_free(&f->ids);
  free(f);
}

/* Submits a request for url on behalf of f. */
static int fetch_submit(okta_cursor *cur, fetch *f, char *url) {
  okta_request *r = okta_request_new(cur->cli, url, f->src->path);
  free(url);
  if (!r) return -1;
  f->req = r;
  okta_client_submit(cur->cli, r);
  return 0;
}

static int fetch_passes(okta_cursor *cur, fetch *f);

/* Creates a fetch and submits its first page. Takes ownership of parent. */
static fetch *fetch_new(okta_cursor *cur, const okta_source *src, int is_main, const char *key,
                        const char *arg, cJSON *parent) {
  fetch *f = calloc(1, sizeof(*f));
  if (!f) { cJSON_Delete(parent); return NULL; }
  f->src = src;
  f->is_main = is_main;
  f->key = okta_strdup(key ? key : "");
  f->arg = okta_strdup(arg ? arg : "");
  f->parent = parent;
  if (f->key && f->arg && (!path_value_ok(src->path, "{key}", f->key) || !path_value_ok(src->path, "{arg}", f->arg))) {
    f->finished = 1; /* a key no resource can have: no rows, no request */
    return f;
  }
  char *url = f->key && f->arg ? fetch_url(cur, f) : NULL;
  if (!url || fetch_submit(cur, f, url)) {
    fetch_free(cur, f);
    return NULL;
  }
  /* Passes are independent listings: their first pages go out together,
  ** unless a LIMIT may be met before the later ones are needed. */
  int passes = fetch_passes(cur, f);
  if (passes > 1 && !(is_main && cur->want >= 0)) {
    for (int p = 1; p < passes && p < 8; p++) {
      f->pass = p;
      char *u = fetch_url(cur, f);
      okta_request *r = u ? okta_request_new(cur->cli, u, src->path) : NULL;
      free(u);
      if (!r) break;
      okta_client_submit(cur->cli, r);
      f->pass_req[p] = r;
    }
    f->pass = 0;
  }
  return f;
}

/* Number of passes of a fetch (1 unless the source has passes and nothing is pushed). */
static int fetch_passes(okta_cursor *cur, fetch *f) {
  if (!f->src->passes) return 1;
  if (f->is_main && (f->src->flags & S_PUSHDOWN) && cur->nparams > 0) return 1;
  int n = 0;
  while (f->src->passes[n]) n++;
  return n ? n : 1;
}

/* Moves a fetch to its next pass, using the request made up front if any. */
static int fetch_next_pass(okta_cursor *cur, fetch *f) {
  f->pass++;
  if (f->pass < 8 && f->pass_req[f->pass]) {
    f->req = f->pass_req[f->pass];
    f->pass_req[f->pass] = NULL;
    return 0;
  }
  char *u = fetch_url(cur, f);
  return u ? fetch_submit(cur, f, u) : -1;
}

/* Message for a failed request, with a hint on how to fix 401 and 403. */
static char *request_failure(okta_cursor *cur, okta_request *r) {
  okta_vtab *vt = (okta_vtab *)cur->base.pVtab;
  char *msg = okta_request_error(r);
  okta_buf b = {0};
  okta_buf_puts(&b, msg ? msg : "request failed");
  free(msg);
  if (!r->error && r->status == 401) {
    okta_buf_puts(&b, " (check OKTA_CLIENT_TOKEN: API tokens expire after 30 days unused and "
                      "stop working when their creator is deactivated)");
  } else if (!r->error && r->status == 403 && !(r->www_authenticate && strstr(r->www_authenticate, "scope"))) {
    okta_buf_printf(&b, " (needs %s)", vt->t->needs ? vt->t->needs : "a token with more permissions");
  }
  return okta_buf_take(&b);
}

/* 1 when the body of a failed request carries Okta's errorCode code. */
static int has_error_code(okta_request *r, const char *code) {
  cJSON *j = r->body.n ? cJSON_ParseWithLength(r->body.p, r->body.n) : NULL;
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "errorCode");
  int yes = cJSON_IsString(c) && strcmp(c->valuestring, code) == 0;
  cJSON_Delete(j);
  return yes;
}

/* The URL of a page asked again after it kept failing with 5xx (S_SHRINK):
** the same cursor with half the limit, or at the smallest limit without
** expand=. The cursor is the same, so no row is lost or repeated. NULL when
** there is nothing left to try. */
static char *shrunk_url(const char *url, int *dropped_expand) {
  const char *q = strchr(url, '?');
  if (!q) return NULL;
  okta_buf b = {0};
  okta_buf_append(&b, url, (size_t)(q - url));
  int changed = 0, limit = 0;
  for (const char *p = q + 1; *p;) {
    const char *amp = strchr(p, '&');
    size_t n = amp ? (size_t)(amp - p) : strlen(p);
    if (n > 6 && strncmp(p, "limit=", 6) == 0) limit = atoi(p + 6);
    p += n + (amp ? 1 : 0);
  }
  int shrink = limit > 25;
  for (const char *p = q + 1; *p;) {
    const char *amp = strchr(p, '&');
    size_t n = amp ? (size_t)(amp - p) : strlen(p);
    int first = b.n == (size_t)(q - url);
    if (shrink && n > 6 && strncmp(p, "limit=", 6) == 0) {
      okta_buf_printf(&b, "%slimit=%d", first ? "?" : "&", limit / 2);
      changed = 1;
    } else if (!shrink && n > 7 && strncmp(p, "expand=", 7) == 0) {
      *dropped_expand = changed = 1;
    } else {
      okta_buf_puts(&b, first ? "?" : "&");
      okta_buf_append(&b, p, n);
    }
    p += n + (amp ? 1 : 0);
  }
  if (!changed) { okta_buf_free(&b); return NULL; }
  return okta_buf_take(&b);
}

/* Turns a finished request into the fetch's current page. Returns 0, or -1
** with *err set. */
static int fetch_take_page(okta_cursor *cur, fetch *f, char **err) {
  okta_vtab *vt = (okta_vtab *)cur->base.pVtab;
  okta_request *r = f->req;
  const okta_source *s = f->src;
  f->req = NULL;
  if (r->error || r->status < 200 || r->status > 299) {
    int st = r->error && !r->status ? 0 : (int)r->status;
    if (st >= 500 && (s->flags & S_SHRINK)) {
      int dropped = 0;
      char *again = shrunk_url(r->url, &dropped);
      if (again) {
        if (dropped)
          okta_ctx_warn(vt->ctx, vt->t->name, "GET %s kept failing with %d: read without expand= (the "
                        "columns it adds are NULL from here on)", s->path, st);
        okta_request_free(cur->cli, r);
        if (fetch_submit(cur, f, again)) { *err = okta_strdup("out of memory"); return -1; }
        return 0;
      }
    }
    /* Only Okta's "resource not found" is no rows: any other 404 (an
    ** endpoint the org does not serve, a proxy's page) is an error, unless
    ** the source says the endpoint itself may be missing. */
    int missing = st == 404 && ((s->flags & S_404_MISSING) ||
                                ((s->flags & S_404_EMPTY) && has_error_code(r, "E0000007")));
    if (!r->error || st) {
      /* A 404 of a source the org may lack (S_404_WARN, and not Okta's
      ** "resource not found" for a missing key): no rows and a warning. */
      int lacks_404 = st == 404 && (s->flags & S_404_WARN) && !has_error_code(r, "E0000007");
      missing |= st == 404 && (s->flags & S_404_WARN) && !lacks_404;
      if (missing || lacks_404 || (st == 400 && (s->flags & S_400_WARN)) || (st == 403 && (s->flags & S_403_WARN))) {
        if (!missing) {
          char *m = okta_request_error(r);
          /* The pass (e.g. type=X of a listing per type) says what was skipped. */
          const char *pass = fetch_passes(cur, f) > 1 ? s->passes[f->pass] : "";
          okta_ctx_warn(vt->ctx, vt->t->name, "%s%s%s%s%s%s", s->warn ? s->warn : "", *pass ? " (" : "", pass,
                        *pass ? ")" : "", s->warn || *pass ? ": " : "", m ? m : "");
          free(m);
          /* A source the org lacks answers the same for every key: stop the fan-out. */
          if (f->is_main && cur->route->parent) cur->keys_done = 1;
        } else {
          f->not_found = 1;
        }
        okta_request_free(cur->cli, r);
        /* A pass the org does not support ends that pass, not the others. */
        if (f->pass + 1 < fetch_passes(cur, f)) {
          if (fetch_next_pass(cur, f)) { *err = okta_strdup("out of memory"); return -1; }
          return 0;
        }
        f->finished = 1;
        return 0;
      }
    }
    *err = request_failure(cur, r);
    okta_request_free(cur->cli, r);
    return -1;
  }
  cJSON *j = okta_request_json(r, err);
  if (!j) {
    okta_request_free(cur->cli, r);
    return -1;
  }
  char *next = NULL;
  cJSON *page = NULL;
  if (s->kind == K_LIST) {
    if (!cJSON_IsArray(j)) goto shape;
    page = j;
    next = okta_strdup(r->next_url);
  } else if (s->kind == K_OBJECT) {
    if (!cJSON_IsObject(j)) goto shape;
    page = cJSON_CreateArray();
    if (!page) { cJSON_Delete(j); goto oom; }
    cJSON_AddItemToArray(page, j);
  } else {
    cJSON *value = cJSON_GetObjectItemCaseSensitive(j, s->body_key ? s->body_key : "value");
    if (!cJSON_IsArray(value)) goto shape;
    cJSON *href = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "_links"), "next"), "href");
    if (cJSON_IsString(href) && href->valuestring[0]) {
      const okta_config *cfg = okta_client_config(cur->cli);
      next = okta_link_pin(cfg->org_url, href->valuestring);
      if (!next) {
        okta_buf b = {0};
        okta_buf_printf(&b, "GET %s: the next-page link points to another origin (%.200s); it was not "
                            "followed because the token may only go to %s", s->path, href->valuestring, cfg->org_url);
        *err = okta_buf_take(&b);
        cJSON_Delete(j);
        okta_request_free(cur->cli, r);
        return -1;
      }
    }
    page = cJSON_DetachItemViaPointer(j, value);
    cJSON_Delete(j);
  }
  if (strset_add(&f->urls, r->url) < 0) goto oom_page;
  okta_request_free(cur->cli, r);
  r = NULL;
  cJSON_Delete(f->page);
  f->page = page;
  f->it = page->child;
  if (next && f->urls.n) {
    int added = strset_add(&f->urls, next);
    if (added < 0) { free(next); goto oom; }
    if (added == 0 && page->child) {
      okta_buf b = {0};
      okta_buf_printf(&b, "GET %s: the next-page link loops back to a page already read (%.200s)", s->path, next);
      *err = okta_buf_take(&b);
      free(next);
      return -1;
    }
    if (added == 0) {
      /* An empty page that links back to a page already read ends a
      ** bounded System Log query on real orgs: the end, not a loop. */
      free(next);
      next = NULL;
    }
  }
  if (!next) {
    if (f->pass + 1 < fetch_passes(cur, f)) {
      if (fetch_next_pass(cur, f)) goto oom;
    } else {
      f->finished = 1;
    }
  }
  if (next) {
    /* Prefetch now, unless LIMIT says the rows in hand are all we need. */
    int items = cJSON_GetArraySize(page);
    if (f->is_main && cur->want >= 0 && cur->wcap == 1 && cur->emitted + items >= cur->want) {
      f->pending_url = next;
    } else if (fetch_submit(cur, f, next)) {
      goto oom;
    } else {
      okta_client_poll(cur->cli); /* on the wire while this page's rows are read */
    }
  }
  return 0;
shape:
  {
    okta_buf b = {0};
    okta_buf_printf(&b, "GET %s: unexpected response shape: expected %s%s%s", s->path,
                    s->kind == K_LIST ? "a JSON array" : s->kind == K_OBJECT ? "a JSON object" : "an object with a ",
                    s->kind == K_BODY_LIST ? (s->body_key ? s->body_key : "value") : "",
                    s->kind == K_BODY_LIST ? " array" : "");
    if (r->request_id) okta_buf_printf(&b, " (request %s)", r->request_id);
    *err = okta_buf_take(&b);
    cJSON_Delete(j);
    okta_request_free(cur->cli, r);
    return -1;
  }
oom_page:
  cJSON_Delete(page);
  okta_request_free(cur->cli, r);
oom:
  *err = okta_strdup("out of memory");
  return -1;
}

/* 1 when the next item of f is available without waiting. */
static int fetch_ready(fetch *f) {
  if (f->it || f->finished) return 1;
  return f->req && f->req->state == REQ_DONE;
}

/* Next item of a fetch (owned by the caller): 1 item, 0 end, -1 error,
** -2 interrupted. */
static int fetch_next(okta_cursor *cur, fetch *f, cJSON **item, char **err) {
  for (;;) {
    while (f->it) {
      cJSON *it = f->it;
      f->it = it->next;
      cJSON_DetachItemViaPointer(f->page, it);
      if (f->src->flags & S_DEDUPE) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(it, "id");
        if (cJSON_IsString(id)) {
          int added = strset_add(&f->ids, id->valuestring);
          if (added < 0) { cJSON_Delete(it); *err = okta_strdup("out of memory"); return -1; }
          if (added == 0) { cJSON_Delete(it); continue; }
        }
      }
      f->rows++;
      *item = it;
      return 1;
    }
    if (f->page) { cJSON_Delete(f->page); f->page = NULL; }
    if (!f->req && f->pending_url) {
      char *u = f->pending_url;
      f->pending_url = NULL;
      if (fetch_submit(cur, f, u)) { *err = okta_strdup("out of memory"); return -1; }
    }
    if (!f->req) return 0;
    if (okta_client_wait(cur->cli, f->req)) return -2;
    if (fetch_take_page(cur, f, err)) return -1;
  }
}

/* --------------------------------------------------------------- keys */

/* The {arg} of the next parent listing: a constraint value, the args_key
** of the next item of the route's args_from listing, or one empty pass.
** 1 with *a set (malloc'd, may be NULL), 0 at the end, 2 when nonblock and
** args_from has nothing ready, -1 error, -2 interrupt. */
static int next_arg(okta_cursor *cur, int nonblock, char **a, char **err) {
  const okta_route *rt = cur->route;
  *a = NULL;
  if (rt->arg >= 0) {
    if (cur->argi >= cur->nargs) return 0;
    *a = okta_strdup(cur->args[cur->argi++]);
    return *a ? 1 : -1;
  }
  if (!rt->args_from) {
    if (cur->single_done) return 0;
    cur->single_done = 1;
    return 1;
  }
  if (!cur->af) {
    if (cur->single_done) return 0;
    cur->single_done = 1;
    cur->af = fetch_new(cur, rt->args_from, 0, "", "", NULL);
    if (!cur->af) { *err = okta_strdup("out of memory"); return -1; }
  }
  if (nonblock && !fetch_ready(cur->af)) return 2;
  cJSON *item = NULL;
  int rc = fetch_next(cur, cur->af, &item, err);
  if (rc <= 0) {
    if (rc == 0) { fetch_free(cur, cur->af); cur->af = NULL; }
    return rc;
  }
  const cJSON *k = okta_json_path(item, rt->args_key);
  if (cJSON_IsString(k) && k->valuestring[0]) {
    *a = okta_strdup(k->valuestring);
    if (!*a) *err = okta_strdup("out of memory");
  } else {
    okta_buf b = {0};
    okta_buf_printf(&b, "GET %s: an item has no %s to fetch %s with", rt->args_from->path, rt->args_key,
                    rt->parent->path);
    *err = okta_buf_take(&b);
  }
  cJSON_Delete(item);
  return *a ? 1 : -1;
}

/* Next fan-out key: 1 with key, arg and parent set, 0 at the end, 2 when
** nonblock and the parent listing has nothing ready, -1 error, -2 interrupt. */
static int next_key(okta_cursor *cur, int nonblock, char **key, char **arg, cJSON **parent, char **err) {
  const okta_route *rt = cur->route;
  *key = *arg = NULL;
  *parent = NULL;
  if (!rt->parent) {
    if (rt->arg < 0) {
      if (cur->single_done) return 0;
      cur->single_done = 1;
      *key = okta_strdup("");
    } else {
      if (cur->argi >= cur->nargs) return 0;
      *key = okta_strdup(cur->args[cur->argi]);
      *arg = okta_strdup(cur->args[cur->argi]);
      cur->argi++;
    }
    return *key ? 1 : -1;
  }
  for (;;) {
    if (!cur->pf) {
      char *a = NULL;
      int rc = next_arg(cur, nonblock, &a, err);
      if (rc != 1) return rc;
      cur->pf = fetch_new(cur, rt->parent, 0, "", a, NULL);
      free(a);
      if (!cur->pf) { *err = okta_strdup("out of memory"); return -1; }
    }
    if (nonblock && !fetch_ready(cur->pf)) return 2;
    cJSON *item = NULL;
    int rc = fetch_next(cur, cur->pf, &item, err);
    if (rc < 0) return rc;
    if (rc == 0) {
      int fall_back = cur->pf->not_found && cur->pf->rows == 0 && rt->fallback && !cur->fallback_used;
      char *a = fall_back ? okta_strdup(cur->pf->arg) : NULL;
      fetch_free(cur, cur->pf);
      cur->pf = NULL;
      if (fall_back) {
        /* The cheaper listing is not available here: list every parent. */
        cur->fallback_used = 1;
        cur->pf = fetch_new(cur, rt->fallback, 0, "", a, NULL);
        free(a);
        if (!cur->pf) { *err = okta_strdup("out of memory"); return -1; }
      }
      continue;
    }
    if (rt->parent_unless && cJSON_IsFalse(okta_json_path(item, rt->parent_unless))) {
      cJSON_Delete(item);
      continue;
    }
    const cJSON *k = okta_json_path(item, rt->parent_key);
    if (!cJSON_IsString(k) || !k->valuestring[0]) {
      okta_buf b = {0};
      okta_buf_printf(&b, "GET %s: an item has no %s to fetch %s with", rt->parent->path, rt->parent_key,
                      rt->source->path);
      *err = okta_buf_take(&b);
      cJSON_Delete(item);
      return -1;
    }
    *key = okta_strdup(k->valuestring);
    *arg = okta_strdup(cur->pf->arg);
    *parent = item;
    return 1;
  }
}

/* Keeps the window of fetches full. Blocks for a key only when the window
** is empty (otherwise rows are ready to be read while parents load). */
static int fill_window(okta_cursor *cur, char **err) {
  int added = 0;
  while (cur->wn < cur->wcap && !cur->keys_done) {
    char *key, *arg;
    cJSON *parent;
    int rc = next_key(cur, cur->wn > 0, &key, &arg, &parent, err);
    if (rc == 2) break;
    if (rc < 0) return rc;
    if (rc == 0) { cur->keys_done = 1; break; }
    fetch *f = fetch_new(cur, cur->route->source, 1, key, arg, parent);
    free(key);
    free(arg);
    if (!f) { *err = okta_strdup("out of memory"); return -1; }
    cur->win[cur->wn++] = f;
    added++;
  }
  if (added) okta_client_poll(cur->cli); /* the new requests go out together */
  return 0;
}

/* Fetches the table's aux object for item and attaches it; 0 or -1/-2. */
static int attach_aux(okta_cursor *cur, cJSON *item, char **err) {
  okta_vtab *vt = (okta_vtab *)cur->base.pVtab;
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
  fetch *f = fetch_new(cur, vt->t->aux, 0, cJSON_IsString(id) ? id->valuestring : "", "", NULL);
  if (!f) { *err = okta_strdup("out of memory"); return -1; }
  cJSON *aux = NULL;
  int rc = fetch_next(cur, f, &aux, err);
  fetch_free(cur, f);
  if (rc < 0) return rc;
  if (aux) cJSON_AddItemToObject(item, vt->t->aux_name, aux);
  return 0;
}

/* At the end of a plain full scan, remembers its rows and pages: the
** costs of the next plans, and the price of the probe policy. */
static void learn_full_scan(okta_cursor *cur) {
  okta_vtab *vt = (okta_vtab *)cur->base.pVtab;
  if (cur->route_idx != vt->listing || cur->nparams > 0 || cur->want >= 0) return;
  for (int c = 0; c < vt->t->ncol; c++) {
    if (cur->colval[c]) return;
  }
  vt->learned_rows = (long)cur->emitted;
  vt->full_pages = okta_pages_read(cur->cli) - cur->pages_at_filter;
  if (vt->full_pages < 1) vt->full_pages = 1;
}

/* Moves to the next row; sets eof at the end. */
static int cursor_advance(okta_cursor *cur) {
  okta_vtab *vt = (okta_vtab *)cur->base.pVtab;
  char *err = NULL;
  cJSON_Delete(cur->item);
  cur->item = NULL;
  for (;;) {
    int rc = fill_window(cur, &err);
    if (rc == 0 && cur->wn == 0) {
      cur->eof = 1;
      learn_full_scan(cur);
      return SQLITE_OK;
    }
    if (rc == 0) {
      cJSON *item = NULL;
      rc = fetch_next(cur, cur->win[0], &item, &err);
      if (rc == 1) {
        if (vt->t->aux) {
          rc = attach_aux(cur, item, &err);
          if (rc < 0) cJSON_Delete(item);
          else rc = 1;
        }
        if (rc == 1) {
          cur->item = item;
          cur->rowid++;
          cur->emitted++;
          if ((cur->emitted & 31) == 0) okta_client_poll(cur->cli);
          if ((cur->emitted & 255) == 0) okta_ctx_progress_rows(vt->ctx, vt->t->name, (long)cur->emitted);
          return SQLITE_OK;
        }
      } else if (rc == 0) {
        fetch_free(cur, cur->win[0]);
        memmove(cur->win, cur->win + 1, sizeof(fetch *) * (size_t)--cur->wn);
        continue;
      }
    }
    if (rc == -2) {
      okta_vtab_error(&vt->base, "interrupted");
      return SQLITE_INTERRUPT;
    }
    okta_vtab_error(&vt->base, "%s", err ? err : "out of memory");
    free(err);
    return SQLITE_ERROR;
  }
}

/* --------------------------------------------------------------- module */

/* Declared SQL type of a column. */
static const char *decl_type(int t) {
  switch (t) {
    case T_INT: case T_BOOL: return "INTEGER";
    case T_REAL: return "REAL";
    default: return "TEXT";
  }
}

typedef struct okta_module_aux {
  okta_ctx *ctx;
  const okta_table *t;
} okta_module_aux;

/* Frees a module's client data. */
static void module_aux_free(void *p) {
  okta_module_aux *aux = p;
  okta_ctx_unref(aux->ctx);
  sqlite3_free(aux);
}

static int oktaDisconnect(sqlite3_vtab *pVtab);

/* xConnect: declares the table from its descriptor. */
static int oktaConnect(sqlite3 *db, void *pAux, int argc, const char *const *argv, sqlite3_vtab **ppVtab,
                       char **pzErr) {
  okta_module_aux *aux = pAux;
  const okta_table *t = aux->t;
  (void)argc;
  (void)argv;
  okta_buf sql = {0};
  okta_buf_puts(&sql, "CREATE TABLE x(");
  for (int i = 0; i < t->ncol; i++) {
    okta_buf_printf(&sql, "%s%s %s%s", i ? ", " : "", t->cols[i].name, decl_type(t->cols[i].type),
                    t->cols[i].flags & COL_HIDDEN ? " HIDDEN" : "");
  }
  okta_buf_puts(&sql, ")");
  int rc = sql.oom ? SQLITE_NOMEM : sqlite3_declare_vtab(db, sql.p);
  okta_buf_free(&sql);
  if (rc != SQLITE_OK) {
    *pzErr = sqlite3_mprintf("okta: cannot declare %s: %s", t->name, sqlite3_errmsg(db));
    return rc;
  }
  okta_vtab *vt = sqlite3_malloc(sizeof(*vt));
  if (!vt) return SQLITE_NOMEM;
  memset(vt, 0, sizeof(*vt));
  vt->ctx = aux->ctx;
  vt->t = t;
  vt->paths = calloc((size_t)(t->nroute * t->ncol), sizeof(col_path));
  if (!vt->paths) { sqlite3_free(vt); return SQLITE_NOMEM; }
  for (int r = 0; r < t->nroute; r++) {
    for (int c = 0; c < t->ncol; c++) {
      const char *p = t->cols[c].path;
      if (t->routes[r].paths && t->routes[r].paths[c]) p = t->routes[r].paths[c];
      if (path_compile(&vt->paths[r * t->ncol + c], &t->cols[c], p)) rc = SQLITE_NOMEM;
    }
  }
  vt->listing = -1;
  for (int r = t->nroute - 1; r >= 0; r--) {
    if (t->routes[r].arg < 0) vt->listing = r;
  }
  /* The key columns, by name (a descriptor error is a bug: fail loudly). */
  const char *key = t->key ? t->key : "id";
  while (*key && rc == SQLITE_OK) {
    size_t n = strcspn(key, " ");
    int found = -1;
    for (int c = 0; c < t->ncol; c++) {
      if (strlen(t->cols[c].name) == n && strncmp(t->cols[c].name, key, n) == 0) found = c;
    }
    if (found < 0 || vt->nkey == MAX_KEY_COLS) {
      *pzErr = sqlite3_mprintf("okta: %s: bad key column list '%s'", t->name, t->key ? t->key : "id");
      rc = SQLITE_ERROR;
      break;
    }
    vt->key_col[vt->nkey++] = found;
    key += n;
    while (*key == ' ') key++;
  }
  if (rc != SQLITE_OK) {
    oktaDisconnect(&vt->base);
    return rc;
  }
  sqlite3_vtab_config(db, SQLITE_VTAB_DIRECTONLY); /* reaches the network: not from views or triggers */
  *ppVtab = &vt->base;
  return rc;
}

/* xDisconnect: frees the table. */
static int oktaDisconnect(sqlite3_vtab *pVtab) {
  okta_vtab *vt = (okta_vtab *)pVtab;
  okta_rowstore_free(vt->store);
  for (int i = 0; i < vt->t->nroute * vt->t->ncol; i++) free(vt->paths[i].store);
  free(vt->paths);
  sqlite3_free(vt->base.zErrMsg);
  sqlite3_free(vt);
  return SQLITE_OK;
}

/*
** Plan encoding (shared by xBestIndex and xFilter):
**
**   idxNum  the index of the chosen route in the table's routes[].
**   idxStr  the route's name followed by one token per xFilter argument,
**           space-separated, in argv order:
**             <column>=    equality (on the route's arg column: the key)
**             <column>IN   the route's arg column, all IN values at once
**             <column>>  <column>>=  <column><  <column><=   ranges
**             LIMIT  OFFSET
**           e.g. "list status= last_updated>= LIMIT". EXPLAIN QUERY PLAN
**           shows it, and tests assert it. A plan with a key (a keyed
**           route, or an "=" pushed on a listing) ends with "used=<hex>",
**           the columns it reads (colUsed), so that its probes can be
**           answered from a store (see probe_from_store).
**
** Cost model. What a query waits on is requests, so estimatedCost counts
** requests (100 each) plus rows (0.01 each). A route's requests are the
** descriptor's guess for an org of about 10,000 users (its cost field:
** per key for a keyed route, in all for a listing or fan-out) until this
** connection has read the table once: then the listing's requests and rows
** are the learned ones. Each pushed term halves the requests and keeps a
** quarter of the rows. SQLite multiplies an inner route's cost by the
** outer rows, so a probe per outer row wins only when the outer side is
** small; and when it is not, the probes are answered from one listing
** anyway (probe_from_store), so no plan costs more than a scan of each
** table plus a few probes.
*/
static const char *op_name(unsigned char op) {
  switch (op) {
    case SQLITE_INDEX_CONSTRAINT_EQ: return "=";
    case SQLITE_INDEX_CONSTRAINT_GT: return ">";
    case SQLITE_INDEX_CONSTRAINT_GE: return ">=";
    case SQLITE_INDEX_CONSTRAINT_LT: return "<";
    case SQLITE_INDEX_CONSTRAINT_LE: return "<=";
    default: return NULL;
  }
}

/* 1 when constraint i compares with SQLite's BINARY collation: under
** NOCASE or RTRIM an API's exact match would lose rows. */
static int binary_collation(sqlite3_index_info *info, int i) {
  const char *coll = sqlite3_vtab_collation(info, i);
  return !coll || sqlite3_stricmp(coll, "BINARY") == 0;
}

/* 1 when constraint op on column c can be pushed into a source's query. */
static int pushable(const okta_column *c, unsigned char op) {
  if (c->dialect == D_NONE) return 0;
  if (op == SQLITE_INDEX_CONSTRAINT_EQ) return (c->ops & OP_EQ) || c->dialect == D_RAW;
  if (op == SQLITE_INDEX_CONSTRAINT_GT || op == SQLITE_INDEX_CONSTRAINT_GE || op == SQLITE_INDEX_CONSTRAINT_LT ||
      op == SQLITE_INDEX_CONSTRAINT_LE)
    return (c->ops & OP_RANGE) != 0;
  return 0;
}

/* xBestIndex: chooses a route and the constraints to push (see above). */
static int oktaBestIndex(sqlite3_vtab *pVtab, sqlite3_index_info *info) {
  okta_vtab *vt = (okta_vtab *)pVtab;
  const okta_table *t = vt->t;
  int best = -1, best_arg = -1, best_in = 0;
  double best_cost = 1e300;
  int hidden_input = -1; /* a column that only exists as an API input */
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    if (c->usable && c->iColumn >= 0 && (t->cols[c->iColumn].flags & COL_HIDDEN) &&
        c->op == SQLITE_INDEX_CONSTRAINT_EQ)
      hidden_input = c->iColumn;
  }

  for (int r = 0; r < t->nroute; r++) {
    const okta_route *rt = &t->routes[r];
    int arg_cons = -1, is_in = 0;
    /* A hidden input can only be honoured by a route that sends it. */
    if (hidden_input >= 0 && rt->arg != hidden_input &&
        !((rt->source->flags & S_PUSHDOWN) && pushable(&t->cols[hidden_input], SQLITE_INDEX_CONSTRAINT_EQ)))
      continue;
    if (rt->arg >= 0) {
      for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (c->usable && c->iColumn == rt->arg && c->op == SQLITE_INDEX_CONSTRAINT_EQ &&
            binary_collation(info, i)) {
          arg_cons = i;
          break;
        }
      }
      if (arg_cons < 0) continue;
#if SQLITE_VERSION_NUMBER >= 3038000
      if (sqlite3_libversion_number() >= 3038000) is_in = sqlite3_vtab_in(info, arg_cons, -1);
#endif
      if (rt->batch_attr && !is_in) continue;
    }
    double cost = r == vt->listing && vt->full_pages > 0 ? (double)vt->full_pages : rt->cost;
    if (is_in && !rt->batch_attr) cost *= 5;
    if (rt->source->flags & S_PUSHDOWN) {
      for (int i = 0; i < info->nConstraint; i++) {
        const struct sqlite3_index_constraint *c = &info->aConstraint[i];
        if (c->usable && c->iColumn >= 0 && i != arg_cons && pushable(&t->cols[c->iColumn], c->op) &&
            binary_collation(info, i))
          cost *= 0.5;
      }
    }
    if (cost < 1) cost = 1;
    if (cost < best_cost) {
      best_cost = cost;
      best = r;
      best_arg = arg_cons;
      best_in = is_in;
    }
  }
  if (best < 0) {
    /* Only routes that need a constraint that is not there: make the plan
    ** unattractive, and fail in xFilter if SQLite takes it anyway. */
    info->idxNum = -1;
    info->estimatedCost = 1e12;
    info->estimatedRows = 1000000;
    return SQLITE_OK;
  }
  const okta_route *rt = &t->routes[best];
  okta_buf s = {0};
  okta_buf_puts(&s, rt->name);
  int argv = 0, all_pushed = 1;
  if (best_arg >= 0) {
    info->aConstraintUsage[best_arg].argvIndex = ++argv;
    okta_buf_printf(&s, " %s%s", t->cols[rt->arg].name, best_in ? "IN" : "=");
#if SQLITE_VERSION_NUMBER >= 3038000
    if (best_in) sqlite3_vtab_in(info, best_arg, 1);
#endif
  }
  int limit_cons = -1, offset_cons = -1;
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    if (!c->usable || i == best_arg) continue;
#ifdef SQLITE_INDEX_CONSTRAINT_LIMIT
    if (c->op == SQLITE_INDEX_CONSTRAINT_LIMIT) { limit_cons = i; continue; }
    if (c->op == SQLITE_INDEX_CONSTRAINT_OFFSET) { offset_cons = i; continue; }
#endif
    if (c->iColumn < 0) { all_pushed = 0; continue; }
    const okta_column *col = &t->cols[c->iColumn];
    /* Hidden inputs take any collation: they read back as given. */
    if ((rt->source->flags & S_PUSHDOWN) && pushable(col, c->op) &&
        ((col->flags & COL_HIDDEN) || binary_collation(info, i))) {
      info->aConstraintUsage[i].argvIndex = ++argv;
      /* Hidden inputs cannot be rechecked: their value is what was passed. */
      if (col->flags & COL_HIDDEN) info->aConstraintUsage[i].omit = 1;
      okta_buf_printf(&s, " %s%s", col->name, op_name(c->op));
    } else if (!(best_arg >= 0 && c->iColumn == rt->arg && c->op == SQLITE_INDEX_CONSTRAINT_EQ)) {
      all_pushed = 0;
    }
  }
  /* LIMIT only sizes pages when every constraint went to the API: otherwise
  ** SQLite discards rows and small pages would multiply requests. */
  if (limit_cons >= 0 && all_pushed) {
    info->aConstraintUsage[limit_cons].argvIndex = ++argv;
    okta_buf_puts(&s, " LIMIT");
    if (offset_cons >= 0) {
      info->aConstraintUsage[offset_cons].argvIndex = ++argv;
      okta_buf_puts(&s, " OFFSET");
    }
  }
  /* A keyed route may be answered from a store of the table's rows: it
  ** needs to know which columns the plan reads. */
  int probe_eq = 0;
  for (int i = 0; i < info->nConstraint; i++) {
    const struct sqlite3_index_constraint *c = &info->aConstraint[i];
    probe_eq |= info->aConstraintUsage[i].argvIndex > 0 && c->op == SQLITE_INDEX_CONSTRAINT_EQ && c->iColumn >= 0 &&
                !(t->cols[c->iColumn].flags & COL_HIDDEN);
  }
  if (rt->arg >= 0 || probe_eq) okta_buf_printf(&s, " used=%llx", (unsigned long long)info->colUsed);
  if (s.oom) { okta_buf_free(&s); return SQLITE_NOMEM; }
  info->idxNum = best;
  info->idxStr = sqlite3_mprintf("%s", s.p);
  info->needToFreeIdxStr = 1;
  okta_buf_free(&s);
  if (!info->idxStr) return SQLITE_NOMEM;
  double rows = best == vt->listing && vt->learned_rows > 0 ? (double)vt->learned_rows : rt->rows > 0 ? rt->rows : 1000;
  for (int i = 1; i < argv; i++) rows /= 4; /* each pushed term keeps some */
  if (rows < 1) rows = 1;
  info->estimatedCost = best_cost * 100 + rows * 0.01;
  info->estimatedRows = (sqlite3_int64)rows;
  if (rt->source->kind == K_OBJECT && !rt->parent && best_arg >= 0 && !best_in)
    info->idxFlags |= SQLITE_INDEX_SCAN_UNIQUE;
  return SQLITE_OK;
}

/* xOpen: a new cursor. */
static int oktaOpen(sqlite3_vtab *pVtab, sqlite3_vtab_cursor **ppCursor) {
  okta_vtab *vt = (okta_vtab *)pVtab;
  okta_cursor *cur = sqlite3_malloc(sizeof(*cur));
  if (!cur) return SQLITE_NOMEM;
  memset(cur, 0, sizeof(*cur));
  cur->colval = calloc((size_t)vt->t->ncol, sizeof(char *));
  if (!cur->colval) { sqlite3_free(cur); return SQLITE_NOMEM; }
  cur->probe_col = -1;
  cur->eof = 1;
  *ppCursor = &cur->base;
  return SQLITE_OK;
}

/* Releases everything xFilter set up. */
static void cursor_reset(okta_cursor *cur) {
  okta_vtab *vt = (okta_vtab *)cur->base.pVtab;
  for (int i = 0; i < cur->wn; i++) fetch_free(cur, cur->win[i]);
  free(cur->win);
  cur->win = NULL;
  cur->wn = cur->wcap = 0;
  fetch_free(cur, cur->pf);
  cur->pf = NULL;
  fetch_free(cur, cur->af);
  cur->af = NULL;
  for (int i = 0; i < cur->nargs; i++) free(cur->args[i]);
  free(cur->args);
  cur->args = NULL;
  cur->nargs = cur->argi = 0;
  for (int i = 0; i < cur->nparams; i++) free(cur->params[i].value);
  cur->nparams = 0;
  for (int i = 0; i < vt->t->ncol; i++) {
    free(cur->colval[i]);
    cur->colval[i] = NULL;
  }
  cJSON_Delete(cur->item);
  cur->item = NULL;
  okta_rowstore_free(cur->store);
  cur->store = NULL;
  free(cur->probe_val);
  cur->probe_val = NULL;
  cur->probe_col = -1;
  cur->single_done = cur->keys_done = 0;
  cur->rowid = cur->emitted = 0;
  cur->eof = 1;
}

static void cursor_unregister(okta_cursor *cur);

/* xClose: frees the cursor (cancelling requests in flight). */
static int oktaClose(sqlite3_vtab_cursor *pCur) {
  okta_cursor *cur = (okta_cursor *)pCur;
  okta_vtab *vt = (okta_vtab *)pCur->pVtab;
  cursor_reset(cur);
  cursor_unregister(cur);
  strset_free(&cur->looked_ahead);
  free(cur->colval);
  okta_ctx_progress_end(vt->ctx);
  sqlite3_free(cur);
  return SQLITE_OK;
}

/* Appends a value to the argument list. */
static int args_push(okta_cursor *cur, const char *v) {
  char **a = realloc(cur->args, sizeof(char *) * (size_t)(cur->nargs + 1));
  if (!a) return -1;
  cur->args = a;
  if (!(a[cur->nargs] = okta_strdup(v))) return -1;
  cur->nargs++;
  return 0;
}

/* Groups the argument values into 'attr eq "a" or attr eq "b"' chunks. */
static int args_batch(okta_cursor *cur, const char *attr) {
  char **vals = cur->args;
  int n = cur->nargs;
  cur->args = NULL;
  cur->nargs = 0;
  okta_buf b = {0};
  int in_chunk = 0, rc = 0;
  for (int i = 0; i <= n && rc == 0; i++) {
    if (i == n || in_chunk == BATCH_MAX_IDS || b.n > BATCH_MAX_CHARS) {
      if (in_chunk) rc = args_push(cur, b.p);
      okta_buf_reset(&b);
      in_chunk = 0;
      if (i == n) break;
    }
    if (in_chunk) okta_buf_puts(&b, " or ");
    okta_buf_printf(&b, "%s eq ", attr);
    okta_filter_quote(&b, vals[i]);
    in_chunk++;
  }
  if (b.oom) rc = -1;
  okta_buf_free(&b);
  for (int i = 0; i < n; i++) free(vals[i]);
  free(vals);
  return rc;
}

/* Sets (or tightens) a pushed parameter. */
static int param_set(okta_cursor *cur, const char *name, const char *value, int keep_min, int keep_max) {
  for (int i = 0; i < cur->nparams; i++) {
    if (strcmp(cur->params[i].name, name) != 0) continue;
    int cmp = strcmp(value, cur->params[i].value);
    if ((keep_min && cmp < 0) || (keep_max && cmp > 0) || (!keep_min && !keep_max)) {
      free(cur->params[i].value);
      cur->params[i].value = okta_strdup(value);
    }
    return cur->params[i].value ? 0 : -1;
  }
  if (cur->nparams == COUNT(cur->params)) return 0;
  cur->params[cur->nparams].name = name;
  cur->params[cur->nparams].value = okta_strdup(value);
  return cur->params[cur->nparams++].value ? 0 : -1;
}

/* What xFilter gathers from the constraints before any request. */
typedef struct filter_terms {
  okta_buf filter, search;        /* terms for filter= and search= */
  struct {
    int rank, hidden;
    char *text;
  } one[8];                        /* S_ONE_FILTER: candidates for the one term */
  int none;
  const char *raw_filter, *raw_search; /* hidden raw inputs */
  int exact;    /* the API answers exactly the rows SQLite keeps */
  int no_rows;  /* some constraint can match no row */
  char *err;    /* the query cannot be answered as asked */
} filter_terms;

static void terms_free(filter_terms *ft) {
  okta_buf_free(&ft->filter);
  okta_buf_free(&ft->search);
  for (int i = 0; i < ft->none; i++) free(ft->one[i].text);
  ft->none = 0;
}

/* 1 when v is an id of this column's kind: the prefix, then letters and
** digits. Okta resolves /users/{login} like /users/{id}, so a login used
** as a user key would fetch that user's rows under another key. */
static int id_ok(const okta_column *cd, const char *v) {
  if (!cd->id_prefix) return 1;
  size_t n = strlen(cd->id_prefix), len = strlen(v);
  if (len < n + 10 || len > 32 || strncmp(v, cd->id_prefix, n) != 0) return 0;
  for (const char *c = v + n; *c; c++) {
    if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z'))) return 0;
  }
  return 1;
}

/* 1 when a value can go into a filter expression as it is: Okta's grammar
** has no escape for control characters, and a URL has a length limit.
** Values that fail are left to SQLite. */
static int term_value_ok(const char *v) {
  size_t n = 0;
  for (const unsigned char *c = (const unsigned char *)v; *c; c++, n++) {
    if (*c < 0x20 || *c == 0x7f) return 0;
  }
  return n <= 1024;
}

/* Adds 'attr op "value"' to filter= (or to the candidates of a source
** that takes one expression), or to search=. */
static int term_add(okta_cursor *cur, filter_terms *ft, const okta_column *cd, const char *op, const char *v) {
  okta_buf *b = cd->dialect == D_SEARCH ? &ft->search : &ft->filter;
  if (cd->dialect != D_SEARCH && (cur->route->source->flags & S_ONE_FILTER)) {
    if (ft->none == COUNT(ft->one)) return 0;
    okta_buf one = {0};
    okta_filter_term(&one, cd->api, op, v);
    ft->one[ft->none].rank = cd->rank;
    ft->one[ft->none].hidden = (cd->flags & COL_HIDDEN) != 0;
    if (!(ft->one[ft->none].text = okta_buf_take(&one))) return -1;
    ft->none++;
    return 0;
  }
  okta_filter_term(b, cd->api, op, v);
  return b->oom ? -1 : 0;
}

/* 10000-01-01T00:00:00Z: the first instant ISO 8601's four-digit years cannot write. */
#define OKTA_MAX_TIME_MS 253402300800000LL

/* Translates one constraint of xFilter (column col, operator op as in the
** plan, value v) into the route's key, a pushed term, or a fact about the
** result (no rows). Whatever is pushed is a superset of what SQLite keeps,
** since SQLite checks every constraint again (except hidden inputs, whose
** value is what was applied). */
static int constraint_apply(okta_cursor *cur, filter_terms *ft, int col, const char *op, sqlite3_value *val) {
  const okta_column *cd = &((okta_vtab *)cur->base.pVtab)->t->cols[col];
  int is_arg = col == cur->route->arg;
  if (strcmp(op, "IN") == 0) {
#if SQLITE_VERSION_NUMBER >= 3038000
    sqlite3_value *v;
    int r2;
    for (r2 = sqlite3_vtab_in_first(val, &v); r2 == SQLITE_OK && v; r2 = sqlite3_vtab_in_next(val, &v)) {
      int blob = sqlite3_value_type(v) == SQLITE_BLOB; /* asked before the text conversion */
      const char *s = (const char *)sqlite3_value_text(v);
      /* NULL, a blob or a non-id never equals a key column's text. */
      if (!s || blob || !id_ok(cd, s)) continue;
      if (args_push(cur, s)) return SQLITE_NOMEM;
    }
    if (r2 != SQLITE_OK && r2 != SQLITE_DONE) return r2;
#endif
    return SQLITE_OK;
  }
  int type = sqlite3_value_type(val); /* before sqlite3_value_text, which may convert it */
  const char *v = (const char *)sqlite3_value_text(val);
  if (!v) {
    ft->no_rows = 1; /* col = NULL, col > NULL ...: never true */
    return SQLITE_OK;
  }
  int eq = strcmp(op, "=") == 0;
  if (eq && !is_arg && !(cd->flags & COL_HIDDEN) && cur->probe_col < 0 && type != SQLITE_BLOB) {
    if (!(cur->probe_val = okta_strdup(v))) return SQLITE_NOMEM;
    cur->probe_col = col;
  }
  if (cd->flags & COL_HIDDEN) {
    /* An input: it reads back as the value applied, so two different
    ** values cannot both hold. */
    if (eq && cur->colval[col] && strcmp(cur->colval[col], v) != 0) ft->no_rows = 1;
    if (eq && !cur->colval[col] && !(cur->colval[col] = okta_strdup(v))) return SQLITE_NOMEM;
    if (strlen(v) > 4096) {
      okta_buf b = {0};
      okta_buf_printf(&b, "%s: the value is too long to send (%zu bytes, at most 4096)", cd->name, strlen(v));
      free(ft->err);
      ft->err = okta_buf_take(&b);
      return SQLITE_OK;
    }
  }
  if (is_arg && eq && cur->nargs == 0) {
    /* A blob never equals text; a value that is not an id of this kind is
    ** no row (and no request). */
    if (type == SQLITE_BLOB || !id_ok(cd, v)) ft->no_rows = 1;
    else if (args_push(cur, v)) return SQLITE_NOMEM;
    return SQLITE_OK;
  }
  if (type == SQLITE_BLOB && !(cd->flags & COL_HIDDEN)) {
    ft->exact = 0; /* a blob compares unlike its text: SQLite decides */
    return SQLITE_OK;
  }
  switch (cd->dialect) {
    case D_RAW:
      if (strcmp(cd->api, "filter") == 0) ft->raw_filter = cur->colval[col];
      else if (strcmp(cd->api, "search") == 0) ft->raw_search = cur->colval[col];
      else if (param_set(cur, cd->api, cur->colval[col], 0, 0)) return SQLITE_NOMEM;
      ft->exact = 0;
      return SQLITE_OK;
    case D_PARAM:
      if (!term_value_ok(v) || (cd->values && !okta_list_has(cd->values, v, 0))) {
        ft->exact = 0;
        return SQLITE_OK;
      }
      if (!cd->values) ft->exact = 0; /* e.g. q= matches by prefix */
      return param_set(cur, cd->api, v, 0, 0) ? SQLITE_NOMEM : SQLITE_OK;
    default:
      break;
  }
  if (!eq) {
    /* A range on a timestamp: the instant where Okta's text starts (or
    ** stops) to satisfy SQLite's text comparison. */
    int lower = op[0] == '>', strict = op[1] == 0;
    int64_t ms;
    char iso[32];
    int r = okta_text_time_bound(v, (size_t)sqlite3_value_bytes(val), lower, strict, &ms);
    ft->exact = 0;
    if (r == 1) {
      ft->no_rows = 1;
      return SQLITE_OK;
    }
    /* A bound before 1970 or after 9999 ('..', ' 2026-...', '~') is no bound
    ** Okta accepts (400 "date format not recognized"), and no Okta time is
    ** there: send none (the default window stays) and let SQLite decide. */
    if (ms < 0 || ms >= OKTA_MAX_TIME_MS) return SQLITE_OK;
    if (!lower) ms += 1; /* until= and lt take the first instant excluded */
    okta_format_iso8601(ms, iso);
    if (cd->dialect == D_TIME_RANGE)
      return param_set(cur, lower ? cd->api : cd->api_hi, iso, !lower, lower) ? SQLITE_NOMEM : SQLITE_OK;
    return term_add(cur, ft, cd, lower ? "ge" : "lt", iso) ? SQLITE_NOMEM : SQLITE_OK;
  }
  if (cd->dialect == D_TIME_RANGE) {
    /* = on a timestamp: the one instant, since=t until=t+1ms. A value not
    ** in Okta's own format (its timestamps always are) equals none. */
    int64_t ms;
    char lo[32], hi[32];
    ft->exact = 0;
    if (!okta_is_canonical_time(v) || okta_parse_iso8601(v, &ms)) {
      ft->no_rows = 1;
      return SQLITE_OK;
    }
    okta_format_iso8601(ms, lo);
    okta_format_iso8601(ms + 1, hi);
    if (param_set(cur, cd->api, lo, 0, 1) || param_set(cur, cd->api_hi, hi, 1, 0)) return SQLITE_NOMEM;
    return SQLITE_OK;
  }
  if (cd->id_prefix && !id_ok(cd, v)) {
    if (cd->flags & COL_HIDDEN) ft->no_rows = 1; /* an input no resource can match */
    else ft->exact = 0;
    return SQLITE_OK;
  }
  /* A value the API does not know (it could answer 400), a time not in
  ** Okta's own format, or one the grammar cannot carry: SQLite decides. */
  if ((cd->values && !okta_list_has(cd->values, v, 0)) || ((cd->ops & OP_RANGE) && !okta_is_canonical_time(v)) ||
      !term_value_ok(v)) {
    if (cd->flags & COL_HIDDEN) {
      free(ft->err);
      ft->err = okta_strdup("a value with control characters cannot be sent to Okta");
    }
    ft->exact = 0;
    return SQLITE_OK;
  }
  /* search= compares case-insensitively on real orgs; free-text filter
  ** attributes may too: only ids and enumerated values are exact. */
  if (cd->dialect == D_SEARCH || (!cd->values && !cd->id_prefix && !(cd->flags & COL_HIDDEN))) ft->exact = 0;
  return term_add(cur, ft, cd, "eq", v) ? SQLITE_NOMEM : SQLITE_OK;
}

/* The value of a pushed parameter, or NULL. */
static const char *param_get(okta_cursor *cur, const char *name) {
  for (int i = 0; i < cur->nparams; i++) {
    if (strcmp(cur->params[i].name, name) == 0) return cur->params[i].value;
  }
  return NULL;
}

/* Turns the gathered terms into filter= / search= parameters. */
static int terms_finish(okta_cursor *cur, filter_terms *ft) {
  const okta_table *t = ((okta_vtab *)cur->base.pVtab)->t;
  okta_buf *filter = &ft->filter, *search = &ft->search;
  for (int c = 0; c < t->ncol; c++) {
    /* Bounds that leave no instant (since >= until): no rows, no request. */
    const char *lo = t->cols[c].dialect == D_TIME_RANGE ? param_get(cur, t->cols[c].api) : NULL;
    const char *hi = lo ? param_get(cur, t->cols[c].api_hi) : NULL;
    if (hi && strcmp(lo, hi) >= 0) ft->no_rows = 1;
  }
  if (ft->raw_filter && ft->raw_search) {
    ft->err = okta_strdup("filter and search cannot be combined (Okta applies one of them); put "
                          "both conditions in one search expression");
    return SQLITE_OK;
  }
  if (ft->none) {
    /* One expression only: an input must be sent (it is not checked
    ** again), otherwise the most selective term. */
    int pick = -1, hidden = 0;
    for (int i = 0; i < ft->none; i++) {
      hidden += ft->one[i].hidden;
      if (pick < 0 || ft->one[i].hidden > ft->one[pick].hidden ||
          (ft->one[i].hidden == ft->one[pick].hidden && ft->one[i].rank < ft->one[pick].rank))
        pick = i;
    }
    if (hidden > 1) {
      okta_buf b = {0};
      okta_buf_printf(&b, "%s takes one filter expression: these inputs cannot be combined:", t->name);
      for (int i = 0; i < ft->none; i++)
        if (ft->one[i].hidden) okta_buf_printf(&b, " %s", ft->one[i].text);
      ft->err = okta_buf_take(&b);
      return SQLITE_OK;
    }
    if (ft->none > 1) ft->exact = 0;
    okta_buf_puts(filter, ft->one[pick].text);
  }
  /* Okta takes either filter= or search=: when both are needed, search
  ** carries everything (it accepts the filter attributes too). */
  if (ft->raw_search) {
    if (param_set(cur, "search", ft->raw_search, 0, 0)) return SQLITE_NOMEM;
  } else if (search->n) {
    if (filter->n && !ft->raw_filter) {
      okta_buf_puts(search, " and ");
      okta_buf_puts(search, filter->p);
    }
    if (param_set(cur, "search", search->p, 0, 0)) return SQLITE_NOMEM;
  }
  if (ft->raw_filter) {
    if (param_set(cur, "filter", ft->raw_filter, 0, 0)) return SQLITE_NOMEM;
  } else if (filter->n && !search->n && !ft->raw_search) {
    if (param_set(cur, "filter", filter->p, 0, 0)) return SQLITE_NOMEM;
  }
  return filter->oom || search->oom ? SQLITE_NOMEM : SQLITE_OK;
}

/* Lookahead for joins. SQLite drives a child table once per outer row
** ("users u JOIN okta_user_factors f ON f.user_id = u.id": xFilter with
** user_id = u.id for each u). When the key is a value of another open
** cursor's current row, the following rows of that cursor are the next
** keys: their requests start now, into the cache, so the join runs at
** fan-out speed instead of one round trip per row. */
#define LOOKAHEAD_ROWS(cur) (okta_ctx_concurrency(((okta_vtab *)(cur)->base.pVtab)->ctx) * 2)

/* The column path of o's current row whose value is key, or NULL. */
static const col_path *key_source(okta_cursor *o, const char *key) {
  okta_vtab *ov = (okta_vtab *)o->base.pVtab;
  if (!o->item || o->eof) return NULL;
  for (int c = 0; c < ov->t->ncol; c++) {
    const col_path *p = &ov->paths[o->route_idx * ov->t->ncol + c];
    if (p->where != W_ITEM) continue;
    const cJSON *v = path_walk(o->item, p);
    if (cJSON_IsString(v) && strcmp(v->valuestring, key) == 0) return p;
  }
  return NULL;
}

static okta_cursor *driver_of(okta_cursor *cur, const char *key, const col_path **path) {
  okta_vtab *vt = (okta_vtab *)cur->base.pVtab;
  for (okta_cursor *o = *okta_ctx_cursors(vt->ctx); o; o = o->next_open) {
    if (o != cur && (*path = key_source(o, key))) return o;
  }
  return NULL;
}

/* The open cursor whose current row holds key in any column: an item's
** field, or the key or argument of a fan-out (its user_id is the parent's
** id). The outer side of a join, for the probe policy. */
static okta_cursor *outer_of(okta_cursor *cur, const char *key) {
  okta_vtab *vt = (okta_vtab *)cur->base.pVtab;
  for (okta_cursor *o = *okta_ctx_cursors(vt->ctx); o; o = o->next_open) {
    if (o == cur || !o->item || o->eof) continue;
    if (key_source(o, key)) return o;
    okta_vtab *ov = (okta_vtab *)o->base.pVtab;
    fetch *head = o->wn ? o->win[0] : NULL;
    for (int c = 0; head && c < ov->t->ncol; c++) {
      const col_path *p = &ov->paths[o->route_idx * ov->t->ncol + c];
      const char *v = p->where == W_KEY ? head->key : p->where == W_ARG ? head->arg : NULL;
      if (p->where == W_PARENT) {
        const cJSON *j = path_walk(head->parent, p);
        v = cJSON_IsString(j) ? j->valuestring : NULL;
      }
      if (v && strcmp(v, key) == 0) return o;
    }
  }
  return NULL;
}

/* Prefetches this cursor's request for the keys that follow key in the
** other open cursors. */
static void lookahead(okta_cursor *cur, const char *key) {
  const okta_route *rt = cur->route;
  if (rt->parent || rt->batch_attr || !okta_client_caching(cur->cli)) return;
  const col_path *p;
  okta_cursor *o = driver_of(cur, key, &p);
  if (o) {
    int budget = LOOKAHEAD_ROWS(cur);
    for (int w = 0; w < o->wn && budget > 0; w++) {
      for (cJSON *it = o->win[w]->it; it && budget > 0; it = it->next, budget--) {
        const cJSON *v = path_walk(it, p);
        if (!cJSON_IsString(v) || !id_ok(&((okta_vtab *)cur->base.pVtab)->t->cols[rt->arg], v->valuestring) ||
            !path_value_ok(rt->source->path, "{key}", v->valuestring) ||
            strset_add(&cur->looked_ahead, v->valuestring) != 1)
          continue;
        fetch tmp = {.src = rt->source, .is_main = 1, .key = v->valuestring, .arg = v->valuestring};
        char *url = fetch_url(cur, &tmp);
        if (url) okta_client_prefetch(cur->cli, url, rt->source->path);
        free(url);
      }
    }
    return;
  }
}

/* --------------------------------------------------- probes from a store

** Probes served from one listing. A keyed route (id =, user_id =) is one
** or two requests per key; SQLite drives it once per outer row of a join.
** When the probes of a table cost as much as reading the table once (or
** the join's outer side, another okta cursor, is known to be big enough
** for that), the table is read once, with a plain full scan on the same
** connection, into a row store; every probe is then answered from it. So
** whatever plan SQLite picks, a two-table join costs about one scan of
** each table. Only the columns the plan reads are kept. */

/* Rows a cursor is expected to produce in all. */
static double cursor_expected_rows(okta_cursor *o) {
  okta_vtab *ov = (okta_vtab *)o->base.pVtab;
  const okta_route *rt = o->route;
  if (rt->arg >= 0) return (double)o->nargs * (rt->rows > 0 ? rt->rows : 1);
  double all = ov->learned_rows > 0 ? (double)ov->learned_rows : rt->rows;
  for (int i = 0; i < o->nparams; i++) all /= 10; /* each pushed term narrows */
  return all < 1 ? 1 : all;
}

/* Rows the outer cursor o has still to produce: exact when everything it
** will produce is already in memory (one page, a pushed filter), else the
** larger of what is in hand and what it is expected to produce. */
static double driver_remaining(okta_cursor *o) {
  double n = 0;
  const okta_route *rt = o->route;
  int more = !o->keys_done && (o->pf != NULL || (rt->arg >= 0 ? o->argi < o->nargs : !o->single_done));
  for (int w = 0; w < o->wn; w++) {
    fetch *f = o->win[w];
    for (cJSON *it = f->it; it; it = it->next) n++;
    if (!f->finished || f->req || f->pending_url) more = 1;
  }
  if (!more) return n;
  double est = cursor_expected_rows(o) - (double)o->emitted;
  return est > n ? est : n;
}

/* The open cursor (the outer side of a join) whose current row holds key. */
static okta_cursor *driver_of(okta_cursor *cur, const char *key, const col_path **path);

/* Rows the driver o has still to produce in this statement: its own and,
** when o is itself probed once per row of another cursor (the middle of a
** join of three tables), a probe's rows for each row that one has still to
** produce; otherwise the inner table sees only one probe's rows ahead. */
static double join_remaining(okta_cursor *o, int depth) {
  double n = driver_remaining(o);
  const char *key = o->route->arg >= 0 && o->nargs == 1 ? o->args[0] : o->probe_col >= 0 ? o->probe_val : NULL;
  okta_cursor *up = key && depth < 3 ? outer_of(o, key) : NULL;
  if (up) n += join_remaining(up, depth + 1) * cursor_expected_rows(o);
  return n;
}

/* Pages one full scan of the table costs: learned, or the descriptor's guess. */
static double listing_pages(okta_vtab *vt) {
  if (vt->full_pages > 0) return (double)vt->full_pages;
  if (vt->listing < 0) return 1e12;
  if (vt->sized_pages > 0) return vt->sized_pages;
  /* At least a page per pass (policies: one listing per type). */
  const okta_route *r = &vt->t->routes[vt->listing];
  double passes = 0;
  for (const char *const *p = r->source && r->source->passes ? r->source->passes : NULL; p && *p; p++) passes++;
  return r->cost > passes ? r->cost : passes;
}


/* Probe pages still to come that make sizing the listing worth a request. */
#define SIZE_LISTING_AT 8

/* Sizes a fan-out listing whose cost is only the descriptor's guess (made
** for an org of about 10,000 users) by its parent's first page, which the
** listing would read first anyway (so it is cached for it): when that page
** is the only one, the listing costs it plus one request per parent. A
** small org then answers its probes from one listing early, and a large
** one (a next page) keeps the guess. One request at most, errors ignored. */
static void size_listing(okta_cursor *cur) {
  okta_vtab *vt = (okta_vtab *)cur->base.pVtab;
  const okta_route *rt = &vt->t->routes[vt->listing];
  vt->parent_sized = 1;
  if (!rt->parent || rt->parent->kind != K_LIST) return;
  fetch tmp = {.src = rt->parent, .key = "", .arg = ""};
  char *url = fetch_url(cur, &tmp);
  okta_request *r = url ? okta_request_new(cur->cli, url, rt->parent->path) : NULL;
  free(url);
  if (!r) return;
  okta_client_submit(cur->cli, r);
  if (okta_client_wait(cur->cli, r) == 0 && !r->error && r->status == 200 && !r->next_url) {
    char *err = NULL;
    cJSON *j = okta_request_json(r, &err);
    if (cJSON_IsArray(j)) {
      double per = rt->source && rt->source->passes ? 2 : 1;
      vt->sized_pages = 1 + per * cJSON_GetArraySize(j);
    }
    cJSON_Delete(j);
    free(err);
  }
  okta_request_free(cur->cli, r);
}

/* Reads every row of the table once into vt->store (the columns in keep). */
static int store_build(okta_cursor *cur, uint64_t keep) {
  okta_vtab *vt = (okta_vtab *)cur->base.pVtab;
  const okta_table *t = vt->t;
  sqlite3 *db = okta_ctx_db(vt->ctx);
  okta_buf sql = {0};
  int map[64], nsel = 0;
  okta_buf_puts(&sql, "SELECT ");
  for (int c = 0; c < t->ncol && nsel < 64; c++) {
    if ((t->cols[c].flags & COL_HIDDEN) || !((keep >> (c < 63 ? c : 63)) & 1)) continue;
    okta_buf_printf(&sql, "%s%s", nsel ? ", " : "", t->cols[c].name);
    map[nsel++] = c;
  }
  if (!nsel) okta_buf_puts(&sql, "NULL");
  okta_buf_printf(&sql, " FROM %s", t->name);
  if (sql.oom) { okta_buf_free(&sql); return SQLITE_NOMEM; }
  sqlite3_stmt *st = NULL;
  long before = okta_pages_read(cur->cli);
  vt->building = 1;
  int rc = sqlite3_prepare_v2(db, sql.p, -1, &st, NULL);
  okta_buf_free(&sql);
  okta_rowstore *rs = rc == SQLITE_OK ? okta_rowstore_new(t->ncol, keep) : NULL;
  sqlite3_value **vals = rs ? calloc((size_t)t->ncol, sizeof(*vals)) : NULL;
  if (rc == SQLITE_OK && !vals) rc = SQLITE_NOMEM;
  int step = SQLITE_DONE;
  while (rc == SQLITE_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
    for (int k = 0; k < nsel; k++) vals[map[k]] = sqlite3_column_value(st, k);
    rc = okta_rowstore_add(rs, vals, 0);
  }
  if (rc == SQLITE_OK && step != SQLITE_DONE) {
    rc = step == SQLITE_INTERRUPT ? SQLITE_INTERRUPT : SQLITE_ERROR;
    okta_vtab_error(&vt->base, "%s", sqlite3_errmsg(db));
  }
  sqlite3_finalize(st);
  vt->building = 0;
  free(vals);
  if (rc != SQLITE_OK) {
    okta_rowstore_free(rs);
    return rc;
  }
  okta_rowstore_free(vt->store);
  vt->store = rs;
  vt->store_keep = keep;
  vt->store_cli = cur->cli;
  vt->store_generation = okta_client_cache_generation(cur->cli);
  vt->store_expires = okta_now_mono() + okta_config_real(okta_client_config(cur->cli), CFG_CACHE_TTL);
  vt->learned_rows = okta_rowstore_count(rs);
  vt->full_pages = okta_pages_read(cur->cli) - before;
  if (vt->full_pages < 1) vt->full_pages = 1;
  vt->probes = 0;
  vt->probe_pages = vt->max_probe = 0;
  return SQLITE_OK;
}

/* Decides whether this probe is answered from the store (building it when
** the policy says so); 1 when it is, 0 when it goes to the API. */
static int probe_from_store(okta_cursor *cur, uint64_t used, int *rc) {
  okta_vtab *vt = (okta_vtab *)cur->base.pVtab;
  const okta_table *t = vt->t;
  *rc = SQLITE_OK;
  if (vt->store && (vt->store_cli != cur->cli || okta_now_mono() > vt->store_expires ||
                    vt->store_generation != okta_client_cache_generation(cur->cli))) {
    okta_rowstore_free(vt->store); /* as stale as the responses it came from */
    vt->store = NULL;
  }
  if (vt->listing < 0 || vt->building || !okta_client_caching(cur->cli)) return 0;
  if (cur->route->arg >= 0 && cur->nargs > 0) {
    cur->skeys = cur->args;
    cur->nskeys = cur->nargs;
    cur->skey_col = cur->route->arg;
  } else if (cur->route_idx == vt->listing && cur->probe_col >= 0) {
    cur->skeys = &cur->probe_val;
    cur->nskeys = 1;
    cur->skey_col = cur->probe_col;
  } else if (cur->route_idx == vt->listing && cur->nparams == 0 && cur->want < 0) {
    /* The same full scan again (the inner side of a join on a column the
    ** API cannot take): every row, from the store. */
    cur->skeys = NULL;
    cur->nskeys = 1;
    cur->skey_col = -1;
  } else {
    return 0;
  }
  for (int c = 0; c < t->ncol; c++) {
    if (cur->colval[c]) return 0; /* an input only the API can apply */
  }
  uint64_t need = used;
  if (cur->skey_col >= 0) need |= 1ULL << (cur->skey_col < 63 ? cur->skey_col : 63);
  for (int k = 0; k < vt->nkey; k++) need |= 1ULL << (vt->key_col[k] < 63 ? vt->key_col[k] : 63);
  long now = okta_pages_read(cur->cli);
  if (vt->probes && vt->probe_col == cur->skey_col) {
    long last = now - vt->pages_at_probe;
    vt->probe_pages += last;
    if (last > vt->max_probe) vt->max_probe = last;
  } else {
    vt->probes = 0; /* a join probes one column: other lookups are not its probes */
    vt->probe_pages = vt->max_probe = 0;
    vt->probe_col = cur->skey_col;
  }
  if (vt->store && (vt->store_keep & need) != need) {
    /* The store lacks a column this plan reads: read it again (from the
    ** response cache) with both. */
    *rc = store_build(cur, vt->store_keep | need);
    if (*rc != SQLITE_OK) return 0;
  }
  if (!vt->store) {
    okta_cursor *o = cur->skeys ? outer_of(cur, cur->skeys[0]) : NULL;
    double more = o ? join_remaining(o, 0) : 0;
    if (o && vt->full_pages <= 0 && !vt->parent_sized && vt->probes >= 1 &&
        more * (cur->route->arg >= 0 ? cur->route->cost : 1) >= SIZE_LISTING_AT)
      size_listing(cur);
    double full = listing_pages(vt);
    if (o) {
      /* A fan-out over the very listing the outer side reads (factors per
      ** user, under a scan of every user) costs at least a request per
      ** outer row: reading it would save no probe, only repeat the parent
      ** listing and stop the rows streaming. */
      okta_vtab *ov = (okta_vtab *)o->base.pVtab;
      const okta_route *lr = &t->routes[vt->listing];
      if (lr->parent && ov->listing >= 0 && o->route_idx == ov->listing && o->nparams == 0 &&
          ov->t->routes[ov->listing].source == lr->parent && full < (double)o->emitted + more)
        full = (double)o->emitted + more;
    }
    if (okta_probe_build_now(vt->probes, vt->probe_pages, vt->max_probe, (long)full, more,
                             cur->route->arg >= 0 ? cur->route->cost : full / 10)) {
      *rc = store_build(cur, need);
      if (*rc != SQLITE_OK) return 0;
    }
  }
  vt->probes += cur->nskeys;
  vt->pages_at_probe = okta_pages_read(cur->cli);
  if (!vt->store) return 0;
  cur->store = okta_rowstore_ref(vt->store);
  cur->argi = 0;
  cur->srow = -1;
  return 1;
}

/* The next stored row of the cursor's keys (or of all, skey_col -1); sets
** eof after the last. */
static int store_next(okta_cursor *cur) {
  if (cur->skey_col < 0) {
    if (++cur->srow >= okta_rowstore_count(cur->store)) cur->eof = 1;
    return SQLITE_OK;
  }
  for (;;) {
    if (cur->argi > 0) {
      const char *key = cur->skeys[cur->argi - 1];
      cur->srow = okta_rowstore_find(cur->store, cur->skey_col, key, (int)strlen(key), cur->srow);
      if (cur->srow == -2) return SQLITE_NOMEM;
      if (cur->srow >= 0) return SQLITE_OK;
    }
    if (cur->argi >= cur->nskeys) {
      cur->eof = 1;
      return SQLITE_OK;
    }
    cur->argi++;
    cur->srow = -1;
  }
}

/* Adds the cursor to the connection's open cursors (once). */
static void cursor_register(okta_cursor *cur) {
  okta_vtab *vt = (okta_vtab *)cur->base.pVtab;
  if (cur->registered) return;
  void **head = okta_ctx_cursors(vt->ctx);
  cur->next_open = *head;
  *head = cur;
  cur->registered = 1;
}

static void cursor_unregister(okta_cursor *cur) {
  okta_vtab *vt = (okta_vtab *)cur->base.pVtab;
  if (!cur->registered) return;
  okta_cursor **pp = (okta_cursor **)okta_ctx_cursors(vt->ctx);
  while (*pp && *pp != cur) pp = &(*pp)->next_open;
  if (*pp) *pp = cur->next_open;
  cur->registered = 0;
}

/* xFilter: decodes the plan (see above xBestIndex) and starts the requests. */
static int oktaFilter(sqlite3_vtab_cursor *pCur, int idxNum, const char *idxStr, int argc, sqlite3_value **argv) {
  okta_cursor *cur = (okta_cursor *)pCur;
  okta_vtab *vt = (okta_vtab *)pCur->pVtab;
  const okta_table *t = vt->t;
  char *err = NULL;
  cursor_reset(cur);
  if (idxNum < 0 || idxNum >= t->nroute) {
    okta_vtab_error(pCur->pVtab, "%s needs a constraint: %s", t->name, t->doc ? t->doc : "");
    return SQLITE_ERROR;
  }
  cur->cli = okta_ctx_client(vt->ctx, &err);
  if (!cur->cli) {
    okta_vtab_error(pCur->pVtab, "%s", err ? err : "out of memory");
    free(err);
    return SQLITE_ERROR;
  }
  cur->route_idx = idxNum;
  cur->route = &t->routes[idxNum];
  okta_ctx_progress_rows(vt->ctx, t->name, 0);
  cur->want = -1;
  cur->page_size = 0;
  filter_terms ft = {0};
  ft.exact = 1;
  sqlite3_int64 limit = -1, offset = 0;
  int rc = SQLITE_OK;

  /* Skip the route name, then one token per argument. */
  const char *p = idxStr ? strchr(idxStr, ' ') : NULL;
  for (int i = 0; i < argc && p && rc == SQLITE_OK; i++) {
    while (*p == ' ') p++;
    const char *end = strchr(p, ' ');
    size_t tl = end ? (size_t)(end - p) : strlen(p);
    char tok[96];
    snprintf(tok, sizeof(tok), "%.*s", (int)(tl < 95 ? tl : 95), p);
    p = end;
    if (strcmp(tok, "LIMIT") == 0) { limit = sqlite3_value_int64(argv[i]); continue; }
    if (strcmp(tok, "OFFSET") == 0) { offset = sqlite3_value_int64(argv[i]); continue; }
    size_t nl = strspn(tok, "abcdefghijklmnopqrstuvwxyz_0123456789");
    int col = -1;
    for (int c = 0; c < t->ncol; c++) {
      if (strlen(t->cols[c].name) == nl && strncmp(t->cols[c].name, tok, nl) == 0) col = c;
    }
    if (col >= 0) rc = constraint_apply(cur, &ft, col, tok + nl, argv[i]);
  }
  if (rc == SQLITE_OK) rc = terms_finish(cur, &ft);
  if (limit >= 0) {
    if (offset < 0) offset = 0;
    cur->want = limit > INT64_MAX - offset ? -1 : limit + offset;
    if (cur->want == 0) ft.no_rows = 1;
    /* Small pages only when the API answers exactly what SQLite keeps:
    ** otherwise SQLite discards rows and small pages multiply requests. */
    if (ft.exact && cur->want >= 0 && cur->want < cur->route->source->page_size) cur->page_size = (int)cur->want;
  }
  int no_rows = ft.no_rows;
  if (ft.err) {
    okta_vtab_error(pCur->pVtab, "%s: %s", t->name, ft.err);
    free(ft.err);
    if (rc == SQLITE_OK) rc = SQLITE_ERROR;
  }
  terms_free(&ft);
  if (rc != SQLITE_OK) return rc;
  if (no_rows || (cur->route->arg >= 0 && cur->nargs == 0)) {
    cur->eof = 1;
    return SQLITE_OK;
  }
  cursor_register(cur);
  cur->pages_at_filter = okta_pages_read(cur->cli);
  const char *u = idxStr ? strstr(idxStr, " used=") : NULL;
  uint64_t used = u ? strtoull(u + 6, NULL, 16) : ~(uint64_t)0;
  if (probe_from_store(cur, used, &rc)) {
    cur->eof = 0;
    return store_next(cur);
  }
  if (rc == SQLITE_OK && cur->route->batch_attr) /* keys into 'id eq "a" or ...' filters */
    rc = args_batch(cur, cur->route->batch_attr) ? SQLITE_NOMEM : SQLITE_OK;
  if (rc != SQLITE_OK) return rc;
  if (cur->nargs == 1 && !cur->route->parent) lookahead(cur, cur->args[0]);
  int fan_out = cur->route->parent != NULL || cur->nargs > 1;
  cur->wcap = fan_out ? okta_ctx_concurrency(vt->ctx) * 2 : 1;
  cur->win = calloc((size_t)cur->wcap, sizeof(fetch *));
  if (!cur->win) return SQLITE_NOMEM;
  cur->eof = 0;
  return cursor_advance(cur);
}

/* xNext: the next row. */
static int oktaNext(sqlite3_vtab_cursor *pCur) {
  okta_cursor *cur = (okta_cursor *)pCur;
  return cur->store ? store_next(cur) : cursor_advance(cur);
}

/* xEof: 1 after the last row. */
static int oktaEof(sqlite3_vtab_cursor *pCur) { return ((okta_cursor *)pCur)->eof; }

/* xColumn: reads a column of the current row from its JSON. */
static int oktaColumn(sqlite3_vtab_cursor *pCur, sqlite3_context *ctx, int i) {
  okta_cursor *cur = (okta_cursor *)pCur;
  okta_vtab *vt = (okta_vtab *)pCur->pVtab;
  const okta_column *c = &vt->t->cols[i];
  const col_path *p = &vt->paths[cur->route_idx * vt->t->ncol + i];
  fetch *head = cur->wn ? cur->win[0] : NULL;
  if (cur->store) {
    sqlite3_value *v = okta_rowstore_value(cur->store, cur->srow, i);
    if (v) sqlite3_result_value(ctx, v);
    return SQLITE_OK;
  }
  switch (p->where) {
    case W_ITEM:
    case W_PARENT: {
      const cJSON *root = p->where == W_ITEM ? cur->item : head ? head->parent : NULL;
      const cJSON *v = path_walk(root, p);
      if (c->type == T_JSON) {
        okta_result_json(ctx, v && !cJSON_IsNull(v) ? v : NULL);
      } else if (cJSON_IsString(v)) {
        sqlite3_result_text(ctx, v->valuestring, -1, SQLITE_TRANSIENT);
      } else {
        okta_result_json(ctx, v);
      }
      break;
    }
    case W_KEY:
      if (head && head->key) sqlite3_result_text(ctx, head->key, -1, SQLITE_TRANSIENT);
      break;
    case W_ARG:
      if (head && head->arg) sqlite3_result_text(ctx, head->arg, -1, SQLITE_TRANSIENT);
      break;
    case W_FN:
      c->fn(ctx, cur->item, head ? head->parent : NULL);
      break;
    default:
      if (cur->colval[i]) sqlite3_result_text(ctx, cur->colval[i], -1, SQLITE_TRANSIENT);
      break;
  }
  return SQLITE_OK;
}

/* The text of a key column of the current row (NULL when absent). */
static const char *key_text(okta_cursor *cur, int i, char **tmp) {
  okta_vtab *vt = (okta_vtab *)cur->base.pVtab;
  const col_path *p = &vt->paths[cur->route_idx * vt->t->ncol + i];
  fetch *head = cur->wn ? cur->win[0] : NULL;
  *tmp = NULL;
  if (cur->store) {
    sqlite3_value *v = okta_rowstore_value(cur->store, cur->srow, i);
    return v ? (const char *)sqlite3_value_text(v) : NULL;
  }
  switch (p->where) {
    case W_ITEM:
    case W_PARENT: {
      const cJSON *v = path_walk(p->where == W_ITEM ? cur->item : head ? head->parent : NULL, p);
      if (cJSON_IsString(v)) return v->valuestring;
      if (!v || cJSON_IsNull(v)) return NULL;
      return *tmp = cJSON_PrintUnformatted(v);
    }
    case W_KEY: return head ? head->key : NULL;
    case W_ARG: return head ? head->arg : NULL;
    case W_PUSHED: return cur->colval[i];
    default: return NULL;
  }
}

/* xRowid: a hash of the row's key columns, the same whichever route read
** the row: SQLite's multi-index OR de-duplicates the branches by rowid. */
static int oktaRowid(sqlite3_vtab_cursor *pCur, sqlite_int64 *pRowid) {
  okta_cursor *cur = (okta_cursor *)pCur;
  okta_vtab *vt = (okta_vtab *)pCur->pVtab;
  const char *parts[MAX_KEY_COLS];
  size_t lens[MAX_KEY_COLS];
  char *tmp[MAX_KEY_COLS];
  for (int k = 0; k < vt->nkey; k++) {
    parts[k] = key_text(cur, vt->key_col[k], &tmp[k]);
    lens[k] = parts[k] ? strlen(parts[k]) : 0;
  }
  *pRowid = okta_key_hash(parts, lens, vt->nkey);
  for (int k = 0; k < vt->nkey; k++) cJSON_free(tmp[k]);
  return SQLITE_OK;
}

static sqlite3_module okta_module = {
  .iVersion = 0,
  .xCreate = NULL, /* eponymous only: nothing is ever stored in the database */
  .xConnect = oktaConnect,
  .xBestIndex = oktaBestIndex,
  .xDisconnect = oktaDisconnect,
  .xDestroy = oktaDisconnect,
  .xOpen = oktaOpen,
  .xClose = oktaClose,
  .xFilter = oktaFilter,
  .xNext = oktaNext,
  .xEof = oktaEof,
  .xColumn = oktaColumn,
  .xRowid = oktaRowid,
};

/* Registers one descriptor-driven table on a connection. */
int okta_register_table(sqlite3 *db, okta_ctx *ctx, const okta_table *t) {
  okta_module_aux *aux = sqlite3_malloc(sizeof(*aux));
  if (!aux) return SQLITE_NOMEM;
  aux->ctx = ctx;
  aux->t = t;
  okta_ctx_ref(ctx);
  return sqlite3_create_module_v2(db, t->name, &okta_module, aux, module_aux_free);
}
