/*
** The per-connection context (ctx.h): every okta_* table and function of
** one database connection shares it. It holds the settings set with
** okta_config(), the session built from them (configuration, auth state,
** HTTP client with its cache and statistics), the warnings recorded by
** skipped sources, and progress reporting; and it implements the SQL
** functions that read or change that state (okta_version, okta_debug,
** okta_config, okta_cache_clear, okta_warnings). The entry
** point that registers them and every table is src/okta.c: this file
** knows nothing of the tables (ext/ never includes vtab/).
**
** Sessions. The configuration, auth state and HTTP client of a connection
** form one session. A cursor takes the current session's client in
** xFilter and keeps using it until it closes; okta_config(key, value)
** never frees a session a cursor may hold: it retires it (noting the
** statements running at that moment, the only ones whose cursors can hold
** it) and the next xFilter builds a new one from the new settings. A
** retired session is freed once none of those statements is still running.
** So a setting changed while a statement runs applies to the scans started
** after the change, and no cursor is ever left with a dangling client.
*/
#include "auth.h"
#include "ctx.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

SQLITE_EXTENSION_INIT3

#define MAX_WARNINGS 200

/* One configuration and what was built from it (see the header comment). */
typedef struct okta_session {
  okta_config cfg;
  okta_auth *auth;
  okta_client *client;
  sqlite3_stmt **holders;   /* retired: statements running when it was */
  int nholders;
  struct okta_session *next;
} okta_session;

struct okta_ctx {
  sqlite3 *db;
  int refs;
  okta_override *overrides; /* newest first */
  okta_session *session;    /* the current one, built on first use */
  okta_session *retired;    /* replaced, possibly still held by cursors */
  okta_warning *warnings;
  int nwarnings;
  double last_interrupt_check;
  /* progress */
  int progress_mode;        /* -1 auto, 0 off, 1 on */
  const char *progress_table;
  long progress_rows;
  double progress_start;
  int progress_shown;
  void *cursors;            /* open engine cursors (vtab/engine.c) */
};


/* ------------------------------------------------------------- context */

/* A new context for db, with one reference (the caller's). */
okta_ctx *okta_ctx_new(sqlite3 *db) {
  okta_ctx *ctx = calloc(1, sizeof(*ctx));
  if (!ctx) return NULL;
  ctx->db = db;
  ctx->refs = 1;
  ctx->progress_mode = -1;
  return ctx;
}

void okta_ctx_ref(okta_ctx *ctx) { ctx->refs++; }

/* Frees a session: its client (cancelling what is in flight), auth, config. */
static void session_free(okta_session *s) {
  if (!s) return;
  okta_client_free(s->client);
  okta_auth_free(s->auth);
  okta_config_clear(&s->cfg);
  free(s->holders);
  free(s);
}

/* 1 when st is a statement of db that is still running (stepped, neither
** finished nor reset): only then can its cursors still be open. The
** pointer is compared, never dereferenced, as st may be finalized. */
static int stmt_running(sqlite3 *db, sqlite3_stmt *st) {
  for (sqlite3_stmt *s = sqlite3_next_stmt(db, NULL); s; s = sqlite3_next_stmt(db, s)) {
    if (s == st) return sqlite3_stmt_busy(s);
  }
  return 0;
}

/* Frees the retired sessions that no running statement can hold. */
static void ctx_sweep(okta_ctx *ctx) {
  for (okta_session **pp = &ctx->retired; *pp;) {
    okta_session *s = *pp;
    int held = 0;
    for (int i = 0; i < s->nholders && !held; i++) held = stmt_running(ctx->db, s->holders[i]);
    if (held) {
      pp = &s->next;
    } else {
      *pp = s->next;
      session_free(s);
    }
  }
}

/* Retires the current session: the next scan builds a new one from the
** settings; cursors already open keep the old one until they close. */
static int ctx_retire_session(okta_ctx *ctx) {
  okta_session *s = ctx->session;
  if (!s) return SQLITE_OK;
  int n = 0;
  for (sqlite3_stmt *st = sqlite3_next_stmt(ctx->db, NULL); st; st = sqlite3_next_stmt(ctx->db, st))
    n += sqlite3_stmt_busy(st) != 0;
  if (n) {
    s->holders = malloc(sizeof(*s->holders) * (size_t)n);
    if (!s->holders) return SQLITE_NOMEM;
    for (sqlite3_stmt *st = sqlite3_next_stmt(ctx->db, NULL); st && s->nholders < n; st = sqlite3_next_stmt(ctx->db, st))
      if (sqlite3_stmt_busy(st)) s->holders[s->nholders++] = st;
  }
  ctx->session = NULL;
  s->next = ctx->retired;
  ctx->retired = s;
  /* New statements will not ask it again: only its memory would stay. */
  okta_client_cache_clear(s->client);
  ctx_sweep(ctx);
  return SQLITE_OK;
}

/* Releases one reference; the last one frees the context. */
void okta_ctx_unref(void *p) {
  okta_ctx *ctx = p;
  if (!ctx || --ctx->refs > 0) return;
  session_free(ctx->session);
  for (okta_session *s = ctx->retired, *n; s; s = n) {
    n = s->next;
    session_free(s);
  }
  for (okta_override *o = ctx->overrides, *n; o; o = n) {
    n = o->next;
    if (okta_settings[o->key].type == ST_SECRET) okta_wipe_free(o->value);
    else free(o->value);
    free(o);
  }
  for (okta_warning *w = ctx->warnings, *n; w; w = n) {
    n = w->next;
    free(w->source);
    free(w->message);
    free(w);
  }
  free(ctx);
}

sqlite3 *okta_ctx_db(okta_ctx *ctx) { return ctx->db; }
void **okta_ctx_cursors(okta_ctx *ctx) { return &ctx->cursors; }

/* Detects sqlite3_interrupt() while we wait on the network. SQLite 3.40
** has no sqlite3_is_interrupted(), but a statement stepped while the
** connection is interrupted fails with SQLITE_INTERRUPT at once. */
static int ctx_interrupted(void *arg) {
  okta_ctx *ctx = arg;
  double now = okta_now_mono();
  if (now - ctx->last_interrupt_check < 0.05) return 0;
  ctx->last_interrupt_check = now;
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(ctx->db, "SELECT 1", -1, &st, NULL) != SQLITE_OK) {
    int rc = sqlite3_errcode(ctx->db);
    sqlite3_finalize(st);
    return rc == SQLITE_INTERRUPT;
  }
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  return rc == SQLITE_INTERRUPT;
}

static void ctx_tick(void *arg, okta_client *c);

/* Prints a configuration warning to stderr, once per process: the shell
** user sees it without asking okta_warnings(). */
static void warn_stderr_once(const char *text) {
  static int shown;
  if (__atomic_exchange_n(&shown, 1, __ATOMIC_SEQ_CST)) return;
  fprintf(stderr, "okta: warning: %s\n", text);
}

/* The connection's client, built from the configuration on first use. */
okta_client *okta_ctx_client(okta_ctx *ctx, char **err) {
  *err = NULL;
  if (ctx->retired) ctx_sweep(ctx);
  if (ctx->session) return ctx->session->client;
  okta_session *s = calloc(1, sizeof(*s));
  if (!s) {
    *err = okta_strdup("out of memory");
    return NULL;
  }
  char *e = okta_config_load(&s->cfg, ctx->overrides);
  if (e) {
    okta_buf b = {0};
    okta_buf_printf(&b, "okta: %s", e);
    free(e);
    *err = okta_buf_take(&b);
    session_free(s);
    return NULL;
  }
  for (const char *w = s->cfg.warnings; w && *w;) {
    size_t n = strcspn(w, "\n");
    okta_ctx_warn(ctx, "okta.yaml", "%.*s", (int)n, w);
    char *line = okta_strndup(w, n);
    if (line) warn_stderr_once(line);
    free(line);
    w += n + (w[n] == '\n');
  }
  char *aerr = NULL;
  s->auth = okta_auth_new(&s->cfg, &aerr);
  s->client = s->auth ? okta_client_new(&s->cfg, err) : NULL;
  if (!s->client) {
    if (aerr) {
      okta_buf b = {0};
      okta_buf_printf(&b, "okta: %s", aerr);
      free(aerr);
      *err = okta_buf_take(&b);
    }
    session_free(s);
    if (!*err) *err = okta_strdup("out of memory");
    return NULL;
  }
  okta_client_set_interrupt(s->client, ctx_interrupted, ctx);
  okta_client_set_tick(s->client, ctx_tick, ctx);
  okta_client_set_auth(s->client, okta_auth_headers, okta_auth_retry, s->auth);
  const char *pm = okta_config_str(&s->cfg, CFG_PROGRESS);
  ctx->progress_mode = !pm || strcasecmp(pm, "auto") == 0 ? -1 : strcasecmp(pm, "on") == 0;
  ctx->session = s;
  return s->client;
}

int okta_ctx_concurrency(okta_ctx *ctx) {
  long n = ctx->session ? okta_config_int(&ctx->session->cfg, CFG_CONCURRENCY) : 8;
  return n > 0 ? (int)n : 1;
}

/* Records a warning; a repeat of the same text only counts up. */
void okta_ctx_warn(okta_ctx *ctx, const char *source, const char *fmt, ...) {
  okta_buf b = {0};
  va_list ap;
  va_start(ap, fmt);
  char tmp[1024];
  vsnprintf(tmp, sizeof(tmp), fmt, ap);
  va_end(ap);
  okta_buf_puts(&b, tmp);
  /* The same warning again (only its request id differs) counts up. */
  const char *msg = b.p ? b.p : "";
  const char *rid = strstr(msg, " (request ");
  size_t cmp_len = rid ? (size_t)(rid - msg) : strlen(msg);
  okta_warning **pp = &ctx->warnings;
  for (; *pp; pp = &(*pp)->next) {
    if (strcmp((*pp)->source, source) == 0 && strncmp((*pp)->message, msg, cmp_len) == 0 &&
        ((*pp)->message[cmp_len] == 0 || strncmp((*pp)->message + cmp_len, " (request ", 10) == 0)) {
      (*pp)->count++;
      (*pp)->at = okta_now_wall();
      okta_buf_free(&b);
      return;
    }
  }
  if (ctx->nwarnings >= MAX_WARNINGS) {
    okta_warning *old = ctx->warnings;
    ctx->warnings = old->next;
    free(old->source);
    free(old->message);
    free(old);
    ctx->nwarnings--;
    for (pp = &ctx->warnings; *pp; pp = &(*pp)->next) {}
  }
  okta_warning *w = calloc(1, sizeof(*w));
  if (!w) { okta_buf_free(&b); return; }
  w->at = okta_now_wall();
  w->source = okta_strdup(source);
  w->message = okta_buf_take(&b);
  w->count = 1;
  if (!w->source || !w->message) {
    free(w->source);
    free(w->message);
    free(w);
    return;
  }
  *pp = w;
  ctx->nwarnings++;
}

okta_warning *okta_ctx_warnings(okta_ctx *ctx) { return ctx->warnings; }

/* -------------------------------------------------------------- progress */

/* 1 when progress lines should be written to stderr. */
static int progress_enabled(okta_ctx *ctx) {
  if (ctx->progress_mode >= 0) return ctx->progress_mode;
  return isatty(STDERR_FILENO);
}

/* Writes the progress line of the current scan (after the first second). */
static void progress_draw(okta_ctx *ctx, okta_client *client) {
  if (!client || !ctx->progress_table || !progress_enabled(ctx)) return;
  double now = okta_now_mono();
  if (now - ctx->progress_start < 1.0) return;
  long requests = 0;
  for (okta_endpoint *e = okta_client_endpoints(client); e; e = e->next) requests += e->requests;
  double wait = okta_client_rate_wait(client);
  fprintf(stderr, "\r\033[Kokta: %s: %ld rows, %ld requests, %d in flight", ctx->progress_table,
          ctx->progress_rows, requests, okta_client_running(client));
  if (wait > 0.5) fprintf(stderr, ", rate limit: waiting %.0f s", wait);
  fflush(stderr);
  ctx->progress_shown = 1;
}

/* Called by the client while it waits. */
static void ctx_tick(void *arg, okta_client *c) { progress_draw(arg, c); }

/* Notes the rows a scan has produced; the clock starts at the first scan
** of the statement, so a line appears only for work that takes a while. */
void okta_ctx_progress_rows(okta_ctx *ctx, const char *table, long rows) {
  if (ctx->progress_start == 0) ctx->progress_start = okta_now_mono();
  ctx->progress_table = table;
  ctx->progress_rows = rows;
  progress_draw(ctx, ctx->session ? ctx->session->client : NULL);
}

void okta_ctx_progress_end(okta_ctx *ctx) {
  if (ctx->progress_shown) {
    fprintf(stderr, "\r\033[K");
    fflush(stderr);
  }
  ctx->progress_shown = 0;
  ctx->progress_table = NULL;
  ctx->progress_start = 0;
  ctx->progress_rows = 0;
}

/* ---------------------------------------------------------------- errors */

/* Sets a virtual table's error, freeing the previous message. Messages
** that already start with "okta: " are kept as they are. */
void okta_vtab_error(sqlite3_vtab *vtab, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = sqlite3_vmprintf(fmt, ap);
  va_end(ap);
  sqlite3_free(vtab->zErrMsg);
  if (msg && strncmp(msg, "okta: ", 6) != 0) {
    vtab->zErrMsg = sqlite3_mprintf("okta: %s", msg);
    sqlite3_free(msg);
  } else {
    vtab->zErrMsg = msg;
  }
}

/* --------------------------------------------------------------- functions */

/* okta_version(): the extension's version. */
void okta_fn_version(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  (void)argv;
  sqlite3_result_text(ctx, OKTA_VERSION, -1, SQLITE_STATIC);
}

/* okta_debug(): versions, org, auth mode and settings; never a secret. */
void okta_fn_debug(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  okta_ctx *c = sqlite3_user_data(ctx);
  (void)argc;
  (void)argv;
  okta_buf b = {0};
  curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);
  okta_buf_printf(&b, "sqlite-okta %s\nsqlite %s\nlibcurl %s (%s)\n", OKTA_VERSION, sqlite3_libversion(),
                  cv ? cv->version : "?", cv && cv->ssl_version ? cv->ssl_version : "no TLS");
  okta_config cfg = {0};
  char *err = okta_config_load(&cfg, c->overrides);
  if (err) {
    okta_buf_printf(&b, "configuration error: %s\n", err);
    free(err);
  } else {
    okta_buf_printf(&b, "org: %s\nauth: %s\n", cfg.org_url, okta_config_str(&cfg, CFG_AUTH_MODE));
  }
  /* Which layer the org and the credentials came from: they must agree. */
  okta_buf_puts(&b, "orgUrl from: ");
  okta_config_layer(&b, &cfg, CFG_ORG_URL);
  okta_buf_puts(&b, "\ncredentials from: ");
  if (strcasecmp(okta_config_str(&cfg, CFG_AUTH_MODE) ? okta_config_str(&cfg, CFG_AUTH_MODE) : "", "PrivateKey") == 0) {
    okta_buf_puts(&b, "clientId ");
    okta_config_layer(&b, &cfg, CFG_CLIENT_ID);
    okta_buf_puts(&b, ", privateKey ");
    okta_config_layer(&b, &cfg, CFG_PRIVATE_KEY);
  } else {
    okta_buf_puts(&b, "token ");
    okta_config_layer(&b, &cfg, CFG_TOKEN);
  }
  okta_buf_puts(&b, "\nsettings:\n");
  for (int i = 0; i < CFG_COUNT; i++) {
    okta_buf_printf(&b, "  %s = ", okta_settings[i].key);
    okta_config_show(&b, &cfg, i);
    int yaml = cfg.source[i] == SRC_YAML_HOME || cfg.source[i] == SRC_YAML_CWD;
    okta_buf_printf(&b, " (%s)\n", yaml && cfg.where[i] ? cfg.where[i] : okta_source_name(cfg.source[i]));
  }
  if (c->session) {
    okta_buf_printf(&b, "cache: %ld responses, %lld bytes\n", okta_client_cache_entries(c->session->client),
                    (long long)okta_client_cache_bytes(c->session->client));
  }
  okta_config_clear(&cfg);
  if (b.oom) {
    okta_buf_free(&b);
    sqlite3_result_error_nomem(ctx);
    return;
  }
  sqlite3_result_text(ctx, b.p, (int)b.n, free);
}

/* okta_config(key [, value]): reads, or sets for this connection. */
void okta_fn_config(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  okta_ctx *c = sqlite3_user_data(ctx);
  const char *key = (const char *)sqlite3_value_text(argv[0]);
  int id = key ? okta_setting_find(key) : -1;
  if (id < 0) {
    okta_buf b = {0};
    okta_buf_printf(&b, "okta_config: unknown setting '%s'; known settings:", key ? key : "NULL");
    for (int i = 0; i < CFG_COUNT; i++) okta_buf_printf(&b, " %s", okta_settings[i].key);
    sqlite3_result_error(ctx, b.p ? b.p : "okta_config: unknown setting", -1);
    okta_buf_free(&b);
    return;
  }
  if (argc == 2) {
    const char *v = (const char *)sqlite3_value_text(argv[1]);
    if (v) {
      char *err = okta_setting_check(id, v, "okta_config()");
      if (err) {
        sqlite3_result_error(ctx, err, -1);
        free(err);
        return;
      }
    }
    okta_override *o = calloc(1, sizeof(*o));
    if (!o || (v && !(o->value = okta_strdup(v)))) {
      free(o);
      sqlite3_result_error_nomem(ctx);
      return;
    }
    o->key = id;
    if (ctx_retire_session(c) != SQLITE_OK) {
      free(o->value);
      free(o);
      sqlite3_result_error_nomem(ctx);
      return;
    }
    /* A NULL resets: drop earlier overrides of this key. */
    for (okta_override **pp = &c->overrides; *pp;) {
      if ((*pp)->key == id) {
        okta_override *d = *pp;
        *pp = d->next;
        if (okta_settings[id].type == ST_SECRET) okta_wipe_free(d->value);
        else free(d->value);
        free(d);
      } else {
        pp = &(*pp)->next;
      }
    }
    if (v) {
      o->next = c->overrides;
      c->overrides = o;
    } else {
      free(o);
    }
  }
  okta_config cfg = {0};
  char *err = okta_config_load(&cfg, c->overrides);
  free(err); /* an incomplete configuration still has values to show */
  okta_buf b = {0};
  if (cfg.value[id]) {
    okta_config_show(&b, &cfg, id);
    sqlite3_result_text(ctx, b.p, -1, SQLITE_TRANSIENT);
  } else {
    sqlite3_result_null(ctx);
  }
  okta_buf_free(&b);
  okta_config_clear(&cfg);
}

/* okta_cache_clear(): empties the response cache; returns entries dropped. */
void okta_fn_cache_clear(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  okta_ctx *c = sqlite3_user_data(ctx);
  (void)argc;
  (void)argv;
  long n = 0;
  if (c->session) {
    n = okta_client_cache_entries(c->session->client);
    okta_client_cache_clear(c->session->client);
  }
  sqlite3_result_int64(ctx, n);
}

/* okta_warnings(): the warnings as a JSON array. */
void okta_fn_warnings(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  okta_ctx *c = sqlite3_user_data(ctx);
  (void)argc;
  (void)argv;
  cJSON *arr = cJSON_CreateArray();
  for (okta_warning *w = c->warnings; w && arr; w = w->next) {
    cJSON *o = cJSON_CreateObject();
    if (!o) break;
    char at[32];
    okta_format_iso8601((int64_t)(w->at * 1000), at);
    cJSON_AddStringToObject(o, "at", at);
    cJSON_AddStringToObject(o, "source", w->source);
    cJSON_AddStringToObject(o, "message", w->message);
    cJSON_AddNumberToObject(o, "count", (double)w->count);
    cJSON_AddItemToArray(arr, o);
  }
  char *s = arr ? cJSON_PrintUnformatted(arr) : NULL;
  cJSON_Delete(arr);
  if (s) sqlite3_result_text(ctx, s, -1, free);
  else sqlite3_result_error_nomem(ctx);
}

