/*
** Request authorization: SSWS tokens and OAuth 2.0 service apps (auth.c).
*/
#ifndef OKTA_AUTH_H
#define OKTA_AUTH_H

#include "http.h"

typedef struct okta_auth okta_auth;

okta_auth *okta_auth_new(const okta_config *cfg, char **err);
void okta_auth_free(okta_auth *a);
char *okta_auth_headers(void *arg, okta_client *c, okta_request *r, okta_buf *headers);
int okta_auth_retry(void *arg, okta_request *r);

#endif
