/*
** C unit tests of the runtime parts that need no server: Link parsing,
** origin checks, filter escaping, backoff and rate-limit waits, ISO 8601,
** UTF-8 validation and setting validation.
*/
#include "../../ext/config.h"
#include "../../ext/http.h"

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

int main(void) {
  test_link();
  test_origin();
  test_link_pin();
  test_lower();
  test_filter();
  test_backoff();
  test_time();
  test_utf8();
  test_settings();
  printf("unit: %d checks, %d passed, %d failed\n", checks, checks - failures, failures);
  return failures ? 1 : 0;
}
