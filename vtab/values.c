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

/* Non-zero when a key names a secret: its value must never reach SQL.
** Compared without case or underscores: 1 for a secret word anywhere
** (everything under the key is secret), 2 for "token" at the end
** (accessToken, not token_endpoint_auth_method; only a string value is
** secret: an identity provider's protocol.endpoints.token is an object
** holding the token endpoint's URL, as recorded from real orgs). */
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
  return n >= 5 && strcmp(low + n - 5, "token") == 0 ? 2 : 0;
}

/* Replaces string values under secret-named keys (recursively) in a copy.
** Flags such as revealPassword: true are not secrets and stay. */
static void redact(cJSON *v, int inside_secret) {
  for (cJSON *c = v ? v->child : NULL; c; c = c->next) {
    int kind = c->string ? okta_secret_key(c->string) : 0;
    int secret = inside_secret || kind == 1;
    if (cJSON_IsString(c) && (secret || kind == 2)) {
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

/* protocol of an identity provider, secrets redacted (OIDC client secrets). */
void okta_col_protocol(sqlite3_context *ctx, const cJSON *item, const cJSON *parent) {
  (void)parent;
  okta_value_redacted(ctx, cJSON_GetObjectItemCaseSensitive(item, "protocol"));
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

/* 1 when s[0..n) is all ASCII digits and n == 12 (an AWS account id). */
static int aws_account_digits(const char *s, size_t n) {
  if (n != 12) return 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return 0;
  }
  return 1;
}

/* 1 when s[0..n) is an IAM role ARN: arn:<partition>:iam::<account>:role/<name>. */
static int is_role_arn(const char *s, size_t n) {
  if (n < 4 || strncmp(s, "arn:", 4) != 0) return 0;
  const char *end = s + n, *p = memchr(s + 4, ':', (size_t)(end - s - 4));
  if (!p || p == s + 4 || (size_t)(end - p) < 6 || strncmp(p, ":iam::", 6) != 0) return 0;
  const char *acct = p + 6, *q = memchr(acct, ':', (size_t)(end - acct));
  if (!q || !aws_account_digits(acct, (size_t)(q - acct))) return 0;
  return (size_t)(end - q) > 6 && strncmp(q, ":role/", 6) == 0;
}

/* 1 when s is an IAM role name, possibly under a path (letters, digits and
** +=,.@_-/, not starting with a slash). */
static int is_role_name(const char *s) {
  if (!*s || *s == '/') return 0;
  for (; *s; s++) {
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          strchr("+=,.@_-/", *s)))
      return 0;
  }
  return 1;
}

/* The IAM role ARN an AWS app's role value stands for (malloc'd), or NULL
** when it gives none. Okta's AWS app sends role values in three forms:
** a role ARN (kept as it is; also inside the roleValuePattern pair
** "arn:...:saml-provider/X,arn:...:role/Y"); "[<account>] -- <role>" when
** the app spans several accounts (Okta's AWS SAML guide; with an account
** alias in place of the number there is no account: NULL); a role name,
** which needs the app's account (settings.app.identityProviderArn). */
char *okta_aws_role_arn(const char *value, const char *account) {
  okta_buf b = {0};
  for (const char *p = value; *p;) {
    size_t n = strcspn(p, ",");
    if (is_role_arn(p, n)) {
      okta_buf_append(&b, p, n);
      return okta_buf_take(&b);
    }
    p += n + (p[n] == ',');
  }
  if (value[0] == '[' && aws_account_digits(value + 1, strcspn(value + 1, "]")) &&
      strncmp(value + 13, "] -- ", 5) == 0 && is_role_name(value + 18)) {
    okta_buf_printf(&b, "arn:aws:iam::%.12s:role/%s", value + 1, value + 18);
    return okta_buf_take(&b);
  }
  if (account && aws_account_digits(account, strlen(account)) && is_role_name(value)) {
    okta_buf_printf(&b, "arn:aws:iam::%s:role/%s", account, value);
    return okta_buf_take(&b);
  }
  return NULL;
}

/* okta_aws_role_arn(value, account): the role ARN of an AWS app's role
** value (see above), NULL when it gives none. */
void okta_fn_aws_role_arn(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  const char *v = (const char *)sqlite3_value_text(argv[0]);
  const char *acct = (const char *)sqlite3_value_text(argv[1]);
  char *arn = v ? okta_aws_role_arn(v, acct) : NULL;
  if (arn) sqlite3_result_text(ctx, arn, -1, free);
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

/* The id of an authenticator enrollment's authenticator: the last segment
** of _links.authenticator.href (.../api/v1/authenticators/<id>). */
void okta_col_authenticator_id(sqlite3_context *ctx, const cJSON *item, const cJSON *parent) {
  (void)parent;
  const cJSON *href = okta_json_path(item, "_links.authenticator.href");
  if (!cJSON_IsString(href)) return;
  const char *s = href->valuestring, *q = s + strcspn(s, "?#"), *slash = q;
  while (slash > s && slash[-1] != '/') slash--;
  if (slash > s && q > slash) sqlite3_result_text(ctx, slash, (int)(q - slash), SQLITE_TRANSIENT);
}

/* An enrollment's profile with secrets redacted: a temporary access code
** (type tac) carries the code itself in profile.tac (spec example
** AuthenticatorEnrollmentResponseTac). */
void okta_col_enrollment_profile(sqlite3_context *ctx, const cJSON *item, const cJSON *parent) {
  (void)parent;
  const cJSON *p = cJSON_GetObjectItemCaseSensitive(item, "profile");
  if (!p || cJSON_IsNull(p)) return;
  cJSON *copy = okta_json_redacted(p);
  if (!copy) { sqlite3_result_error_nomem(ctx); return; }
  cJSON *tac = cJSON_GetObjectItemCaseSensitive(copy, "tac");
  if (tac) {
    cJSON *r = cJSON_CreateString("(redacted)");
    if (!r || !cJSON_ReplaceItemInObjectCaseSensitive(copy, "tac", r)) {
      cJSON_Delete(r);
      cJSON_DeleteItemFromObjectCaseSensitive(copy, "tac"); /* out of memory: drop it */
    }
  }
  okta_result_json(ctx, copy);
  cJSON_Delete(copy);
}
