/*
** Authorization of requests.
**
** SSWS (API token): "Authorization: SSWS <token>".
**
** PrivateKey (OAuth 2.0 service app, client credentials with
** private_key_jwt): a client assertion JWT (iss = sub = client id, aud = the
** token URL, iat, exp five minutes later, a random jti, kid when set),
** signed RS256 or ES256, is exchanged at POST {org}/oauth2/v1/token for an
** access token sent as "Authorization: Bearer <token>". The token is kept
** until shortly before it expires, and renewed then or on a 401.
**
** DPoP: when the app requires DPoP-bound tokens (the token endpoint answers
** invalid_dpop_proof, or issues token_type DPoP) every request carries a
** proof JWT signed with a key of our own (typ dpop+jwt, the public jwk, htm,
** htu, iat, jti, the server's nonce, and on API calls ath = the token's
** hash), and the token is sent as "Authorization: DPoP <token>". A
** use_dpop_nonce answer, from the token endpoint or an API, teaches us the
** nonce and the request is sent again.
**
** Secrets (token, private key, access token, assertion) only ever go into
** request headers or the token request's body, never into messages, and
** every copy this file makes is wiped when it is freed.
*/
#include "auth.h"
#include "jwt.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_SCOPES                                                                       \
  "okta.users.read okta.groups.read okta.apps.read okta.roles.read okta.logs.read "          \
  "okta.orgs.read okta.userTypes.read okta.devices.read okta.policies.read "                 \
  "okta.networkZones.read okta.trustedOrigins.read okta.authorizationServers.read "          \
  "okta.idps.read okta.authenticators.read okta.factors.read"

struct okta_auth {
  const okta_config *cfg;
  int oauth;
  okta_key *key;        /* client assertion key */
  okta_key *dpop_key;   /* our DPoP key, made when needed */
  int dpop;
  char *token;
  int token_dpop;
  double renew_at;      /* monotonic time to renew the token */
  char *token_nonce;    /* DPoP nonce of the token endpoint */
  char *api_nonce;      /* DPoP nonce of the resource server */
  char *scopes;
  char *token_url;
  char *failure;        /* the last token failure ... */
  double failed_at;     /* ... and when: requests started together share it */
};

/* Frees the auth state. */
void okta_auth_free(okta_auth *a) {
  if (!a) return;
  okta_key_free(a->key);
  okta_key_free(a->dpop_key);
  okta_wipe_free(a->token);
  free(a->token_nonce);
  free(a->api_nonce);
  free(a->scopes);
  free(a->token_url);
  free(a->failure);
  free(a);
}

/* Prepares the auth of a connection; loading the private key may fail
** with an error naming the setting. */
okta_auth *okta_auth_new(const okta_config *cfg, char **err) {
  *err = NULL;
  okta_auth *a = calloc(1, sizeof(*a));
  if (!a) return NULL;
  a->cfg = cfg;
  a->oauth = strcasecmp(okta_config_str(cfg, CFG_AUTH_MODE), "PrivateKey") == 0;
  if (!a->oauth) return a;
  const char *src = cfg->source[CFG_PRIVATE_KEY] == SRC_ENV ? "OKTA_CLIENT_PRIVATEKEY"
                    : cfg->source[CFG_PRIVATE_KEY] == SRC_SQL ? "okta_config('privateKey')"
                                                              : cfg->where[CFG_PRIVATE_KEY] ? cfg->where[CFG_PRIVATE_KEY]
                                                                                            : "privateKey";
  a->key = okta_key_load(okta_config_str(cfg, CFG_PRIVATE_KEY), okta_config_str(cfg, CFG_PRIVATE_KEY_PASSPHRASE),
                         src, err);
  if (!a->key) {
    okta_auth_free(a);
    return NULL;
  }
  /* OKTA_CLIENT_SCOPES is comma separated; the token request wants spaces. */
  const char *sc = okta_config_str(cfg, CFG_SCOPES);
  a->scopes = okta_strdup(sc && *sc ? sc : DEFAULT_SCOPES);
  for (char *p = a->scopes; p && *p; p++) {
    if (*p == ',') *p = ' ';
  }
  okta_buf u = {0};
  okta_buf_printf(&u, "%s/oauth2/v1/token", cfg->org_url);
  a->token_url = okta_buf_take(&u);
  if (!a->scopes || !a->token_url) {
    okta_auth_free(a);
    return NULL;
  }
  return a;
}

/* A DPoP proof for a request: htm, htu (no query), nonce, and ath. */
static char *dpop_proof(okta_auth *a, const char *method, const char *url, const char *nonce, const char *token,
                        char **err) {
  if (!a->dpop_key && !(a->dpop_key = okta_key_generate_p256())) {
    *err = okta_strdup("could not make a DPoP key");
    return NULL;
  }
  okta_buf h = {0}, c = {0};
  okta_buf_printf(&h, "{\"typ\":\"dpop+jwt\",\"alg\":\"%s\",\"jwk\":", a->dpop_key->alg);
  if (okta_key_public_jwk(a->dpop_key, &h)) {
    okta_buf_free(&h);
    *err = okta_strdup("could not export the DPoP key");
    return NULL;
  }
  okta_buf_puts(&h, "}");
  size_t htu_len = strcspn(url, "?#");
  char jti[33];
  if (okta_jwt_random_id(jti)) {
    okta_buf_free(&h);
    *err = okta_strdup("no secure random number source (OpenSSL RAND_bytes and getrandom failed): "
                       "cannot make a DPoP proof");
    return NULL;
  }
  cJSON *claims = cJSON_CreateObject();
  char *htu = okta_strndup(url, htu_len);
  cJSON_AddStringToObject(claims, "htm", method);
  cJSON_AddStringToObject(claims, "htu", htu ? htu : "");
  cJSON_AddNumberToObject(claims, "iat", (double)(int64_t)okta_now_wall());
  cJSON_AddStringToObject(claims, "jti", jti);
  if (nonce) cJSON_AddStringToObject(claims, "nonce", nonce);
  if (token) {
    okta_buf ath = {0};
    okta_b64url_sha256(&ath, token);
    cJSON_AddStringToObject(claims, "ath", ath.p ? ath.p : "");
    okta_buf_free(&ath);
  }
  free(htu);
  char *cj = cJSON_PrintUnformatted(claims);
  cJSON_Delete(claims);
  char *jwt = cj && h.p ? okta_jwt_sign(a->dpop_key, h.p, cj, err) : NULL;
  if (!jwt && !*err) *err = okta_strdup("out of memory");
  free(cj);
  okta_buf_free(&h);
  okta_buf_free(&c);
  return jwt;
}

/* The client assertion: a JWT signed with the app's private key. */
static char *client_assertion(okta_auth *a, char **err) {
  const char *cid = okta_config_str(a->cfg, CFG_CLIENT_ID);
  const char *kid = okta_config_str(a->cfg, CFG_PRIVATE_KEY_ID);
  cJSON *h = cJSON_CreateObject(), *c = cJSON_CreateObject();
  cJSON_AddStringToObject(h, "alg", a->key->alg);
  cJSON_AddStringToObject(h, "typ", "JWT");
  if (kid && *kid) cJSON_AddStringToObject(h, "kid", kid);
  int64_t now = (int64_t)okta_now_wall();
  char jti[33];
  if (okta_jwt_random_id(jti)) {
    cJSON_Delete(h);
    cJSON_Delete(c);
    *err = okta_strdup("no secure random number source (OpenSSL RAND_bytes and getrandom failed): "
                       "cannot make a client assertion");
    return NULL;
  }
  cJSON_AddStringToObject(c, "iss", cid);
  cJSON_AddStringToObject(c, "sub", cid);
  cJSON_AddStringToObject(c, "aud", a->token_url);
  cJSON_AddNumberToObject(c, "iat", (double)now);
  cJSON_AddNumberToObject(c, "exp", (double)(now + 300));
  cJSON_AddStringToObject(c, "jti", jti);
  char *hj = cJSON_PrintUnformatted(h), *cj = cJSON_PrintUnformatted(c);
  cJSON_Delete(h);
  cJSON_Delete(c);
  char *jwt = hj && cj ? okta_jwt_sign(a->key, hj, cj, err) : NULL;
  if (!jwt && !*err) *err = okta_strdup("out of memory");
  free(hj);
  free(cj);
  return jwt;
}

/* The OAuth error code of a token endpoint answer ("use_dpop_nonce"...). */
static char *oauth_error_code(okta_request *r) {
  cJSON *j = r->body.n ? cJSON_ParseWithLength(r->body.p, r->body.n) : NULL;
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
  char *code = cJSON_IsString(e) ? okta_strdup(e->valuestring) : NULL;
  cJSON_Delete(j);
  return code;
}

/* Gets an access token from the org authorization server. */
static char *fetch_token(okta_auth *a, okta_client *c) {
  char *err = NULL;
  for (int round = 0; round < 4; round++) {
    char *assertion = client_assertion(a, &err);
    if (!assertion) return err;
    okta_buf body = {.secret = 1}, hdr = {0};
    okta_buf_puts(&body, "grant_type=client_credentials&scope=");
    okta_buf_urlencode(&body, a->scopes);
    okta_buf_puts(&body, "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
                         "&client_assertion=");
    okta_buf_puts(&body, assertion);
    okta_wipe_free(assertion);
    if (a->dpop) {
      char *proof = dpop_proof(a, "POST", a->token_url, a->token_nonce, NULL, &err);
      if (!proof) {
        okta_buf_free(&body);
        return err;
      }
      okta_buf_printf(&hdr, "DPoP: %s\n", proof);
      free(proof);
    }
    okta_request *r = okta_request_new(c, a->token_url, "/oauth2/v1/token");
    if (!r) {
      okta_buf_free(&body);
      okta_buf_free(&hdr);
      return okta_strdup("out of memory");
    }
    r->flags = REQ_POST_FORM | REQ_NO_AUTH | REQ_NO_CACHE;
    r->post_body = okta_buf_take(&body);
    r->extra_headers = okta_buf_take(&hdr);
    okta_client_perform(c, r);
    char *code = r->status >= 400 ? oauth_error_code(r) : NULL;
    if (code && strcmp(code, "use_dpop_nonce") == 0 && r->dpop_nonce) {
      free(a->token_nonce);
      a->token_nonce = okta_strdup(r->dpop_nonce);
      free(code);
      okta_request_free(c, r);
      continue;
    }
    if (code && strcmp(code, "invalid_dpop_proof") == 0 && !a->dpop) {
      a->dpop = 1; /* the app wants DPoP-bound tokens */
      free(code);
      okta_request_free(c, r);
      continue;
    }
    free(code);
    if (r->error || r->status != 200) {
      err = okta_request_error(r);
      okta_request_free(c, r);
      return err;
    }
    cJSON *j = okta_request_json(r, &err);
    okta_request_free(c, r);
    if (!j) return err;
    const cJSON *tok = cJSON_GetObjectItemCaseSensitive(j, "access_token");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(j, "token_type");
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(j, "expires_in");
    if (!cJSON_IsString(tok) || !*tok->valuestring) {
      cJSON_Delete(j);
      return okta_strdup("POST /oauth2/v1/token: the answer has no access_token");
    }
    okta_wipe_free(a->token);
    a->token = okta_strdup(tok->valuestring);
    okta_wipe(tok->valuestring, strlen(tok->valuestring));
    a->token_dpop = cJSON_IsString(type) && strcasecmp(type->valuestring, "DPoP") == 0;
    if (a->token_dpop) a->dpop = 1;
    double life = cJSON_IsNumber(exp) && exp->valuedouble > 0 ? exp->valuedouble : 3600;
    /* Renew a little early: a quarter of its life, at most a minute. */
    double margin = life / 4 < 60 ? life / 4 : 60;
    a->renew_at = okta_now_mono() + life - margin;
    cJSON_Delete(j);
    return a->token ? NULL : okta_strdup("out of memory");
  }
  return okta_strdup("POST /oauth2/v1/token: the DPoP nonce exchange did not settle");
}

/* Appends the Authorization (and DPoP) header lines for r. */
char *okta_auth_headers(void *arg, okta_client *c, okta_request *r, okta_buf *headers) {
  okta_auth *a = arg;
  if (!a->oauth) {
    okta_buf_printf(headers, "Authorization: SSWS %s\n", okta_config_str(a->cfg, CFG_TOKEN));
    return headers->oom ? okta_strdup("out of memory") : NULL;
  }
  if (!a->token || okta_now_mono() >= a->renew_at) {
    /* Requests started together would each ask again: one failure answers
    ** them all for a few seconds. */
    if (a->failure && okta_now_mono() - a->failed_at < 5) return okta_strdup(a->failure);
    char *err = fetch_token(a, c);
    if (err) {
      free(a->failure);
      a->failure = okta_strdup(err);
      a->failed_at = okta_now_mono();
      return err;
    }
    free(a->failure);
    a->failure = NULL;
  }
  if (a->token_dpop) {
    char *err = NULL;
    char *proof = dpop_proof(a, (r->flags & REQ_POST_FORM) ? "POST" : "GET", r->url, a->api_nonce, a->token, &err);
    if (!proof) return err;
    okta_buf_printf(headers, "Authorization: DPoP %s\nDPoP: %s\n", a->token, proof);
    free(proof);
  } else {
    okta_buf_printf(headers, "Authorization: Bearer %s\n", a->token);
  }
  return headers->oom ? okta_strdup("out of memory") : NULL;
}

/* On a 401: a DPoP nonce to learn, or a token to renew. */
int okta_auth_retry(void *arg, okta_request *r) {
  okta_auth *a = arg;
  if (!a->oauth) return 0;
  if (r->dpop_nonce && r->www_authenticate && strstr(r->www_authenticate, "use_dpop_nonce")) {
    free(a->api_nonce);
    a->api_nonce = okta_strdup(r->dpop_nonce);
    return 1;
  }
  okta_wipe_free(a->token);
  a->token = NULL; /* expired or revoked: the next attempt asks for a new one */
  return 1;
}
