/*
** JSON values as SQL results, and helpers for derived columns.
*/
#include "table.h"

#include <stdlib.h>
#include <string.h>

SQLITE_EXTENSION_INIT3

/* Returns a JSON value as the closest SQL value: strings as text, numbers
** as integers or reals, booleans as 0/1, objects and arrays as JSON text,
** null or missing as NULL. */
void okta_result_json(sqlite3_context *ctx, const cJSON *v) {
  if (!v || cJSON_IsNull(v)) {
    sqlite3_result_null(ctx);
  } else if (cJSON_IsString(v)) {
    sqlite3_result_text(ctx, v->valuestring, -1, SQLITE_TRANSIENT);
  } else if (cJSON_IsBool(v)) {
    sqlite3_result_int(ctx, cJSON_IsTrue(v));
  } else if (cJSON_IsNumber(v)) {
    double d = v->valuedouble;
    if (d >= -9007199254740992.0 && d <= 9007199254740992.0 && d == (double)(sqlite3_int64)d)
      sqlite3_result_int64(ctx, (sqlite3_int64)d);
    else
      sqlite3_result_double(ctx, d);
  } else {
    char *s = cJSON_PrintUnformatted(v);
    if (s) sqlite3_result_text(ctx, s, -1, free);
    else sqlite3_result_error_nomem(ctx);
  }
}

/* Follows a dotted path ("a.b.0.c") from item; NULL when absent. */
const cJSON *okta_json_path(const cJSON *item, const char *path) {
  const cJSON *v = item;
  const char *p = path;
  while (v && *p) {
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    char name[128];
    if (n >= sizeof(name)) return NULL;
    memcpy(name, p, n);
    name[n] = 0;
    if (cJSON_IsArray(v) && name[0] >= '0' && name[0] <= '9') v = cJSON_GetArrayItem(v, atoi(name));
    else v = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, name) : NULL;
    p += n + (dot ? 1 : 0);
    if (!dot) break;
  }
  return v;
}
