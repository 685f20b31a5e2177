/*
** JSON Web Tokens for OAuth 2.0 service apps (OpenSSL 3).
**
** The client assertion (private_key_jwt) and DPoP proofs are compact JWS:
** base64url(header) "." base64url(claims) "." base64url(signature), signed
** RS256 (RSASSA-PKCS1-v1_5 with SHA-256) or ES256 (ECDSA P-256 with SHA-256,
** the signature as the 64-byte r || s that JWS requires, not DER).
*/
#include "jwt.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* Appends base64url (no padding) of n bytes. */
void okta_b64url(okta_buf *b, const unsigned char *p, size_t n) {
  static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  size_t i = 0;
  char out[4];
  for (; i + 3 <= n; i += 3) {
    unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
    out[0] = tab[v >> 18];
    out[1] = tab[(v >> 12) & 63];
    out[2] = tab[(v >> 6) & 63];
    out[3] = tab[v & 63];
    okta_buf_append(b, out, 4);
  }
  if (n - i == 1) {
    unsigned v = (unsigned)p[i] << 16;
    out[0] = tab[v >> 18];
    out[1] = tab[(v >> 12) & 63];
    okta_buf_append(b, out, 2);
  } else if (n - i == 2) {
    unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
    out[0] = tab[v >> 18];
    out[1] = tab[(v >> 12) & 63];
    out[2] = tab[(v >> 6) & 63];
    okta_buf_append(b, out, 3);
  }
}

/* Appends base64url of SHA-256(s). */
void okta_b64url_sha256(okta_buf *b, const char *s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL)) okta_b64url(b, md, n);
}

/* A random jti: 16 bytes, hex. OpenSSL's CSPRNG, else the kernel's;
** a guessable jti would let a captured assertion be replayed, so without
** either the JWT is not made. */
int okta_jwt_random_id(char out[33]) {
  unsigned char r[16];
  out[0] = 0;
  if (RAND_bytes(r, sizeof(r)) != 1) {
    ERR_clear_error();
    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) return -1;
  }
  for (size_t i = 0; i < sizeof(r); i++) snprintf(out + 2 * i, 3, "%02x", r[i]);
  return 0;
}

/* The first OpenSSL error as text. */
static void ssl_error(okta_buf *b) {
  unsigned long e = ERR_get_error();
  char msg[256];
  if (e) {
    ERR_error_string_n(e, msg, sizeof(msg));
    okta_buf_printf(b, " (%s)", msg);
  }
  ERR_clear_error();
}

/* What the passphrase callback knows, and whether it was asked. */
typedef struct pass_arg {
  const char *passphrase;
  int asked;
} pass_arg;

/* OpenSSL's passphrase callback: the configured passphrase, or nothing.
** Without a callback OpenSSL would prompt on the terminal, inside the
** user's process. */
static int pass_cb(char *buf, int size, int rwflag, void *u) {
  pass_arg *a = u;
  (void)rwflag;
  a->asked = 1;
  if (!a->passphrase) return -1;
  size_t n = strlen(a->passphrase);
  if (n > (size_t)size) return -1;
  memcpy(buf, a->passphrase, n);
  return (int)n;
}

/* 1 when a privateKey value plainly names a file, so an error may show it:
** an absolute or ./ ../ ~/ path, or a name ending in .pem or .key, on one
** line. Anything else may be key material (base64 DER, a JWK) and is
** never printed. */
static int shows_as_path(const char *v) {
  size_t n = strlen(v);
  if (n == 0 || n > 1024) return 0;
  for (const char *c = v; *c; c++) {
    if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e) return 0;
  }
  if (v[0] == '/' || strncmp(v, "./", 2) == 0 || strncmp(v, "../", 3) == 0 || strncmp(v, "~/", 2) == 0) return 1;
  return n > 4 && (strcasecmp(v + n - 4, ".pem") == 0 || strcasecmp(v + n - 4, ".key") == 0);
}

/* Reads a key file into a buffer that is wiped when freed (no stdio
** buffer is left holding the key). Returns 0, or errno. */
static int read_key_file(const char *path, okta_buf *out) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno ? errno : EIO;
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    close(fd);
    return EISDIR;
  }
  char chunk[4096];
  int rc = 0;
  for (;;) {
    ssize_t got = read(fd, chunk, sizeof(chunk));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) { rc = errno; break; }
    if (got == 0) break;
    okta_buf_append(out, chunk, (size_t)got);
    if (out->oom || out->n > (1u << 20)) { rc = out->oom ? ENOMEM : EFBIG; break; }
  }
  okta_wipe(chunk, sizeof(chunk));
  close(fd);
  return rc;
}

/* Loads a PEM private key given as text or as a file path. */
okta_key *okta_key_load(const char *pem_or_path, const char *passphrase, const char *source, char **err) {
  okta_buf e = {0}, text = {.secret = 1};
  *err = NULL;
  int is_text = strstr(pem_or_path, "-----BEGIN") != NULL;
  int shown = !is_text && shows_as_path(pem_or_path);
  const char *what = is_text ? "the value" : shown ? pem_or_path : "the file it names";
  if (!is_text) {
    int rc = read_key_file(pem_or_path, &text);
    if (rc) {
      if (shown)
        okta_buf_printf(&e, "%s: cannot read the private key file %s: %s", source, pem_or_path, strerror(rc));
      else
        okta_buf_printf(&e, "%s: is neither PEM key text nor a readable file (%s; the value is not shown "
                            "in case it is key material)", source, strerror(rc));
      okta_buf_free(&text);
      *err = okta_buf_take(&e);
      return NULL;
    }
  }
  BIO *bio = BIO_new_mem_buf(is_text ? pem_or_path : (text.p ? text.p : ""), -1);
  pass_arg pa = {passphrase, 0};
  EVP_PKEY *pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, pass_cb, &pa) : NULL;
  BIO_free(bio);
  okta_buf_free(&text);
  if (!pkey && pa.asked && !passphrase) {
    okta_buf_printf(&e, "%s: %s is an encrypted private key and no passphrase is set: decrypt it "
                        "(openssl pkey -in key.pem -out plain.pem) or set privateKeyPassphrase; "
                        "sqlite-okta never prompts for one", source, what);
    ERR_clear_error();
    *err = okta_buf_take(&e);
    return NULL;
  }
  if (!pkey && pa.asked) {
    okta_buf_printf(&e, "%s: %s is an encrypted private key and privateKeyPassphrase does not decrypt it", source, what);
    ERR_clear_error();
    *err = okta_buf_take(&e);
    return NULL;
  }
  if (!pkey) {
    okta_buf_printf(&e, "%s: %s is not a PEM private key", source, what);
    ssl_error(&e);
    *err = okta_buf_take(&e);
    return NULL;
  }
  okta_key *k = calloc(1, sizeof(*k));
  if (!k) {
    EVP_PKEY_free(pkey);
    *err = okta_strdup("out of memory");
    return NULL;
  }
  k->pkey = pkey;
  if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA) {
    k->alg = "RS256";
  } else if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC) {
    char group[64] = "";
    size_t glen = 0;
    EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &glen);
    if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) k->alg = "ES256";
  }
  if (!k->alg) {
    okta_buf_printf(&e, "%s: unsupported key type: Okta service apps take RSA (RS256) or EC P-256 (ES256) keys",
                    source);
    okta_key_free(k);
    *err = okta_buf_take(&e);
    return NULL;
  }
  return k;
}

/* A fresh P-256 key, for DPoP proofs. */
okta_key *okta_key_generate_p256(void) {
  EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  if (!pkey) return NULL;
  okta_key *k = calloc(1, sizeof(*k));
  if (!k) {
    EVP_PKEY_free(pkey);
    return NULL;
  }
  k->pkey = pkey;
  k->alg = "ES256";
  return k;
}

void okta_key_free(okta_key *k) {
  if (!k) return;
  EVP_PKEY_free(k->pkey);
  free(k);
}

/* Appends a big number as base64url. */
static int b64url_bn(okta_buf *b, EVP_PKEY *pkey, const char *name) {
  BIGNUM *bn = NULL;
  if (!EVP_PKEY_get_bn_param(pkey, name, &bn)) return -1;
  int n = BN_num_bytes(bn);
  unsigned char *raw = malloc((size_t)n + 1);
  if (!raw) {
    BN_free(bn);
    return -1;
  }
  BN_bn2bin(bn, raw);
  okta_b64url(b, raw, (size_t)n);
  free(raw);
  BN_free(bn);
  return 0;
}

/* Appends the public key as a JWK object (members in RFC 7638 order). */
int okta_key_public_jwk(okta_key *k, okta_buf *b) {
  if (strcmp(k->alg, "RS256") == 0) {
    okta_buf_puts(b, "{\"e\":\"");
    if (b64url_bn(b, k->pkey, OSSL_PKEY_PARAM_RSA_E)) return -1;
    okta_buf_puts(b, "\",\"kty\":\"RSA\",\"n\":\"");
    if (b64url_bn(b, k->pkey, OSSL_PKEY_PARAM_RSA_N)) return -1;
    okta_buf_puts(b, "\"}");
    return 0;
  }
  unsigned char pt[133];
  size_t len = 0;
  if (!EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof(pt), &len) ||
      len != 65 || pt[0] != 4)
    return -1;
  okta_buf_puts(b, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"");
  okta_b64url(b, pt + 1, 32);
  okta_buf_puts(b, "\",\"y\":\"");
  okta_b64url(b, pt + 33, 32);
  okta_buf_puts(b, "\"}");
  return 0;
}

/* Signs header.claims (both JSON text) into a compact JWS. */
char *okta_jwt_sign(okta_key *k, const char *header_json, const char *claims_json, char **err) {
  okta_buf b = {.secret = 1}, e = {0}; /* a signed client assertion is a credential */
  *err = NULL;
  okta_b64url(&b, (const unsigned char *)header_json, strlen(header_json));
  okta_buf_puts(&b, ".");
  okta_b64url(&b, (const unsigned char *)claims_json, strlen(claims_json));
  if (b.oom) {
    okta_buf_free(&b);
    *err = okta_strdup("out of memory");
    return NULL;
  }
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  unsigned char *sig = NULL;
  size_t siglen = 0;
  int ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k->pkey) == 1 &&
           EVP_DigestSign(md, NULL, &siglen, (const unsigned char *)b.p, b.n) == 1 && (sig = malloc(siglen)) &&
           EVP_DigestSign(md, sig, &siglen, (const unsigned char *)b.p, b.n) == 1;
  EVP_MD_CTX_free(md);
  if (!ok) {
    okta_buf_puts(&e, "signing the JWT failed");
    ssl_error(&e);
    free(sig);
    okta_buf_free(&b);
    *err = okta_buf_take(&e);
    return NULL;
  }
  okta_buf_puts(&b, ".");
  if (strcmp(k->alg, "ES256") == 0) {
    /* DER ECDSA-Sig-Value -> fixed-width r || s */
    const unsigned char *p = sig;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)siglen);
    unsigned char raw[64];
    if (!es || BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32) != 32 ||
        BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32) != 32) {
      ECDSA_SIG_free(es);
      free(sig);
      okta_buf_free(&b);
      *err = okta_strdup("signing the JWT failed: bad ECDSA signature");
      return NULL;
    }
    ECDSA_SIG_free(es);
    okta_b64url(&b, raw, 64);
  } else {
    okta_b64url(&b, sig, siglen);
  }
  free(sig);
  return okta_buf_take(&b);
}
