/*
** C unit tests of the runtime parts that need no server: Link parsing,
** origin checks, filter escaping, backoff and rate-limit waits, ISO 8601,
** UTF-8 validation and setting validation; and the security review's
** parts: loopback addresses, user info in URLs, YAML aliases, private key
** values in errors, secret buffers; Okta's rate-limit buckets and the
** response cache.
*/
#include "../../ext/config.h"
#include "../../ext/http.h"
#include "../../ext/jwt.h"
#include "../../ext/cache.h"
#include "../../ext/ratelimit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures, checks;

#define CHECK(cond)                                                      \
  do {                                                                   \
    checks++;                                                            \
    if (!(cond)) {                                                       \
      failures++;                                                        \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
    }                                                                    \
  } while (0)

#define CHECK_STR(got, want)                                                            \
  do {                                                                                  \
    const char *g_ = (got), *w_ = (want);                                               \
    checks++;                                                                           \
    if ((g_ == NULL) != (w_ == NULL) || (g_ && strcmp(g_, w_) != 0)) {                  \
      failures++;                                                                       \
      fprintf(stderr, "%s:%d: got [%s], want [%s]\n", __FILE__, __LINE__, g_ ? g_ : "NULL", \
              w_ ? w_ : "NULL");                                                        \
    }                                                                                   \
  } while (0)

static void check_next(const char *header, const char *want) {
  char *got = okta_link_next(header);
  CHECK_STR(got, want);
  free(got);
}

static void test_link(void) {
  check_next("<https://o.okta.com/api/v1/users?limit=200>; rel=\"self\"", NULL);
  check_next("<https://o.okta.com/api/v1/users?after=00u1&limit=200>; rel=\"next\"",
             "https://o.okta.com/api/v1/users?after=00u1&limit=200");
  /* several links in one header, next last, first, unquoted, odd spacing */
  check_next("<https://o/a?limit=2>; rel=\"self\", <https://o/a?after=x&limit=2>; rel=\"next\"",
             "https://o/a?after=x&limit=2");
  check_next("<https://o/n>; rel=next,<https://o/s>; rel=self", "https://o/n");
  check_next("  <https://o/n>  ;  rel = \"next\"  ", "https://o/n");
  check_next("<https://o/n>; REL=\"NEXT\"", "https://o/n");
  check_next("<https://o/n>; rel=\"prev next\"", "https://o/n");
  check_next("<https://o/n>; rel=\"nextpage\"", NULL);
  check_next("<https://o/n>; title=\"a, rel=next\"; rel=\"self\"", NULL);
  check_next("<https://o/a,b>; rel=\"next\"", "https://o/a,b");
  check_next("<https://o/n", NULL);
  check_next("garbage, <https://o/n>; rel=\"next\"", "https://o/n");
  check_next("", NULL);
  check_next("<>; rel=\"next\"", NULL);
}

static void test_origin(void) {
  const char *org = "https://acme.okta.com";
  CHECK(okta_same_origin(org, "https://acme.okta.com/api/v1/users?after=1"));
  CHECK(okta_same_origin(org, "https://ACME.okta.com:443/api/v1/users"));
  CHECK(!okta_same_origin(org, "http://acme.okta.com/api/v1/users"));
  CHECK(!okta_same_origin(org, "https://acme.okta.com:8443/api/v1/users"));
  CHECK(!okta_same_origin(org, "https://acme.okta.com.evil.com/api/v1/users"));
  CHECK(!okta_same_origin(org, "https://acme.okta.com@evil.com/api/v1/users"));
  CHECK(!okta_same_origin(org, "https://evil.com/acme.okta.com"));
  CHECK(!okta_same_origin(org, "/api/v1/users"));
  CHECK(!okta_same_origin(org, "ftp://acme.okta.com/"));
  CHECK(okta_same_origin("http://127.0.0.1:8080", "http://127.0.0.1:8080/x"));
  CHECK(!okta_same_origin("http://127.0.0.1:8080", "http://127.0.0.1:8081/x"));

  const char *why;
  char *n = okta_normalize_org_url("https://acme.okta.com/", &why);
  CHECK_STR(n, "https://acme.okta.com");
  free(n);
  n = okta_normalize_org_url("https://Acme.Okta.com:443/oauth2/default?x=1", &why);
  CHECK_STR(n, "https://acme.okta.com");
  free(n);
  n = okta_normalize_org_url("https://acme.okta.com:8443", &why);
  CHECK_STR(n, "https://acme.okta.com:8443");
  free(n);
  n = okta_normalize_org_url("http://localhost:9000/", &why);
  CHECK_STR(n, "http://localhost:9000");
  free(n);
  n = okta_normalize_org_url("http://[::1]:9000", &why);
  CHECK_STR(n, "http://[::1]:9000");
  free(n);
  n = okta_normalize_org_url("http://127.1.2.3", &why);
  CHECK_STR(n, "http://127.1.2.3");
  free(n);
  CHECK(okta_normalize_org_url("http://acme.okta.com", &why) == NULL && strstr(why, "https"));
  CHECK(okta_normalize_org_url("http://127.0.0.1.evil.com", &why) == NULL);
  CHECK(okta_normalize_org_url("acme.okta.com", &why) == NULL);
  CHECK(okta_normalize_org_url("https://u:p@acme.okta.com", &why) == NULL);
  CHECK(okta_normalize_org_url("", &why) == NULL);
}

static void check_pin(const char *org, const char *url, const char *want) {
  char *got = okta_link_pin(org, url);
  CHECK_STR(got, want);
  free(got);
}

/* Next links on the org's admin host (as /api/v1/iam responses send them)
** go back onto the org's origin; nothing else is rewritten. */
static void test_link_pin(void) {
  const char *org = "https://acme.okta.com";
  check_pin(org, "https://acme.okta.com/api/v1/users?after=1", "https://acme.okta.com/api/v1/users?after=1");
  check_pin(org, "https://acme-admin.okta.com/api/v1/iam/assignees/users?after=00u1&limit=100",
            "https://acme.okta.com/api/v1/iam/assignees/users?after=00u1&limit=100");
  check_pin(org, "https://ACME-ADMIN.okta.com:443/api/v1/iam/roles?after=x", "https://acme.okta.com/api/v1/iam/roles?after=x");
  check_pin(org, "https://acme-admin.okta.com?after=x", "https://acme.okta.com/?after=x");
  check_pin("https://acme.oktapreview.com", "https://acme-admin.oktapreview.com/api/v1/iam/x?a=%22b%22",
            "https://acme.oktapreview.com/api/v1/iam/x?a=%22b%22");
  check_pin("https://acme.okta-emea.com", "https://acme-admin.okta-emea.com/api/v1/iam/x",
            "https://acme.okta-emea.com/api/v1/iam/x");
  check_pin("https://login.acme.com", "https://login-admin.acme.com/api/v1/iam/x", "https://login.acme.com/api/v1/iam/x");
  check_pin("http://localhost:8080", "http://localhost-admin:8080/api/v1/iam/x?after=1",
            "http://localhost:8080/api/v1/iam/x?after=1");
  /* another org's admin host, other schemes, ports, hosts and user info */
  check_pin(org, "https://evil-admin.okta.com/api/v1/iam/x", NULL);
  check_pin(org, "https://acme-admin.okta.com.evil.com/api/v1/iam/x", NULL);
  check_pin(org, "https://acme-admin.evil.com/api/v1/iam/x", NULL);
  check_pin(org, "https://acme-adminx.okta.com/api/v1/iam/x", NULL);
  check_pin(org, "https://xacme-admin.okta.com/api/v1/iam/x", NULL);
  check_pin(org, "https://admin.acme.okta.com/api/v1/iam/x", NULL);
  check_pin(org, "http://acme-admin.okta.com/api/v1/iam/x", NULL);
  check_pin(org, "https://acme-admin.okta.com:8443/api/v1/iam/x", NULL);
  check_pin(org, "https://u:p@acme-admin.okta.com/api/v1/iam/x", NULL);
  check_pin(org, "https://acme-admin.okta.com@evil.com/api/v1/iam/x", NULL);
  check_pin(org, "/api/v1/iam/x", NULL);
  check_pin("http://127.0.0.1:8080", "http://127-admin.0.0.1:8080/x", NULL);
  check_pin("http://localhost:8080", "http://localhost-admin:8081/x", NULL);
}

static void check_lower(const char *in, const char *want) {
  size_t n = 0;
  char *got = okta_utf8_lower(in, strlen(in), &n);
  CHECK_STR(got, want);
  CHECK(got && n == strlen(want));
  free(got);
}

/* Unicode lowercasing as JavaScript's toLowerCase() (person keys). */
static void test_lower(void) {
  check_lower("ZO\xC3\x8B@Example.COM", "zo\xC3\xAB@example.com");               /* ZOË -> zoë */
  check_lower("\xC3\x85SA", "\xC3\xA5sa");                                           /* ÅSA -> åsa */
  check_lower("\xE2\x84\xAB", "\xC3\xA5");                                          /* U+212B ANGSTROM SIGN -> å */
  /* ΣΊΣΥΦΟΣ -> σίσυφος: the last sigma ends the word */
  check_lower("\xCE\xA3\xCE\x8A\xCE\xA3\xCE\xA5\xCE\xA6\xCE\x9F\xCE\xA3",
              "\xCF\x83\xCE\xAF\xCF\x83\xCF\x85\xCF\x86\xCE\xBF\xCF\x82");
  check_lower("\xCE\xA3", "\xCF\x83");                     /* a lone sigma is not final */
  check_lower("\xCE\x91\xCE\xA3.", "\xCE\xB1\xCF\x82."); /* ΑΣ. -> ας. */
  check_lower("\xCE\x91\xCE\xA3'\xCE\x92", "\xCE\xB1\xCF\x83'\xCE\xB2"); /* ' is skipped: not final */
  check_lower("\xC4\xB0", "i\xCC\x87");                    /* İ -> i + U+0307 */
  check_lower("\xC8\xBA", "\xE2\xB1\xA5");                 /* Ⱥ (2 bytes) -> ⱥ (3 bytes) */
  check_lower("\xF0\x90\x90\x80", "\xF0\x90\x90\xA8");     /* U+10400 DESERET -> U+10428 */
  check_lower("ABC\xFF\xC3", "abc\xFF\xC3");               /* invalid bytes kept as they are */
  check_lower("\xED\xA0\x80" "A", "\xED\xA0\x80" "a");   /* a surrogate is not UTF-8 */
  check_lower("", "");
}

static void test_filter(void) {
  okta_buf b = {0};
  okta_filter_quote(&b, "plain");
  CHECK_STR(b.p, "\"plain\"");
  okta_buf_reset(&b);
  okta_filter_quote(&b, "a\"b\\c");
  CHECK_STR(b.p, "\"a\\\"b\\\\c\"");
  okta_buf_reset(&b);
  okta_filter_quote(&b, "x\" or status eq \"ACTIVE");
  CHECK_STR(b.p, "\"x\\\" or status eq \\\"ACTIVE\"");
  okta_buf_reset(&b);
  okta_filter_quote(&b, "\\\"");
  CHECK_STR(b.p, "\"\\\\\\\"\"");
  okta_buf_reset(&b);
  okta_filter_quote(&b, "");
  CHECK_STR(b.p, "\"\"");
  okta_buf_reset(&b);
  okta_filter_term(&b, "status", "eq", "ACTIVE");
  okta_filter_term(&b, "lastUpdated", "ge", "2024-01-01T00:00:00.000Z");
  CHECK_STR(b.p, "status eq \"ACTIVE\" and lastUpdated ge \"2024-01-01T00:00:00.000Z\"");
  okta_buf_reset(&b);
  okta_buf_urlencode(&b, "a b&c#d%e/f\"é~-_.");
  CHECK_STR(b.p, "a%20b%26c%23d%25e%2Ff%22%C3%A9~-_.");
  okta_buf_free(&b);
}

static void test_backoff(void) {
  /* equal jitter: between half and all of min(cap, base*2^(n-1)) */
  CHECK(fabs(okta_backoff_delay(1, 0.5, 60, 0.0) - 0.25) < 1e-9);
  CHECK(fabs(okta_backoff_delay(1, 0.5, 60, 0.999999) - 0.5) < 1e-5);
  CHECK(fabs(okta_backoff_delay(3, 0.5, 60, 0.0) - 1.0) < 1e-9);
  CHECK(fabs(okta_backoff_delay(20, 0.5, 60, 0.0) - 30.0) < 1e-9);
  CHECK(okta_backoff_delay(20, 0.5, 60, 0.999999) <= 60.0);
  CHECK(fabs(okta_backoff_delay(0, 1, 60, 0) - 0.5) < 1e-9);
  for (int n = 1; n < 30; n++) {
    CHECK(okta_backoff_delay(n, 0.5, 10, 0.5) <= 10);
    CHECK(okta_backoff_delay(n + 1, 0.5, 1e9, 0) >= okta_backoff_delay(n, 0.5, 1e9, 0));
  }
  /* 429: Reset - Date + 1, by the server's clock, capped */
  CHECK(okta_ratelimit_wait(1000, 990, 60) == 11);
  CHECK(okta_ratelimit_wait(1000, 1000, 60) == 1);
  CHECK(okta_ratelimit_wait(1000, 1010, 60) == 1); /* reset already past */
  CHECK(okta_ratelimit_wait(5000, 1000, 60) == 60);
  CHECK(okta_ratelimit_wait(-1, 1000, 60) == -1);
  CHECK(okta_ratelimit_wait(1000, -1, 60) == -1);
}

static void test_buckets(void) {
  /* the most specific bucket that matches (Okta's rl-global-mgmt table) */
  CHECK_STR(okta_bucket_name_of("GET", "/api/v1/users/{key}"), "GET /api/v1/users/{id}");
  CHECK_STR(okta_bucket_name_of("GET", "/api/v1/users/{arg}"), "GET /api/v1/users/{id}");
  CHECK_STR(okta_bucket_name_of("GET", "/api/v1/users"), "/api/v1/users*");
  CHECK_STR(okta_bucket_name_of("GET", "/api/v1/users/{key}/factors"), "/api/v1/users*");
  CHECK_STR(okta_bucket_name_of("GET", "/api/v1/users/{key}/roles"), "/api/v1/users*");
  CHECK_STR(okta_bucket_name_of("POST", "/api/v1/users/{key}"), "/api/v1/users*");
  CHECK_STR(okta_bucket_name_of("GET", "/api/v1/groups/{key}/users"), "/api/v1/groups*");
  CHECK_STR(okta_bucket_name_of("GET", "/api/v1/apps/{key}/groups"), "/api/v1/apps*");
  CHECK_STR(okta_bucket_name_of("GET", "/api/v1/logs"), "/api/v1/logs");
  CHECK_STR(okta_bucket_name_of("GET", "/api/v1/usersX"), "/api/v1/*");
  CHECK_STR(okta_bucket_name_of("GET", "/api/v1/policies/{key}/rules"), "/api/v1/*");
  CHECK(okta_bucket_name_of("POST", "/oauth2/v1/token") == NULL);

  okta_ratelimit *rl = okta_ratelimit_new(0.2);
  okta_bucket *b = okta_ratelimit_bucket(rl, "GET", "/api/v1/users/{key}/factors");
  CHECK(b && b == okta_ratelimit_bucket(rl, "GET", "/api/v1/users"));
  CHECK(b != okta_ratelimit_bucket(rl, "GET", "/api/v1/users/{key}"));
  double now = 100;
  CHECK(okta_bucket_ready_at(rl, b, now) == now); /* nothing known: go */
  okta_bucket_note(b, 100, 30, 1060, 1000, now);  /* 30 left, 20 reserved, reset in 60 s */
  for (int i = 0; i < 9; i++) okta_bucket_started(b);
  CHECK(okta_bucket_ready_at(rl, b, now) == now); /* 30 - 9 > 20 */
  okta_bucket_started(b);
  CHECK(okta_bucket_ready_at(rl, b, now) == 0);   /* 30 - 10: wait for an answer */
  for (int i = 0; i < 10; i++) okta_bucket_finished(b);
  okta_bucket_note(b, 100, 20, 1060, 1001, now);
  CHECK(fabs(okta_bucket_ready_at(rl, b, now) - (now + 60)) < 1e-9); /* the reset */
  okta_bucket_note(b, 100, 90, 1000, 999, now);   /* a late answer of the previous window */
  CHECK(b->remaining == 20 && b->reset_at == 1060);
  okta_bucket_note(b, 100, 99, 1120, 1061, now + 61); /* the next window */
  CHECK(b->remaining == 99 && okta_bucket_ready_at(rl, b, now + 61) == now + 61);
  CHECK(okta_bucket_pause(b, now + 70) == 1 && okta_bucket_pause(b, now + 65) == 0);
  CHECK(okta_bucket_ready_at(rl, b, now + 62) == now + 70);
  CHECK(fabs(okta_ratelimit_longest_wait(rl, now + 62) - 8) < 1e-9);
  okta_ratelimit_free(rl);
}

static void test_cache(void) {
  okta_cache *k = okta_cache_new(3600, 4096);
  okta_cache_entry a = {"[1]", 3, 200, "http://x/next", "req1", "application/json"};
  okta_cache_put(k, "http://x/a", &a);
  const okta_cache_entry *e = okta_cache_get(k, "http://x/a");
  CHECK(e && e->len == 3 && memcmp(e->body, "[1]", 3) == 0 && e->status == 200);
  CHECK(e && strcmp(e->next_url, "http://x/next") == 0 && okta_cache_has(k, "http://x/a"));
  CHECK(okta_cache_get(k, "http://x/b") == NULL && okta_cache_entries(k) == 1);
  okta_cache_entry big = {NULL, 2000, 200, NULL, NULL, NULL}; /* over a quarter of the budget */
  okta_cache_put(k, "http://x/big", &big);
  CHECK(!okta_cache_has(k, "http://x/big"));
  char url[32];
  for (int i = 0; i < 40; i++) { /* least recently used out first */
    snprintf(url, sizeof(url), "http://x/%d", i);
    okta_cache_put(k, url, &a);
    okta_cache_get(k, "http://x/a");
  }
  CHECK(okta_cache_has(k, "http://x/a") && !okta_cache_has(k, "http://x/0") && okta_cache_bytes(k) <= 4096);
  okta_cache_clear(k);
  CHECK(okta_cache_entries(k) == 0 && okta_cache_bytes(k) == 0);
  okta_cache_free(k);
}

static void test_time(void) {
  int64_t ms;
  char out[32];
  CHECK(okta_parse_iso8601("2024-01-02T03:04:05.678Z", &ms) == 0 && ms == 1704164645678LL);
  CHECK(okta_parse_iso8601("2024-01-02", &ms) == 0 && ms == 1704153600000LL);
  CHECK(okta_parse_iso8601("2024-01-02T03:04:05+01:00", &ms) == 0 && ms == 1704161045000LL);
  CHECK(okta_parse_iso8601("2024-01-02 03:04", &ms) == 0 && ms == 1704164640000LL);
  CHECK(okta_parse_iso8601("1969-12-31T23:59:59.000Z", &ms) == 0 && ms == -1000);
  CHECK(okta_parse_iso8601("2024-13-01", &ms) != 0);
  CHECK(okta_parse_iso8601("2024-01-01T25:00", &ms) != 0);
  CHECK(okta_parse_iso8601("yesterday", &ms) != 0);
  CHECK(okta_parse_iso8601("2024-01-01Tx", &ms) != 0);
  CHECK(okta_parse_iso8601("2024-01-01T00:00:00.Z", &ms) != 0);
  okta_format_iso8601(1704164645678LL, out);
  CHECK_STR(out, "2024-01-02T03:04:05.678Z");
  okta_format_iso8601(0, out);
  CHECK_STR(out, "1970-01-01T00:00:00.000Z");
  okta_format_iso8601(-1, out);
  CHECK_STR(out, "1969-12-31T23:59:59.999Z");
  okta_format_iso8601(-62167219200000LL, out);
  CHECK_STR(out, "0000-01-01T00:00:00.000Z");
  okta_format_iso8601(253402300799999LL, out);
  CHECK_STR(out, "9999-12-31T23:59:59.999Z");
  /* impossible dates are not dates */
  CHECK(okta_parse_iso8601("2022-02-30", &ms) != 0);
  CHECK(okta_parse_iso8601("2023-02-29", &ms) != 0);
  CHECK(okta_parse_iso8601("2024-02-29", &ms) == 0);
  CHECK(okta_parse_iso8601("2024-04-31", &ms) != 0);
  CHECK(okta_parse_iso8601("2024-01-01T00:00:00+25:00", &ms) != 0);
  CHECK(okta_is_canonical_time("2024-03-01T00:00:00.000Z"));
  CHECK(!okta_is_canonical_time("2024-02-31T00:00:00.000Z"));
  CHECK(!okta_is_canonical_time("2024-03-01T00:00:00Z"));
  /* text bounds: the instant where Okta's text starts to satisfy the SQL */
  char b[32];
#define BOUND(text, lower, strict, want)                                                      \
  do {                                                                                        \
    CHECK(okta_text_time_bound(text, strlen(text), lower, strict, &ms) == 0);                \
    okta_format_iso8601(ms, b);                                                               \
    CHECK_STR(b, want);                                                                       \
  } while (0)
  BOUND("2024-02-31", 1, 1, "2024-03-01T00:00:00.000Z"); /* a missed row of 03-01 before */
  BOUND("2022-02-30", 1, 1, "2022-03-01T00:00:00.000Z");
  BOUND("2000", 1, 1, "2000-01-01T00:00:00.000Z");
  BOUND("2000-01", 1, 0, "2000-01-01T00:00:00.000Z");
  BOUND("2024-01-01 10:00", 1, 1, "2024-01-01T00:00:00.000Z"); /* 'T' sorts after ' ' */
  BOUND("2024-01-01T10:00:00.000Z", 1, 1, "2024-01-01T10:00:00.001Z");
  BOUND("2024-01-01T10:00:00.000Z", 1, 0, "2024-01-01T10:00:00.000Z");
  BOUND("2024-01-01T10:00:00+05:00", 1, 1, "2024-01-01T10:00:00.000Z"); /* text, not time */
  BOUND("2024-01-01", 0, 0, "2023-12-31T23:59:59.999Z");
  BOUND("2024-01-01T10:00:00.000Z", 0, 1, "2024-01-01T09:59:59.999Z");
  BOUND("2024-01-01T10:00:00.000Z", 0, 0, "2024-01-01T10:00:00.000Z");
  BOUND("2024-02-31", 0, 1, "2024-02-29T23:59:59.999Z");
  BOUND("", 1, 1, "0000-01-01T00:00:00.000Z");
  CHECK(okta_text_time_bound("A", 1, 1, 1, &ms) == 1);      /* no timestamp sorts after 'A' */
  CHECK(okta_text_time_bound("", 0, 0, 1, &ms) == 1);       /* nothing sorts before '' */
  CHECK(okta_text_time_bound("0", 1, 0, 1, &ms) == 1);      /* "0000-..." sorts after "0" */
#undef BOUND
}

static void test_utf8(void) {
  size_t bad = 0;
  CHECK(okta_utf8_valid("plain", 5, &bad));
  CHECK(okta_utf8_valid("Zo\xc3\xab \xe6\x97\xa5 \xf0\x9f\x98\x80", 13, &bad));
  CHECK(!okta_utf8_valid("ab\xff", 3, &bad) && bad == 2);
  CHECK(!okta_utf8_valid("\xc0\xaf", 2, &bad) && bad == 0);          /* overlong */
  CHECK(!okta_utf8_valid("\xed\xa0\x80", 3, &bad));                 /* surrogate */
  CHECK(!okta_utf8_valid("\xf4\x90\x80\x80", 4, &bad));             /* > U+10FFFF */
  CHECK(!okta_utf8_valid("x\xe6\x97", 3, &bad) && bad == 1);        /* truncated */
}

static void test_settings(void) {
  int k = okta_setting_find("rateLimit.maxRetries");
  CHECK(k == CFG_MAX_RETRIES);
  CHECK(okta_setting_find("OKTA_CLIENT_RATE_LIMIT_MAX_RETRIES") == CFG_MAX_RETRIES);
  CHECK(okta_setting_find("orgurl") == CFG_ORG_URL);
  CHECK(okta_setting_find("nope") == -1);
  char *e = okta_setting_check(CFG_MAX_RETRIES, "3", "x");
  CHECK(e == NULL);
  e = okta_setting_check(CFG_MAX_RETRIES, "3.5", "src");
  CHECK_STR(e, "src: rateLimit.maxRetries must be a whole number, got '3.5'");
  free(e);
  e = okta_setting_check(CFG_CONCURRENCY, "0", "src");
  CHECK_STR(e, "src: concurrency must be between 1 and 75, got '0'");
  free(e);
  e = okta_setting_check(CFG_CACHE_ENABLED, "maybe", "src");
  CHECK_STR(e, "src: cache.enabled must be true or false, got 'maybe'");
  free(e);
  e = okta_setting_check(CFG_AUTH_MODE, "privatekey", "src");
  CHECK(e == NULL);
  e = okta_setting_check(CFG_AUTH_MODE, "Basic", "src");
  CHECK_STR(e, "src: authorizationMode must be one of SSWS|PrivateKey, got 'Basic'");
  free(e);
  e = okta_setting_check(CFG_BACKOFF_BASE, "nan", "src");
  CHECK(e != NULL);
  free(e);
}

/* Plain http only to a literal loopback address in canonical form. */
static void test_loopback(void) {
  static const char *const yes[] = {"localhost", "[::1]", "127.0.0.1", "127.255.255.255", "127.0.0.0", "127.10.0.9"};
  static const char *const no[] = {"127.0.0.256", "127.999.1.1", "0x7f.1", "2130706433", "127.1", "127.0.0.01",
                                   "127.0.0.1.", "127.0.0.1.evil.com", "127..0.1", "127.0.0.", "localhost.",
                                   "LOCALHOST.evil", "[::ffff:127.0.0.1]", "[0:0:0:0:0:0:0:1]", "127.0.0.1000",
                                   "127.0.0.-1", "127.+1.0.1", "1270.0.0.1", "127.0.0.1 "};
  for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) CHECK(okta_is_loopback_host(yes[i]));
  for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
    checks++;
    if (okta_is_loopback_host(no[i])) {
      failures++;
      fprintf(stderr, "%s:%d: %s taken for loopback\n", __FILE__, __LINE__, no[i]);
    }
  }
  const char *why;
  static const char *const refused[] = {"http://127.0.0.256:8080", "http://127.999.1.1", "http://0x7f.1/",
                                        "http://2130706433", "http://127.1:80", "http://[::ffff:127.0.0.1]"};
  for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
    char *n = okta_normalize_org_url(refused[i], &why);
    CHECK(n == NULL && why && strstr(why, "https://"));
    free(n);
  }
  char *n = okta_normalize_org_url("http://127.0.0.1:9/x", &why);
  CHECK_STR(n, "http://127.0.0.1:9");
  free(n);
  /* https to any host is fine */
  n = okta_normalize_org_url("https://127.999.1.1", &why);
  CHECK_STR(n, "https://127.999.1.1");
  free(n);
}

/* User info is hidden when a URL is shown, and refused in the org URL. */
static void test_userinfo(void) {
  char *s = okta_url_display("https://admin:hunter2@acme.okta.com/x?y=@z");
  CHECK_STR(s, "https://***@acme.okta.com/x?y=@z");
  free(s);
  s = okta_url_display("https://a@b:c@acme.okta.com");
  CHECK_STR(s, "https://***@acme.okta.com");
  free(s);
  s = okta_url_display("https://acme.okta.com/path@x");
  CHECK_STR(s, "https://acme.okta.com/path@x");
  free(s);
  s = okta_url_display("admin:pw@host");
  CHECK_STR(s, "***@host");
  free(s);
  const char *why = NULL;
  CHECK(okta_normalize_org_url("https://admin:hunter2@acme.okta.com", &why) == NULL);
  CHECK(why && strstr(why, "user names and passwords are not allowed") && !strstr(why, "hunter2"));
}

/* Loads YAML text as ./.okta.yaml; returns the error (malloc'd) or NULL. */
static char *load_yaml_text(okta_config *cfg, const char *text) {
  FILE *f = fmemopen((void *)text, strlen(text), "rb");
  if (!f) return okta_strdup("fmemopen failed");
  char *err = okta_yaml_load_stream(cfg, f, ".okta.yaml", SRC_YAML_CWD);
  fclose(f);
  return err;
}

/* Alias cycles and expansion bombs are errors naming the file. */
static void test_yaml_aliases(void) {
  static const struct { const char *text, *want; } cases[] = {
    {"okta:\n  client: &a\n    x: *a\n", ".okta.yaml: unknown key okta.client.x"},
    {"okta:\n  client: &a\n    rateLimit: *a\n", ".okta.yaml: okta.client.rateLimit refers to itself through an alias"},
    {"okta:\n  client: &a\n    cache: &b\n      ttl: 5\n      x: *a\n", ".okta.yaml: unknown key okta.client.cache.x"},
    {"okta: &o\n  client: *o\n", ".okta.yaml: unknown key okta.client.client"},
    {"x0: &m0 {a: 1, b: 2}\nx1: &m1 {a: *m0, b: *m0}\nokta:\n  client:\n    cache: *m1\n",
     ".okta.yaml: unknown key okta.client.cache.a"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    okta_config cfg = {0};
    char *err = load_yaml_text(&cfg, cases[i].text);
    checks++;
    if (!err || strncmp(err, cases[i].want, strlen(cases[i].want)) != 0) {
      failures++;
      fprintf(stderr, "%s:%d: yaml case %zu: got [%s], want [%s...]\n", __FILE__, __LINE__, i, err ? err : "NULL",
              cases[i].want);
    }
    free(err);
    okta_config_clear(&cfg);
  }
  /* Aliases that are plain YAML still work. */
  okta_config cfg = {0};
  char *err = load_yaml_text(&cfg, "defaults: &d {maxRetries: 3}\nscopes: &s [a, b]\nokta:\n  client:\n"
                                   "    rateLimit: *d\n    scopes: *s\n    token: &t abc\n");
  CHECK_STR(err, NULL);
  CHECK_STR(cfg.value[CFG_MAX_RETRIES], "3");
  CHECK_STR(cfg.value[CFG_SCOPES], "a,b");
  CHECK_STR(cfg.value[CFG_TOKEN], "abc");
  free(err);
  okta_config_clear(&cfg);
}

/* A privateKey value is only shown when it plainly is a file path. */
static void test_key_value_not_echoed(void) {
  static const char *const material[] = {"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7",
                                         "{\"kty\":\"RSA\",\"d\":\"c2VjcmV0\"}", "line one\nline two",
                                         "s3cr3t passphrase-like value"};
  for (size_t i = 0; i < sizeof(material) / sizeof(material[0]); i++) {
    char *err = NULL;
    okta_key *k = okta_key_load(material[i], NULL, "OKTA_CLIENT_PRIVATEKEY", &err);
    CHECK(k == NULL && err && strncmp(err, "OKTA_CLIENT_PRIVATEKEY: ", 24) == 0);
    CHECK(err && !strstr(err, material[i]) && !strstr(err, "MIIE") && !strstr(err, "kty") && !strstr(err, "s3cr3t"));
    free(err);
  }
  char *err = NULL;
  CHECK(okta_key_load("/nonexistent/key.pem", NULL, "src", &err) == NULL);
  CHECK_STR(err, "src: cannot read the private key file /nonexistent/key.pem: No such file or directory");
  free(err);
  err = NULL;
  CHECK(okta_key_load("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", NULL, "src", &err) == NULL);
  CHECK(err && strncmp(err, "src: the value is not a PEM private key", 39) == 0);
  free(err);
  char jti[33];
  CHECK(okta_jwt_random_id(jti) == 0 && strlen(jti) == 32);
}

/* A secret buffer keeps its content across growth. */
static void test_secret_buf(void) {
  okta_buf b = {.secret = 1};
  for (int i = 0; i < 100; i++) okta_buf_printf(&b, "%02d", i);
  CHECK(b.n == 200 && strncmp(b.p, "000102", 6) == 0 && strcmp(b.p + 194, "979899") == 0);
  char *t = okta_buf_take(&b);
  CHECK(t && strlen(t) == 200);
  okta_wipe_free(t);
  okta_buf_free(&b);
}

int main(void) {
  test_loopback();
  test_userinfo();
  test_yaml_aliases();
  test_key_value_not_echoed();
  test_secret_buf();
  test_link();
  test_origin();
  test_link_pin();
  test_lower();
  test_filter();
  test_backoff();
  test_buckets();
  test_cache();
  test_time();
  test_utf8();
  test_settings();
  printf("unit: %d checks, %d passed, %d failed\n", checks, checks - failures, failures);
  return failures ? 1 : 0;
}
