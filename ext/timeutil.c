/*
** Time helpers: ISO 8601 as Okta writes it, wall and monotonic clocks.
*/
#include "okta.h"

#include <ctype.h>
#include <stdio.h>
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
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return -1;
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
    if (h > 23 || mi > 59 || sec > 60) return -1;
    if (*s == 'Z' || *s == 'z') {
      s++;
    } else if (*s == '+' || *s == '-') {
      int sign = *s++ == '-' ? -1 : 1, oh, om;
      if (digits(&s, 2, &oh)) return -1;
      if (*s == ':') s++;
      if (digits(&s, 2, &om)) return -1;
      offset_min = sign * (oh * 60 + om);
    }
  }
  if (*s) return -1;
  int64_t days = days_from_civil(y, mo, d);
  *ms = ((days * 86400 + h * 3600 + mi * 60 + sec) - offset_min * 60) * 1000 + frac_ms;
  return 0;
}

/* Formats epoch ms as YYYY-MM-DDTHH:MM:SS.mmmZ. */
void okta_format_iso8601(int64_t ms, char out[32]) {
  int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
  int msec = (int)(ms - secs * 1000);
  time_t t = (time_t)secs;
  struct tm tm;
  gmtime_r(&t, &tm);
  snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (tm.tm_year + 1900) % 10000,
           (tm.tm_mon + 1) % 100, tm.tm_mday % 100, tm.tm_hour % 100, tm.tm_min % 100,
           tm.tm_sec % 100, msec % 1000);
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
