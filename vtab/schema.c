/*
** okta_schema(): every descriptor-driven table as JSON, for people who
** want to know what they can query and for docs/tables.md, which is
** generated from it (tests/gen_docs.py) so the docs cannot drift.
*/
#include "tables.h"

#include <stdlib.h>
#include <string.h>

/* What pushing a constraint on column c means, in words. */
static void pushdown_text(okta_buf *b, const okta_table *t, int ci) {
  const okta_column *c = &t->cols[ci];
  for (int r = 0; r < t->nroute; r++) {
    const okta_route *rt = &t->routes[r];
    if (rt->arg != ci) continue;
    if (b->n) okta_buf_puts(b, "; ");
    if (rt->batch_attr) {
      int search = 0; /* the batch goes into search= (devices) or filter= */
      for (const char *const *p = rt->source->params; p && *p; p++) search |= strncmp(*p, "search=", 7) == 0;
      okta_buf_printf(b, "`IN (...)`: `%s=%s eq \"a\" or ...`, 50 values per request", search ? "search" : "filter",
                      rt->batch_attr);
    } else if (rt->parent) {
      okta_buf_printf(b, "`=`/`IN`: `GET %s`, then `GET %s` per item", rt->parent->path, rt->source->path);
    } else {
      okta_buf_printf(b, "`=`/`IN`: `GET %s` per value", rt->source->path);
    }
  }
  const char *ops = (c->ops & OP_RANGE) && (c->ops & OP_EQ) ? "`=` `<` `<=` `>` `>=`"
                    : (c->ops & OP_RANGE)                   ? "`<` `<=` `>` `>=`"
                                                            : "`=`";
  if (b->n && c->dialect != D_NONE) okta_buf_puts(b, "; ");
  switch (c->dialect) {
    case D_FILTER: okta_buf_printf(b, "%s: `filter=%s ...`", ops, c->api); break;
    case D_SEARCH: okta_buf_printf(b, "%s: `search=%s ...`", ops, c->api); break;
    case D_PARAM: okta_buf_printf(b, "%s: `%s=value`", ops, c->api); break;
    case D_RAW: okta_buf_printf(b, "`=`: raw `%s=` expression", c->api); break;
    case D_TIME_RANGE: okta_buf_printf(b, "`>` `>=`: `%s=`; `<` `<=`: `%s=`", c->api, c->api_hi); break;
    default: break;
  }
}

/* The request a source makes, e.g. "GET /api/v1/groups?expand=stats&limit=10000". */
static char *source_text(const okta_source *s) {
  okta_buf b = {0};
  okta_buf_printf(&b, "GET %s", s->path);
  int first = 1;
  for (const char *const *p = s->params; p && *p; p++, first = 0) okta_buf_printf(&b, "%s%s", first ? "?" : "&", *p);
  if (s->page_size > 0) okta_buf_printf(&b, "%slimit=%d", first ? "?" : "&", s->page_size);
  return okta_buf_take(&b);
}

/* okta_schema(): JSON array of tables with columns, routes and permissions. */
void okta_fn_schema(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  (void)argv;
  cJSON *out = cJSON_CreateArray();
  for (int i = 0; out && i < okta_table_count; i++) {
    const okta_table *t = okta_table_list[i];
    cJSON *jt = cJSON_CreateObject();
    cJSON_AddItemToArray(out, jt);
    cJSON_AddStringToObject(jt, "name", t->name);
    cJSON_AddStringToObject(jt, "doc", t->doc ? t->doc : "");
    cJSON_AddStringToObject(jt, "needs", t->needs ? t->needs : "");
    cJSON *cols = cJSON_AddArrayToObject(jt, "columns");
    for (int c = 0; c < t->ncol; c++) {
      const okta_column *col = &t->cols[c];
      cJSON *jc = cJSON_CreateObject();
      cJSON_AddItemToArray(cols, jc);
      cJSON_AddStringToObject(jc, "name", col->name);
      static const char *const types[] = {"TEXT", "INTEGER", "INTEGER (0/1)", "REAL", "JSON"};
      cJSON_AddStringToObject(jc, "type", types[col->type]);
      cJSON_AddBoolToObject(jc, "hidden", (col->flags & COL_HIDDEN) != 0);
      const char *src = col->path;
      cJSON_AddStringToObject(jc, "source", !src                     ? ""
                                            : strcmp(src, "=key") == 0 ? "(key)"
                                            : strcmp(src, "=arg") == 0 ? "(arg)"
                                            : *src                     ? src
                                                                       : "(the whole object)");
      cJSON_AddStringToObject(jc, "doc", col->doc ? col->doc : "");
      okta_buf b = {0};
      pushdown_text(&b, t, c);
      cJSON_AddStringToObject(jc, "pushdown", b.p ? b.p : "");
      okta_buf_free(&b);
    }
    cJSON *routes = cJSON_AddArrayToObject(jt, "routes");
    for (int r = 0; r < t->nroute; r++) {
      const okta_route *rt = &t->routes[r];
      cJSON *jr = cJSON_CreateObject();
      cJSON_AddItemToArray(routes, jr);
      cJSON_AddStringToObject(jr, "name", rt->name);
      cJSON_AddStringToObject(jr, "when", rt->arg >= 0 ? t->cols[rt->arg].name : "");
      char *s = source_text(rt->source);
      cJSON_AddStringToObject(jr, "request", s ? s : "");
      free(s);
      if (rt->parent) {
        s = source_text(rt->parent);
        cJSON_AddStringToObject(jr, "keys_from", s ? s : "");
        free(s);
      }
      if (rt->args_from) {
        s = source_text(rt->args_from);
        cJSON_AddStringToObject(jr, "args_from", s ? s : "");
        free(s);
      }
      if (rt->source->passes) {
        cJSON *passes = cJSON_AddArrayToObject(jr, "passes");
        for (const char *const *p = rt->source->passes; *p; p++) cJSON_AddItemToArray(passes, cJSON_CreateString(*p));
      }
    }
    if (t->aux) {
      char *s = source_text(t->aux);
      cJSON_AddStringToObject(jt, "also", s ? s : "");
      free(s);
    }
  }
  char *text = out ? cJSON_Print(out) : NULL;
  cJSON_Delete(out);
  if (text) sqlite3_result_text(ctx, text, -1, free);
  else sqlite3_result_error_nomem(ctx);
}
