/*
** Fuzz target: Link header parsing, origin checks, org URL normalisation.
** Properties: a next link is a non-empty substring of the header; a URL is
** always the same origin as itself; a normalised org URL is https:// or a
** loopback http:// origin with no path.
*/
#include "../../ext/okta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size) {
  char *s = okta_strndup((const char *)data, size);
  if (!s) return 0;
  char *next = okta_link_next(s);
  if (next) {
    if (!*next || !strstr(s, next)) abort();
    (void)okta_same_origin("https://acme.okta.com", next);
    free(next);
  }
  const char *why = NULL;
  char *org = okta_normalize_org_url(s, &why);
  if (org) {
    if (strncmp(org, "https://", 8) != 0 && strncmp(org, "http://", 7) != 0) abort();
    if (strchr(org + 8, '/') || strchr(org, '?') || strchr(org, '@')) abort();
    if (!okta_same_origin(org, org)) abort();
    free(org);
  } else if (!why) {
    abort();
  }
  free(s);
  return 0;
}
