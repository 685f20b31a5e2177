/*
** Link headers and origin pinning.
**
** Okta pages with RFC 8288 Link headers: usually one header line per link,
** sometimes several links joined by commas in one line. We only follow
** rel="next", exactly as given, and only when it stays on the configured
** origin: the token must never travel anywhere else. URLs are taken apart
** with libcurl's own parser so that what we check is what curl connects to.
**
** One exception: Okta's IAM endpoints (/api/v1/iam/...) answer with links on
** the org's admin host (https://acme-admin.okta.com for https://acme.okta.com,
** as recorded from real orgs). Such a link is followed by putting its path
** and query back on the configured origin, so the token still goes nowhere
** else (okta_link_pin).
*/
#include "okta.h"

#include <curl/curl.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* 1 when the space-separated relation list [s, s+n) holds "next". */
static int rel_has_next(const char *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    while (i < n && isspace((unsigned char)s[i])) i++;
    size_t start = i;
    while (i < n && !isspace((unsigned char)s[i])) i++;
    if (i - start == 4 && strncasecmp(s + start, "next", 4) == 0) return 1;
  }
  return 0;
}

/* Finds the rel="next" target in one Link header value. */
char *okta_link_next(const char *v) {
  const char *p = v;
  while (*p) {
    while (*p == ' ' || *p == '\t' || *p == ',') p++;
    if (*p != '<') {
      /* Not a link-value: skip to the next comma outside quotes. */
      int q = 0;
      while (*p && (q || *p != ',')) {
        if (*p == '"') q = !q;
        p++;
      }
      continue;
    }
    const char *url = ++p;
    while (*p && *p != '>') p++;
    if (!*p) return NULL;
    size_t url_len = (size_t)(p - url);
    p++;
    int is_next = 0;
    /* Parameters: ; name=value or ; name="value" */
    for (;;) {
      while (*p == ' ' || *p == '\t') p++;
      if (*p != ';') break;
      p++;
      while (*p == ' ' || *p == '\t') p++;
      const char *name = p;
      while (*p && *p != '=' && *p != ';' && *p != ',' && *p != ' ') p++;
      size_t name_len = (size_t)(p - name);
      while (*p == ' ') p++;
      const char *val = p;
      size_t val_len = 0;
      if (*p == '=') {
        p++;
        while (*p == ' ') p++;
        if (*p == '"') {
          val = ++p;
          while (*p && *p != '"') {
            if (*p == '\\' && p[1]) p++;
            p++;
          }
          val_len = (size_t)(p - val);
          if (*p == '"') p++;
        } else {
          val = p;
          while (*p && *p != ';' && *p != ',' && *p != ' ') p++;
          val_len = (size_t)(p - val);
        }
      }
      if (name_len == 3 && strncasecmp(name, "rel", 3) == 0 && rel_has_next(val, val_len))
        is_next = 1;
    }
    if (is_next && url_len > 0) return okta_strndup(url, url_len);
    while (*p && *p != ',') p++;
  }
  return NULL;
}

/* Scheme, lower-cased host and numeric port of an absolute URL; 0 on success.
** Fails on URLs with user info, which could disguise the real host. */
static int url_origin(const char *url, char **scheme, char **host, long *port) {
  CURLU *u = curl_url();
  char *p = NULL, *user = NULL, *pw = NULL;
  int rc = -1;
  *scheme = *host = NULL;
  if (!u) return -1;
  if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) goto out;
  if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) goto out;
  if (curl_url_get(u, CURLUPART_PASSWORD, &pw, 0) == CURLUE_OK) goto out;
  if (curl_url_get(u, CURLUPART_SCHEME, scheme, 0) != CURLUE_OK) goto out;
  if (curl_url_get(u, CURLUPART_HOST, host, 0) != CURLUE_OK) goto out;
  if (curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) != CURLUE_OK) goto out;
  for (char *c = *host; *c; c++) *c = (char)tolower((unsigned char)*c);
  for (char *c = *scheme; *c; c++) *c = (char)tolower((unsigned char)*c);
  *port = strtol(p, NULL, 10);
  rc = 0;
out:
  curl_free(p);
  curl_free(user);
  curl_free(pw);
  if (rc) {
    curl_free(*scheme);
    curl_free(*host);
    *scheme = *host = NULL;
  }
  curl_url_cleanup(u);
  return rc;
}

/* 1 when url has the same scheme, host and port as origin_url. */
int okta_same_origin(const char *origin_url, const char *url) {
  char *s1, *h1, *s2, *h2;
  long p1, p2;
  if (url_origin(origin_url, &s1, &h1, &p1)) return 0;
  if (url_origin(url, &s2, &h2, &p2)) {
    curl_free(s1);
    curl_free(h1);
    return 0;
  }
  int same = strcmp(s1, s2) == 0 && strcmp(h1, h2) == 0 && p1 == p2;
  curl_free(s1);
  curl_free(h1);
  curl_free(s2);
  curl_free(h2);
  return same;
}

/* 1 for a dotted IPv4 address or a bracketed IPv6 one (no admin host). */
static int is_ip_literal(const char *host) {
  if (host[0] == '[') return 1;
  for (const char *c = host; *c; c++) {
    if (*c != '.' && !isdigit((unsigned char)*c)) return 0;
  }
  return 1;
}

/* 1 when host is the admin host of org_host: the org host's first DNS
** label with "-admin" appended, the other labels unchanged
** (acme.okta.com -> acme-admin.okta.com, acme.oktapreview.com ->
** acme-admin.oktapreview.com, localhost -> localhost-admin). Both are
** lower case. IP addresses have no admin host. */
static int is_admin_host(const char *org_host, const char *host) {
  if (is_ip_literal(org_host)) return 0;
  size_t label = strcspn(org_host, ".");
  if (label == 0) return 0;
  return strncmp(host, org_host, label) == 0 && strncmp(host + label, "-admin", 6) == 0 &&
         strcmp(host + label + 6, org_host + label) == 0;
}

/* Where the path of an absolute URL starts: after "scheme://authority". */
static const char *url_path_start(const char *url) {
  const char *p = strstr(url, "://");
  if (!p) return NULL;
  p += 3;
  return p + strcspn(p, "/?#");
}

/* The URL to request for a next link: a copy of url when it is on the
** org's origin, the same path and query on the org's origin when it is on
** the org's admin host (same scheme and port), NULL otherwise. */
char *okta_link_pin(const char *org_url, const char *url) {
  if (okta_same_origin(org_url, url)) return okta_strdup(url);
  char *s1, *h1, *s2, *h2;
  long p1, p2;
  if (url_origin(org_url, &s1, &h1, &p1)) return NULL;
  if (url_origin(url, &s2, &h2, &p2)) {
    curl_free(s1);
    curl_free(h1);
    return NULL;
  }
  int admin = strcmp(s1, s2) == 0 && p1 == p2 && is_admin_host(h1, h2);
  curl_free(s1);
  curl_free(h1);
  curl_free(s2);
  curl_free(h2);
  const char *rest = admin ? url_path_start(url) : NULL;
  if (!rest) return NULL;
  /* org_url is an origin ("scheme://host[:port]"): drop a trailing slash. */
  size_t n = strlen(org_url);
  while (n > 0 && org_url[n - 1] == '/') n--;
  okta_buf b = {0};
  okta_buf_append(&b, org_url, n);
  if (*rest != '/') okta_buf_puts(&b, "/");
  okta_buf_puts(&b, rest);
  return okta_buf_take(&b);
}

/* 1 for "localhost", [::1], and 127.0.0.0/8 written as four decimal
** octets 0-255 without leading zeros. Anything else (127.0.0.256,
** 127.999.1.1, 0x7f.1, 2130706433, 127.1) would be a host name to curl,
** resolved by whatever resolver the machine has: plain http to it could
** carry the token off the machine. */
int okta_is_loopback_host(const char *host) {
  if (strcmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0) return 1;
  if (strncmp(host, "127.", 4) != 0) return 0;
  const char *c = host;
  for (int octet = 0; octet < 4; octet++) {
    if (octet && *c++ != '.') return 0;
    if (!isdigit((unsigned char)*c)) return 0;
    if (*c == '0' && isdigit((unsigned char)c[1])) return 0; /* leading zero: octal to some parsers */
    int v = 0, n = 0;
    for (; isdigit((unsigned char)*c); c++, n++) {
      v = v * 10 + (*c - '0');
      if (n >= 3 || v > 255) return 0;
    }
  }
  return *c == 0;
}

/* The host of url as written (curl would turn 0x7f.1 or 2130706433 into
** 127.0.0.1: the check is on what the user wrote), checked for loopback. */
static int raw_host_is_loopback(const char *url) {
  const char *h = strstr(url, "://");
  if (!h) return 0;
  h += 3;
  size_t n = strcspn(h, "/?#");
  if (memchr(h, '@', n)) return 0;
  size_t hl = n;
  if (h[0] == '[') {
    const char *close = memchr(h, ']', n);
    if (!close) return 0;
    hl = (size_t)(close - h) + 1;
  } else {
    const char *colon = memchr(h, ':', n);
    if (colon) hl = (size_t)(colon - h);
  }
  if (hl == 0 || hl >= 64) return 0;
  char host[64];
  for (size_t i = 0; i < hl; i++) host[i] = (char)tolower((unsigned char)h[i]);
  host[hl] = 0;
  return okta_is_loopback_host(host);
}

/* Copies url with its user info (if any) replaced by "***@". */
char *okta_url_display(const char *url) {
  if (!url) return NULL;
  const char *auth = strstr(url, "://");
  auth = auth ? auth + 3 : url;
  size_t alen = strcspn(auth, "/?#");
  const char *at = NULL;
  for (const char *c = auth; c < auth + alen; c++) {
    if (*c == '@') at = c; /* the last one: "a@b@host" hides "a@b" */
  }
  okta_buf b = {0};
  if (!at) {
    okta_buf_puts(&b, url);
  } else {
    okta_buf_append(&b, url, (size_t)(auth - url));
    okta_buf_puts(&b, "***");
    okta_buf_puts(&b, at);
  }
  return okta_buf_take(&b);
}

/* Reduces an org URL to its origin; NULL with a reason when unusable. */
char *okta_normalize_org_url(const char *url, const char **why) {
  char *scheme = NULL, *host = NULL;
  long port = 0;
  char *out = NULL;
  *why = NULL;
  if (!url || !*url) { *why = "is empty"; return NULL; }
  if (strncasecmp(url, "https://", 8) != 0 && strncasecmp(url, "http://", 7) != 0) {
    *why = "must start with https:// (for example https://acme.okta.com)";
    return NULL;
  }
  char *shown = okta_url_display(url);
  int userinfo = shown && strcmp(shown, url) != 0;
  free(shown);
  if (userinfo) {
    *why = "contains user info: user names and passwords are not allowed in the org URL";
    return NULL;
  }
  if (url_origin(url, &scheme, &host, &port)) {
    *why = "is not a valid URL (user names and passwords are not allowed in it either)";
    return NULL;
  }
  if (strcmp(scheme, "http") == 0 && !raw_host_is_loopback(url)) {
    *why = "must use https:// (http:// is only allowed to a literal loopback address: 127.x.y.z, [::1] "
           "or localhost)";
  } else {
    okta_buf b = {0};
    okta_buf_printf(&b, "%s://%s", scheme, host);
    long def = strcmp(scheme, "https") == 0 ? 443 : 80;
    if (port != def) okta_buf_printf(&b, ":%ld", port);
    out = okta_buf_take(&b);
  }
  curl_free(scheme);
  curl_free(host);
  return out;
}
