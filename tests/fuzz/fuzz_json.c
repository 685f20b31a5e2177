/*
** Fuzz target: a response body as the engine reads it. UTF-8 validation,
** JSON parsing with the same options, path extraction for columns and
** parent keys, AWS account derivation and secret redaction. Properties:
** after redaction no string under a secret-named key survives; an AWS
** account is all digits.
*/
#include "../../vtab/tables.h"

#include <stdlib.h>
#include <string.h>

static const char *const paths[] = {"id", "profile.login", "target.0.id", "_embedded.stats.usersCount",
                                    "settings.app.identityProviderArn", "", "a.0.b.1.c", "0", "credentials"};

static void check_redacted(const cJSON *v, int secret) {
  const cJSON *c;
  cJSON_ArrayForEach(c, v) {
    int kind = c->string ? okta_secret_key(c->string) : 0; /* 2: only its own string is secret */
    int s = secret || kind == 1;
    if (cJSON_IsString(c) && (s || kind == 2) && strcmp(c->valuestring, "(redacted)") != 0) abort();
    if (cJSON_IsObject(c) || cJSON_IsArray(c)) check_redacted(c, s);
  }
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  size_t bad;
  if (!okta_utf8_valid((const char *)data, size, &bad)) {
    if (bad >= size) abort();
    return 0;
  }
  const char *end = NULL;
  cJSON *j = cJSON_ParseWithLengthOpts((const char *)data, size, &end, 0);
  if (!j) return 0;
  /* A page is an array of items; anything else is looked at as one item. */
  cJSON *single = NULL, *page = j;
  if (!cJSON_IsArray(j)) {
    single = cJSON_CreateArray();
    if (!single) { cJSON_Delete(j); return 0; }
    cJSON_AddItemReferenceToArray(single, j);
    page = single;
  }
  const cJSON *item;
  cJSON_ArrayForEach(item, page) {
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) (void)okta_json_path(item, paths[i]);
    char *acct = okta_aws_account_of(item);
    if (acct) {
      for (char *d = acct; *d; d++) {
        if (*d < '0' || *d > '9') abort();
      }
      free(acct);
    }
    cJSON *r = okta_json_redacted(item);
    if (r) {
      check_redacted(r, 0);
      char *text = cJSON_PrintUnformatted(r);
      free(text);
      cJSON_Delete(r);
    }
  }
  cJSON_Delete(single);
  cJSON_Delete(j);
  return 0;
}
