/*
** Fuzz target: filter expression building. Property: for any value, the
** term 'attr eq "<escaped>"' parses back (as Okta's grammar reads a quoted
** literal) to exactly the value, ending at the closing quote: no value can
** close the literal early and add to the expression.
*/
#include "../../ext/okta.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  char *v = okta_strndup((const char *)data, size);
  if (!v) return 0;
  okta_buf b = {0};
  okta_filter_term(&b, "profile.login", "eq", v);
  okta_filter_term(&b, "status", "eq", "ACTIVE");
  if (b.oom) { okta_buf_free(&b); free(v); return 0; }
  const char *prefix = "profile.login eq \"";
  if (strncmp(b.p, prefix, strlen(prefix)) != 0) abort();
  const char *p = b.p + strlen(prefix);
  okta_buf got = {0};
  while (*p && *p != '"') {
    if (*p == '\\') p++;
    if (!*p) abort();
    okta_buf_append(&got, p, 1);
    p++;
  }
  if (*p != '"') abort();
  if (strcmp(p + 1, " and status eq \"ACTIVE\"") != 0) abort();
  if (strcmp(got.p ? got.p : "", v) != 0) abort();
  okta_buf_free(&got);
  okta_buf_free(&b);
  free(v);
  return 0;
}
