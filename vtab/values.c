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

/* 1 when a key names a secret: its value must never reach SQL. Compared
** without case or underscores; "token" only at the end (accessToken, not
** token_endpoint_auth_method). */
int okta_secret_key(const char *k) {
  static const char *const words[] = {"secret", "password", "privatekey", "accesskey", "apikey", "sharedkey",
                                      "passphrase"};
  char low[64];
  size_t n = 0;
  for (; *k && n < sizeof(low) - 1; k++) {
    if (*k == '_' || *k == '-') continue;
    low[n++] = (char)((*k >= 'A' && *k <= 'Z') ? *k + 32 : *k);
  }
  low[n] = 0;
  for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
    if (strstr(low, words[i])) return 1;
  }
  return n >= 5 && strcmp(low + n - 5, "token") == 0;
}

/* Replaces string values under secret-named keys (recursively) in a copy.
** Flags such as revealPassword: true are not secrets and stay. */
static void redact(cJSON *v, int inside_secret) {
  for (cJSON *c = v ? v->child : NULL; c; c = c->next) {
    int secret = inside_secret || (c->string && okta_secret_key(c->string));
    if (cJSON_IsString(c) && secret) {
      char *copy = c->valuestring;
      c->valuestring = NULL;
      cJSON_free(copy);
      c->valuestring = (char *)cJSON_malloc(sizeof("(redacted)"));
      if (c->valuestring) memcpy(c->valuestring, "(redacted)", sizeof("(redacted)"));
      else c->type = cJSON_NULL;
    } else if (cJSON_IsObject(c) || cJSON_IsArray(c)) {
      redact(c, secret);
    }
  }
}

/* A copy of v with secret values replaced by "(redacted)" (NULL on OOM). */
cJSON *okta_json_redacted(const cJSON *v) {
  cJSON *copy = cJSON_Duplicate(v, 1);
  if (copy) redact(copy, 0);
  return copy;
}

/* Returns v as JSON with secret values replaced by "(redacted)". */
void okta_value_redacted(sqlite3_context *ctx, const cJSON *v) {
  if (!v || cJSON_IsNull(v)) {
    sqlite3_result_null(ctx);
    return;
  }
  cJSON *copy = okta_json_redacted(v);
  if (!copy) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  okta_result_json(ctx, copy);
  cJSON_Delete(copy);
}

/* credentials of an app, secrets redacted. */
void okta_col_credentials(sqlite3_context *ctx, const cJSON *item, const cJSON *parent) {
  (void)parent;
  okta_value_redacted(ctx, cJSON_GetObjectItemCaseSensitive(item, "credentials"));
}

/* settings of an app, secrets redacted (AWS apps carry access keys). */
void okta_col_settings(sqlite3_context *ctx, const cJSON *item, const cJSON *parent) {
  (void)parent;
  okta_value_redacted(ctx, cJSON_GetObjectItemCaseSensitive(item, "settings"));
}

/* The AWS account of an app's identityProviderArn
** (arn:aws:iam::<account>:saml-provider/<name>), or NULL. */
char *okta_aws_account_of(const cJSON *app) {
  const cJSON *arn = okta_json_path(app, "settings.app.identityProviderArn");
  if (!cJSON_IsString(arn)) return NULL;
  const char *s = arn->valuestring;
  if (strncmp(s, "arn:", 4) != 0) return NULL;
  /* arn:partition:iam::account:resource */
  const char *p = s;
  for (int field = 0; field < 4; field++) {
    p = strchr(p, ':');
    if (!p) return NULL;
    p++;
  }
  const char *end = strchr(p, ':');
  if (!end || end == p) return NULL;
  for (const char *d = p; d < end; d++) {
    if (*d < '0' || *d > '9') return NULL;
  }
  char *out = malloc((size_t)(end - p) + 1);
  if (!out) return NULL;
  memcpy(out, p, (size_t)(end - p));
  out[end - p] = 0;
  return out;
}

void okta_col_aws_account(sqlite3_context *ctx, const cJSON *item, const cJSON *parent) {
  (void)parent;
  char *acct = okta_aws_account_of(item);
  if (acct) sqlite3_result_text(ctx, acct, -1, free);
}

/* JSON array of the user ids in a device's _embedded.users. */
void okta_col_device_user_ids(sqlite3_context *ctx, const cJSON *item, const cJSON *parent) {
  (void)parent;
  cJSON *out = cJSON_CreateArray();
  const cJSON *u;
  if (!out) { sqlite3_result_error_nomem(ctx); return; }
  cJSON_ArrayForEach(u, okta_json_path(item, "_embedded.users")) {
    const cJSON *id = okta_json_path(u, "user.id");
    if (cJSON_IsString(id)) cJSON_AddItemToArray(out, cJSON_CreateString(id->valuestring));
  }
  okta_result_json(ctx, out);
  cJSON_Delete(out);
}

/* 1 when Okta Support access is ENABLED, 0 when not, NULL when unknown. */
void okta_col_support_enabled(sqlite3_context *ctx, const cJSON *item, const cJSON *parent) {
  (void)parent;
  const cJSON *s = okta_json_path(item, "_support.support");
  if (cJSON_IsString(s)) sqlite3_result_int(ctx, strcmp(s->valuestring, "ENABLED") == 0);
}
