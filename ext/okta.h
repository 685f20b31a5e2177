/*
** sqlite-okta internal interfaces.
**
** The runtime in ext/ is split in small parts that depend on each other
** only through this header:
**
**   buf.c     growable byte buffers and URL encoding
**   link.c    Link header parsing and origin pinning (no SQLite, no I/O)
**   filter.c  Okta filter/search expression building with escaping
**   unicode.c Unicode lowercasing (okta_lower)
**   timeutil.c ISO 8601 parsing and formatting
**   config.c  settings from the environment, okta.yaml and okta_config()
**   http.c    the libcurl-multi client: retries, rate limits, cache, stats
**   ctx.c     the per-connection context (ctx.h) and its SQL functions
**
** The entry point that registers every table and function is src/okta.c,
** above both ext/ and vtab/: vtab/ includes ext/ headers, never the reverse.
**
** Nothing here knows about a particular Okta table: the tables live in
** vtab/ and talk to the runtime through okta_client and okta_request.
*/
#ifndef OKTA_H
#define OKTA_H

#include <stddef.h>
#include <stdint.h>

#define OKTA_VERSION "0.1.0"

/* ---------------------------------------------------------------- buf.c */

/* A growable, always NUL-terminated byte buffer. A failed allocation sets
** oom and turns every later append into a no-op, so callers check once. */
typedef struct okta_buf {
  char *p;
  size_t n;
  size_t cap;
  int oom;
  int secret;   /* holds a secret: growing and freeing wipe the old bytes */
} okta_buf;

void okta_buf_append(okta_buf *b, const char *s, size_t n);
void okta_buf_puts(okta_buf *b, const char *s);
void okta_buf_printf(okta_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void okta_buf_urlencode(okta_buf *b, const char *s); /* RFC 3986 unreserved kept */
char *okta_buf_take(okta_buf *b);                    /* caller frees with free() */
void okta_buf_reset(okta_buf *b);
void okta_buf_free(okta_buf *b);

char *okta_strdup(const char *s);
char *okta_strndup(const char *s, size_t n);
/* Overwrites n bytes so a secret does not outlive its use (never optimised
** away), and frees a string that held a secret after wiping it. */
void okta_wipe(void *p, size_t n);
void okta_wipe_free(char *s);
int okta_utf8_valid(const char *s, size_t n, size_t *bad_offset);
/* 1 when v is one of the '|'-separated words of list (nocase: ASCII case-insensitively). */
int okta_list_has(const char *list, const char *v, int nocase);

/* --------------------------------------------------------------- link.c */

/* Returns the URL of the rel="next" link found in one Link header value
** (which may hold several comma-separated links), or NULL. */
char *okta_link_next(const char *header_value);

/* 1 when url has exactly the origin (scheme, host, port) of origin_url and
** carries no user info; 0 otherwise. */
int okta_same_origin(const char *origin_url, const char *url);

/* The URL to request for a next-page link: a copy of url when it is on
** org_url's origin; the same path and query on that origin when url is on
** the org's admin host (acme-admin.okta.com for acme.okta.com, same scheme
** and port: Okta's /api/v1/iam responses link there); NULL (never follow
** it) for any other origin. Caller frees. */
char *okta_link_pin(const char *org_url, const char *url);

/* Normalises an org URL to "scheme://host[:port]". Returns NULL and an
** explanation in *why (static text) when the URL is not acceptable:
** https is required except for a literal loopback address (127.0.0.0/8
** in canonical dotted form, [::1]) or localhost; no user info. */
char *okta_normalize_org_url(const char *url, const char **why);
/* 1 when host (as curl reports it, IPv6 in brackets) is a loopback
** address written canonically, or "localhost". */
int okta_is_loopback_host(const char *host);
/* A copy of url fit to print: any user info ("user:password@") in its
** authority is replaced by "***@". */
char *okta_url_display(const char *url);

/* ------------------------------------------------------------ unicode.c */

/* Lowercases n bytes of UTF-8 with Unicode's default full lowercase mapping
** (as JavaScript's toLowerCase(): final sigma, U+0130 -> i + U+0307);
** invalid bytes are kept. Returns a malloc'd NUL-terminated string of
** *out_n bytes, or NULL when out of memory. */
char *okta_utf8_lower(const char *s, size_t n, size_t *out_n);

/* ------------------------------------------------------------- filter.c */

/* Appends "value" as a double-quoted Okta expression literal. */
void okta_filter_quote(okta_buf *b, const char *value);
/* Appends 'attr op "value"', joining to what is there with " and ". */
void okta_filter_term(okta_buf *b, const char *attr, const char *op,
                      const char *value);

/* ----------------------------------------------------------- timeutil.c */

/* Parses an ISO 8601 date or date-time (YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|+hh:mm])
** into milliseconds since the epoch. Returns 0 on success. */
int okta_parse_iso8601(const char *s, int64_t *ms);
/* Writes YYYY-MM-DDTHH:MM:SS.mmmZ (25 bytes with NUL) into out. */
void okta_format_iso8601(int64_t ms, char out[32]);
/* 1 when s is exactly Okta's timestamp format and a real instant. */
int okta_is_canonical_time(const char *s);
/* Converts a bound b (nb bytes, any text) of a text comparison on a column
** of Okta timestamps into the equivalent time bound: lower (col > b, or >=
** when !strict) gives the earliest matching instant, upper (col < b, <=)
** the latest. Returns 0, or 1 when no timestamp can match. */
int okta_text_time_bound(const char *b, size_t nb, int lower, int strict, int64_t *ms);
double okta_now_wall(void);      /* seconds since the epoch */
double okta_now_mono(void);      /* monotonic seconds */

/* -------------------------------------------------------------- http.c */

/* Backoff for the n-th retry (n >= 1) of a 5xx or transport error: capped
** exponential with jitter; rnd in [0,1). Exposed for unit tests. */
double okta_backoff_delay(int n, double base, double cap, double rnd);
/* Wait before retrying a 429: Reset - Date + 1, capped; negative inputs
** (headers missing) give -1 so the caller falls back to backoff. */
double okta_ratelimit_wait(int64_t reset, int64_t date, double cap);

#endif /* OKTA_H */
