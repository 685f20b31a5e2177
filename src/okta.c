/*
** sqlite-okta: an Okta organization as SQL tables.
**
**   $ export OKTA_CLIENT_ORGURL=https://acme.okta.com OKTA_CLIENT_TOKEN=00abc...
**   $ sqlite3
**   sqlite> .load ./build/okta
**   sqlite> SELECT login, status FROM okta_users WHERE status = 'SUSPENDED';
**
** Tables are eponymous virtual tables named okta_*; see README.md for each
** one's columns, the WHERE terms pushed to the API, and the permission it
** needs. SQL functions:
**
**   okta_version()             the extension's version
**   okta_debug()               versions, org, auth mode, every setting and
**                              where it came from (secrets never shown)
**   okta_config(key)           effective value of a setting
**   okta_config(key, value)    set a setting for this connection (NULL resets)
**   okta_cache_clear()         drop cached responses; returns how many
**   okta_warnings()            JSON array of warnings (skipped sources)
**   okta_schema()              every table: columns, pushdowns, requests
**   okta_lower(text)           lowercase with Unicode's rules (lower() folds
**                              ASCII only); the graph keys persons with it
**   okta_aws_role_arn(value, account)  the IAM role ARN of an AWS app's
**                              role value, NULL when it gives none
**
** A second entry point, sqlite3_okta_functions_init, registers only
** okta_lower and okta_aws_role_arn: for reading a mirror (okta_sync) with
** the reports' SQL and no table that could reach the network:
**   SELECT load_extension('build/okta', 'sqlite3_okta_functions_init');
**
** This file is the entry point: it registers every table of the registry
** (vtab/registry.c) and every SQL function on a new connection context
** (ext/ctx.c). It sits above both: vtab/ uses ext/, never the reverse.
*/
#include "../ext/ctx.h"
#include "../vtab/table.h"

SQLITE_EXTENSION_INIT1

/* The registry's side (vtab/): tables, extra modules, its SQL functions. */
int okta_register_table(sqlite3 *db, okta_ctx *ctx, const okta_table *t);
int okta_register_extra_modules(sqlite3 *db, okta_ctx *ctx);
void okta_fn_schema(sqlite3_context *ctx, int argc, sqlite3_value **argv);

/* Functions change or reveal connection state: a view or trigger in an
** untrusted database must not call them (SQLITE_DIRECTONLY). */
static const struct {
  const char *name;
  int nargs;
  void (*fn)(sqlite3_context *, int, sqlite3_value **);
  int flags;
} okta_functions[] = {
  {"okta_version", 0, okta_fn_version, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS},
  {"okta_debug", 0, okta_fn_debug, SQLITE_UTF8 | SQLITE_DIRECTONLY},
  {"okta_config", 1, okta_fn_config, SQLITE_UTF8 | SQLITE_DIRECTONLY},
  {"okta_config", 2, okta_fn_config, SQLITE_UTF8 | SQLITE_DIRECTONLY},
  {"okta_cache_clear", 0, okta_fn_cache_clear, SQLITE_UTF8 | SQLITE_DIRECTONLY},
  {"okta_warnings", 0, okta_fn_warnings, SQLITE_UTF8 | SQLITE_DIRECTONLY},
  {"okta_schema", 0, okta_fn_schema, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS},
};

/* Entry point: registers every table and function on the connection. */
#ifdef _WIN32
__declspec(dllexport)
#else
__attribute__((visibility("default")))
#endif
int sqlite3_okta_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi) {
  /* Every load would store the same API pointer again, racing with other
  ** connections' threads reading it: store it only when it changes. */
#ifndef SQLITE_CORE
  if (sqlite3_api != pApi) SQLITE_EXTENSION_INIT2(pApi);
#else
  (void)pApi;
#endif
  okta_ctx *ctx = okta_ctx_new(db); /* held by this function until registration is done */
  if (!ctx) return SQLITE_NOMEM;
  int rc = SQLITE_OK;
  for (int i = 0; rc == SQLITE_OK && i < okta_table_count; i++) rc = okta_register_table(db, ctx, okta_table_list[i]);
  if (rc == SQLITE_OK) rc = okta_register_extra_modules(db, ctx);
  for (size_t i = 0; rc == SQLITE_OK && i < sizeof(okta_functions) / sizeof(okta_functions[0]); i++) {
    okta_ctx_ref(ctx);
    rc = sqlite3_create_function_v2(db, okta_functions[i].name, okta_functions[i].nargs, okta_functions[i].flags,
                                    ctx, okta_functions[i].fn, NULL, NULL, okta_ctx_unref);
  }
  if (rc == SQLITE_OK) rc = okta_register_pure_functions(db); /* okta_lower, okta_aws_role_arn */
  if (rc != SQLITE_OK && pzErrMsg) *pzErrMsg = sqlite3_mprintf("okta: registration failed: %s", sqlite3_errstr(rc));
  okta_ctx_unref(ctx);
  return rc;
}

/* Entry point for the pure functions only (no table, no network). */
#ifdef _WIN32
__declspec(dllexport)
#else
__attribute__((visibility("default")))
#endif
int sqlite3_okta_functions_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi) {
#ifndef SQLITE_CORE
  if (sqlite3_api != pApi) SQLITE_EXTENSION_INIT2(pApi);
#else
  (void)pApi;
#endif
  int rc = okta_register_pure_functions(db);
  if (rc != SQLITE_OK && pzErrMsg) *pzErrMsg = sqlite3_mprintf("okta: registration failed: %s", sqlite3_errstr(rc));
  return rc;
}
