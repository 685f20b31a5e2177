/*
** Time helpers: ISO 8601 as Okta writes it, wall and monotonic clocks.
*/
#include "okta.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* Reads exactly n digits into *out. */
static int digits(const char **s, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!isdigit((unsigned char)(*s)[i])) return -1;
    v = v * 10 + ((*s)[i] - '0');
  }
  *s += n;
  *out = v;
  return 0;
}

/* Parses YYYY-MM-DD[(T| )HH:MM[:SS[.f+]]][Z|(+|-)HH[:]MM] into epoch ms. */
int okta_parse_iso8601(const char *s, int64_t *ms) {
  int y, mo, d, h = 0, mi = 0, sec = 0, frac_ms = 0;
  if (digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) || *s++ != '-' ||
      digits(&s, 2, &d))
    return -1;
  static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1]) return -1;
  if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return -1;
  int64_t offset_min = 0;
  if (*s == 'T' || *s == 't' || *s == ' ') {
    s++;
    if (digits(&s, 2, &h) || *s++ != ':' || digits(&s, 2, &mi)) return -1;
    if (*s == ':') {
      s++;
      if (digits(&s, 2, &sec)) return -1;
      if (*s == '.') {
        s++;
        int scale = 100, any = 0;
        while (isdigit((unsigned char)*s)) {
          frac_ms += (*s - '0') * scale;
          scale /= 10;
          s++;
          any = 1;
        }
        if (!any) return -1;
      }
    }
    if (h > 23 || mi > 59 || sec > 59) return -1;
    if (*s == 'Z' || *s == 'z') {
      s++;
    } else if (*s == '+' || *s == '-') {
      int sign = *s++ == '-' ? -1 : 1, oh, om;
      if (digits(&s, 2, &oh)) return -1;
      if (*s == ':') s++;
      if (digits(&s, 2, &om)) return -1;
      if (oh > 23 || om > 59) return -1;
      offset_min = sign * (oh * 60 + om);
    }
  }
  if (*s) return -1;
  int64_t days = days_from_civil(y, mo, d);
  *ms = ((days * 86400 + h * 3600 + mi * 60 + sec) - offset_min * 60) * 1000 + frac_ms;
  return 0;
}

/* Civil date of a day count from 1970-01-01 (inverse of days_from_civil). */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

/* Formats epoch ms as YYYY-MM-DDTHH:MM:SS.mmmZ (years 0000 to 9999; the
** calendar arithmetic is our own, so it does not depend on time_t's range). */
void okta_format_iso8601(int64_t ms, char out[32]) {
  int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
  int64_t rem = ms - days * 86400000;
  int64_t y;
  int m, d;
  civil_from_days(days, &y, &m, &d);
  if (y < 0) y = 0;
  if (y > 9999) y = 9999;
  snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (int)y, m, d, (int)(rem / 3600000),
           (int)(rem / 60000 % 60), (int)(rem / 1000 % 60), (int)(rem % 1000));
}

/* The first and last instants Okta's timestamp format can write. */
#define CANON_MIN_MS (-62167219200000LL) /* 0000-01-01T00:00:00.000Z */
#define CANON_MAX_MS (253402300799999LL) /* 9999-12-31T23:59:59.999Z */

/* memcmp-then-length order: SQLite's BINARY collation. */
static int binary_cmp(const char *a, size_t na, const char *b, size_t nb) {
  int c = memcmp(a, b, na < nb ? na : nb);
  if (c) return c;
  return na < nb ? -1 : na > nb;
}

/* Whether the canonical form of t satisfies "canon(t) op b" textually. */
static int canon_satisfies(int64_t t, const char *b, size_t nb, int lower, int strict) {
  char s[32];
  okta_format_iso8601(t, s);
  int c = binary_cmp(s, strlen(s), b, nb);
  if (lower) return strict ? c > 0 : c >= 0;
  return strict ? c < 0 : c <= 0;
}

/* The timestamps Okta writes all have one format, whose text order is time
** order. So "col > b" under SQLite's text comparison holds exactly for the
** instants from the earliest t whose canonical text is > b: found by
** bisection, whatever b is ('2024-02-31', '2000', '2024-01-01 10:00',
** '9', ...). Likewise an upper bound gives the latest such t. */
int okta_text_time_bound(const char *b, size_t nb, int lower, int strict, int64_t *ms) {
  int64_t lo = CANON_MIN_MS, hi = CANON_MAX_MS;
  if (lower) {
    if (!canon_satisfies(hi, b, nb, 1, strict)) return 1;
    if (canon_satisfies(lo, b, nb, 1, strict)) { *ms = lo; return 0; }
    while (hi - lo > 1) { /* invariant: lo fails, hi satisfies */
      int64_t mid = lo + (hi - lo) / 2;
      if (canon_satisfies(mid, b, nb, 1, strict)) hi = mid;
      else lo = mid;
    }
    *ms = hi;
  } else {
    if (!canon_satisfies(lo, b, nb, 0, strict)) return 1;
    if (canon_satisfies(hi, b, nb, 0, strict)) { *ms = hi; return 0; }
    while (hi - lo > 1) { /* invariant: lo satisfies, hi fails */
      int64_t mid = lo + (hi - lo) / 2;
      if (canon_satisfies(mid, b, nb, 0, strict)) lo = mid;
      else hi = mid;
    }
    *ms = lo;
  }
  return 0;
}

/* 1 when s is exactly YYYY-MM-DDTHH:MM:SS.mmmZ and names a real instant
** (formatting it back gives the same text: no 2024-02-31, no 25:00). */
int okta_is_canonical_time(const char *s) {
  int64_t t;
  char back[32];
  if (strlen(s) != 24 || okta_parse_iso8601(s, &t)) return 0;
  okta_format_iso8601(t, back);
  return strcmp(back, s) == 0;
}

/* Wall-clock seconds since the epoch. */
double okta_now_wall(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Monotonic seconds, for timeouts and backoff schedules. */
double okta_now_mono(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}
