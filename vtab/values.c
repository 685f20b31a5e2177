/*
** JSON values as SQL results, and helpers for derived columns.
*/
#include "table.h"

#include <stdlib.h>
#include <string.h>

SQLITE_EXTENSION_INIT3

/*
** Redaction: the one list of what is secret in Okta's JSON, applied to
** every JSON value a table returns (okta_result_json). Decided by key
** name, compared without case, '_' or '-':
**
**   secret, privateKey, passphrase, apiKey, sharedKey, accessKey,
**   integrationKey      the value and everything below it (client_secret,
**                       sharedSecret, secretKey, signing secrets, ...)
**   ...password..., ...token   a string or number value (app passwords,
**                       authToken); an object there (credentials.password,
**                       endpoints.token) is walked, its value, hash, salt
**                       and answer members being secret; timestamps and
**                       form field names (passwordChanged, passwordField)
**                       are not secrets
**   authScheme, recovery_question   objects whose value / answer is secret
**
** and by value: a PEM private key anywhere, and the private members
** (d, p, q, dp, dq, qi, k, oth) of a JWK. Secret strings and numbers
** become "(redacted)"; booleans stay, so flags such as revealPassword
** keep their meaning.
*/

#define REDACTED "(redacted)"

/* How a subtree is walked. */
enum { M_PLAIN, M_SECRET, M_HOLDER };

/* Lower-cases k without '_' and '-' into out. */
static void norm_key(const char *k, char *out, size_t cap) {
  size_t n = 0;
  for (; *k && n < cap - 1; k++) {
    if (*k == '_' || *k == '-') continue;
    out[n++] = (char)((*k >= 'A' && *k <= 'Z') ? *k + 32 : *k);
  }
  out[n] = 0;
}

/* 1 when s ends with suffix. */
static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The mode for a member named k of an object walked in mode (M_SECRET:
** the member is secret as a whole; M_HOLDER: secret if a scalar, walked as
** a holder if an object). */
static int key_mode(const char *k, int mode) {
  static const char *const whole[] = {"secret", "privatekey", "passphrase", "apikey", "sharedkey", "accesskey",
                                      "integrationkey"};
  static const char *const held[] = {"value", "hash", "salt", "answer"};
  char low[64];
  if (mode == M_SECRET) return M_SECRET;
  norm_key(k, low, sizeof(low));
  if (mode == M_HOLDER) {
    for (size_t i = 0; i < sizeof(held) / sizeof(held[0]); i++) {
      if (strcmp(low, held[i]) == 0) return M_SECRET;
    }
  }
  for (size_t i = 0; i < sizeof(whole) / sizeof(whole[0]); i++) {
    if (strstr(low, whole[i])) return M_SECRET;
  }
  if ((strstr(low, "password") || ends_with(low, "token")) && !ends_with(low, "changed") &&
      !ends_with(low, "field") && !ends_with(low, "selector") && !ends_with(low, "expired"))
    return M_HOLDER;
  if (strcmp(low, "authscheme") == 0 || strcmp(low, "recoveryquestion") == 0) return M_HOLDER;
  return M_PLAIN;
}

/* 1 for a string that is a PEM private key. */
static int secret_value(const cJSON *v) {
  const char *s = v->valuestring;
  return s && strstr(s, "-----BEGIN") && strstr(s, "PRIVATE KEY");
}

/* 1 when o is a JWK and name one of its private members. */
static int jwk_private(const cJSON *o, const char *name) {
  static const char *const priv[] = {"d", "p", "q", "dp", "dq", "qi", "k", "oth"};
  if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "kty"))) return 0;
  for (size_t i = 0; i < sizeof(priv) / sizeof(priv[0]); i++) {
    if (strcmp(name, priv[i]) == 0) return 1;
  }
  return 0;
}

/* Replaces a scalar's value by "(redacted)" (by null when out of memory). */
static void redact_scalar(cJSON *c) {
  char *copy = cJSON_malloc(sizeof(REDACTED));
  if (cJSON_IsString(c)) {
    okta_wipe(c->valuestring, strlen(c->valuestring));
    cJSON_free(c->valuestring);
  }
  c->valuestring = copy;
  c->valuedouble = 0;
  c->valueint = 0;
  if (copy) {
    memcpy(copy, REDACTED, sizeof(REDACTED));
    c->type = cJSON_String;
  } else {
    c->type = cJSON_NULL;
  }
}

/* Walks v's members and items in mode (an item keeps its array's mode);
** counts the secrets found and, with apply, replaces them. */
static int redact_walk(cJSON *v, int mode, int apply) {
  int found = 0;
  for (cJSON *c = v ? v->child : NULL; c; c = c->next) {
    int m = c->string ? key_mode(c->string, mode) : mode;
    if (c->string && jwk_private(v, c->string)) m = M_SECRET;
    if (cJSON_IsObject(c) || cJSON_IsArray(c)) {
      found += redact_walk(c, m, apply);
    } else if ((cJSON_IsString(c) || cJSON_IsNumber(c)) &&
               (m != M_PLAIN || (cJSON_IsString(c) && secret_value(c)))) {
      found++;
      if (apply) redact_scalar(c);
    }
  }
  return found;
}

/* 1 when a key names a secret (its scalar value must never reach SQL). */
int okta_secret_key(const char *k) { return key_mode(k, M_PLAIN) != M_PLAIN; }

/* A copy of v with secret values replaced by "(redacted)" (NULL on OOM). */
cJSON *okta_json_redacted(const cJSON *v) {
  cJSON *copy = cJSON_Duplicate(v, 1);
  if (copy) redact_walk(copy, M_PLAIN, 1);
  return copy;
}


/* Returns a JSON value as the closest SQL value: strings as text, numbers
** as integers or reals, booleans as 0/1, objects and arrays as JSON text,
** null or missing as NULL. Every JSON column of every table comes through
** here, so this is where secrets are redacted (see okta_json_redacted):
** a new table cannot forget. */
void okta_result_json(sqlite3_context *ctx, const cJSON *v) {
  if (!v || cJSON_IsNull(v)) {
    sqlite3_result_null(ctx);
  } else if (cJSON_IsString(v)) {
    if (secret_value(v)) sqlite3_result_text(ctx, REDACTED, -1, SQLITE_STATIC);
    else sqlite3_result_text(ctx, v->valuestring, -1, SQLITE_TRANSIENT);
  } else if (cJSON_IsBool(v)) {
    sqlite3_result_int(ctx, cJSON_IsTrue(v));
  } else if (cJSON_IsNumber(v)) {
    double d = v->valuedouble;
    if (d >= -9007199254740992.0 && d <= 9007199254740992.0 && d == (double)(sqlite3_int64)d)
      sqlite3_result_int64(ctx, (sqlite3_int64)d);
    else
      sqlite3_result_double(ctx, d);
  } else {
    cJSON *copy = NULL;
    if (redact_walk((cJSON *)v, M_PLAIN, 0)) {
      copy = okta_json_redacted(v);
      if (!copy) {
        sqlite3_result_error_nomem(ctx);
        return;
      }
    }
    char *s = cJSON_PrintUnformatted(copy ? copy : v);
    cJSON_Delete(copy);
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

/* Returns v as JSON with secret values replaced by "(redacted)"
** (okta_result_json redacts). */
void okta_value_redacted(sqlite3_context *ctx, const cJSON *v) { okta_result_json(ctx, v); }

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

/* okta_lower(text): text lowercased with Unicode's default mapping, as
** JupiterOne lowercases the email that keys a person (SQLite's lower()
** folds ASCII only). NULL stays NULL. */
void okta_sql_lower(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  (void)argc;
  const char *s = (const char *)sqlite3_value_text(argv[0]);
  if (!s) {
    if (sqlite3_value_type(argv[0]) != SQLITE_NULL) sqlite3_result_error_nomem(ctx);
    return;
  }
  size_t n;
  char *out = okta_utf8_lower(s, (size_t)sqlite3_value_bytes(argv[0]), &n);
  if (out) sqlite3_result_text64(ctx, out, n, free, SQLITE_UTF8);
  else sqlite3_result_error_nomem(ctx);
}

/* Registers the pure functions the graph's arms call (okta_lower,
** okta_aws_role_arn) on db: the extension's connections and the mirror's,
** where okta_sync runs the same arms. */
int okta_register_pure_functions(sqlite3 *db) {
  static const struct {
    const char *name;
    int nargs;
    void (*fn)(sqlite3_context *, int, sqlite3_value **);
  } fns[] = {{"okta_lower", 1, okta_sql_lower}, {"okta_aws_role_arn", 2, okta_fn_aws_role_arn}};
  for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
    int rc = sqlite3_create_function_v2(db, fns[i].name, fns[i].nargs,
                                        SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL, fns[i].fn, NULL,
                                        NULL, NULL);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}
