/*
** JWTs and keys for OAuth 2.0 service apps (jwt.c).
*/
#ifndef OKTA_JWT_H
#define OKTA_JWT_H

#include "okta.h"

#include <openssl/evp.h>

typedef struct okta_key {
  EVP_PKEY *pkey;
  const char *alg; /* "RS256" or "ES256" */
} okta_key;

/* Loads PEM text, or a PEM file when the value is a path. source names
** the setting in errors (e.g. OKTA_CLIENT_PRIVATEKEY); the value itself
** is only named when it plainly is a file path. An encrypted key needs
** passphrase (NULL: an error saying so; never a terminal prompt). */
okta_key *okta_key_load(const char *pem_or_path, const char *passphrase, const char *source, char **err);
okta_key *okta_key_generate_p256(void);
void okta_key_free(okta_key *k);
/* Appends the public key as a JWK JSON object. */
int okta_key_public_jwk(okta_key *k, okta_buf *b);
/* Compact JWS of header and claims JSON, signed with k. */
char *okta_jwt_sign(okta_key *k, const char *header_json, const char *claims_json, char **err);

void okta_b64url(okta_buf *b, const unsigned char *p, size_t n);
void okta_b64url_sha256(okta_buf *b, const char *s);
/* 16 random bytes from the OS CSPRNG, as hex; -1 when there is none. */
int okta_jwt_random_id(char out[33]);

#endif
