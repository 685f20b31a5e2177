/*
** The per-connection context shared by every okta_* table and function of
** one database connection: configuration, HTTP client (with its cache and
** statistics), and the warnings recorded by skipped sources.
*/
#ifndef OKTA_CTX_H
#define OKTA_CTX_H

#include "http.h"

#include <sqlite3ext.h>

typedef struct okta_ctx okta_ctx;

/* The connection's client, configured on first use. NULL with *err set
** (malloc'd) when the configuration is missing or invalid. */
okta_client *okta_ctx_client(okta_ctx *ctx, char **err);
sqlite3 *okta_ctx_db(okta_ctx *ctx);
/* Records a warning (deduplicated), e.g. a source the token may not read. */
void okta_ctx_warn(okta_ctx *ctx, const char *source, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Head of the list of open table cursors (owned by the engine), so one
** cursor can see the rows another is about to produce. */
void **okta_ctx_cursors(okta_ctx *ctx);
/* Concurrency setting (fan-out window). */
int okta_ctx_concurrency(okta_ctx *ctx);
/* Progress reporting of a long scan (rows so far). */
void okta_ctx_progress_rows(okta_ctx *ctx, const char *table, long rows);
void okta_ctx_progress_end(okta_ctx *ctx);

/* Warnings, newest last. */
typedef struct okta_warning {
  double at;
  char *source;
  char *message;
  long count;
  struct okta_warning *next;
} okta_warning;
okta_warning *okta_ctx_warnings(okta_ctx *ctx);

/* A new context for db, holding one reference (the caller's). */
okta_ctx *okta_ctx_new(sqlite3 *db);

/* The SQL functions on the context (user data), registered by src/okta.c:
** okta_version(), okta_debug(), okta_config(key [, value]),
** okta_cache_clear(), okta_warnings(). */
void okta_fn_version(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void okta_fn_debug(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void okta_fn_config(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void okta_fn_cache_clear(sqlite3_context *ctx, int argc, sqlite3_value **argv);
void okta_fn_warnings(sqlite3_context *ctx, int argc, sqlite3_value **argv);

/* Registers the context's refcount for a module or function that holds it. */
void okta_ctx_ref(okta_ctx *ctx);
void okta_ctx_unref(void *ctx);

/* Sets the error message of a virtual table, freeing the previous one. */
void okta_vtab_error(sqlite3_vtab *vtab, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
