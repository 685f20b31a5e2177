/*
** Authorization headers.
**
** SSWS: the API token, as "Authorization: SSWS <token>".
** The token is only ever written into the header list of a request whose
** URL the client has checked to be on the org's origin.
*/
#include "http.h"

#include <strings.h>

/* Appends the Authorization header lines for r to headers. */
char *okta_auth_headers(void *arg, okta_client *c, okta_request *r, okta_buf *headers) {
  const okta_config *cfg = okta_client_config(c);
  (void)arg;
  (void)r;
  okta_buf_printf(headers, "Authorization: SSWS %s\n", okta_config_str(cfg, CFG_TOKEN));
  return headers->oom ? okta_strdup("out of memory") : NULL;
}
