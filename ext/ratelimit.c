/*
** Rate-limit buckets: see ratelimit.h for the contract.
**
** The bucket table follows Okta's published management rate limits
** (https://developer.okta.com/docs/reference/rl-global-mgmt/): "API
** endpoints that end with an asterisk (for example, /api/v1/apps*) refer to
** calls that use that base schema and don't match a specific endpoint", so
** a path belongs to the most specific bucket that matches it. Recorded
** traffic (JupiterOne's graph-okta, issue 13) shows /users,
** /users/{id}/factors and /users/{id}/roles drawing down one counter, and
** /apps, /apps/{id}/users and /apps/{id}/groups another. Management paths
** the table below does not name share one catch-all bucket: when Okta
** counts them apart, the lower remaining count of a window wins (see
** okta_bucket_note), so sharing only ever errs on the side of sending less.
** Paths outside /api/v1 (the token endpoint) are buckets of their own.
*/
#include "ratelimit.h"

#include "okta.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct okta_ratelimit {
  double reserve;
  okta_bucket *buckets;
};

/* One row of the bucket table: method (NULL = any), the path prefix, and
** whether exactly one more path segment must follow it (GET /users/{id}). */
typedef struct bucket_rule {
  const char *method;
  const char *prefix;
  int one_segment;
  const char *name;
} bucket_rule;

/* Most specific first. */
static const bucket_rule RULES[] = {
    {"GET", "/api/v1/users/", 1, "GET /api/v1/users/{id}"},
    {NULL, "/api/v1/users", 0, "/api/v1/users*"},
    {NULL, "/api/v1/groups", 0, "/api/v1/groups*"},
    {NULL, "/api/v1/apps", 0, "/api/v1/apps*"},
    {NULL, "/api/v1/logs", 0, "/api/v1/logs"},
    {NULL, "/api/v1/", 0, "/api/v1/*"},
};

/* True when path continues prefix as a path (not /api/v1/usersX). */
static int path_under(const char *path, const char *prefix) {
  size_t n = strlen(prefix);
  if (strncmp(path, prefix, n) != 0) return 0;
  char next = path[n];
  return prefix[n - 1] == '/' || next == 0 || next == '/' || next == '?';
}

/* Bucket name of a request (see ratelimit.h). */
const char *okta_bucket_name_of(const char *method, const char *path) {
  if (!path) return NULL;
  for (size_t i = 0; i < sizeof(RULES) / sizeof(RULES[0]); i++) {
    const bucket_rule *r = &RULES[i];
    if (r->method && (!method || strcmp(method, r->method) != 0)) continue;
    if (!path_under(path, r->prefix)) continue;
    if (r->one_segment) {
      const char *rest = path + strlen(r->prefix);
      if (!*rest || strcspn(rest, "/?") != strlen(rest)) continue;
    }
    return r->name;
  }
  return NULL;
}

okta_ratelimit *okta_ratelimit_new(double reserve) {
  okta_ratelimit *rl = calloc(1, sizeof(*rl));
  if (rl) rl->reserve = reserve;
  return rl;
}

void okta_ratelimit_free(okta_ratelimit *rl) {
  if (!rl) return;
  for (okta_bucket *b = rl->buckets, *n; b; b = n) {
    n = b->next;
    free(b->name);
    free(b);
  }
  free(rl);
}

/* The bucket of a request, created on first use. */
okta_bucket *okta_ratelimit_bucket(okta_ratelimit *rl, const char *method, const char *path) {
  if (!rl) return NULL;
  const char *name = okta_bucket_name_of(method, path);
  if (!name) name = path ? path : "?";
  okta_bucket **pp = &rl->buckets;
  for (; *pp; pp = &(*pp)->next) {
    if (strcmp((*pp)->name, name) == 0) return *pp;
  }
  okta_bucket *b = calloc(1, sizeof(*b));
  if (!b) return NULL;
  b->name = okta_strdup(name);
  if (!b->name) {
    free(b);
    return NULL;
  }
  *pp = b;
  return b;
}

okta_bucket *okta_ratelimit_buckets(okta_ratelimit *rl) { return rl ? rl->buckets : NULL; }

/* True when the bucket's budget allows one more request now. */
static int budget_allows(okta_ratelimit *rl, okta_bucket *b, double now) {
  if (!b) return 1;
  if (b->hold_until > now) return 0;
  if (b->limit <= 0 || b->reset_mono <= now) return 1;
  double reserve = ceil(b->limit * rl->reserve);
  return b->remaining - b->inflight > reserve;
}

/* When a request of b may start (see ratelimit.h). */
double okta_bucket_ready_at(okta_ratelimit *rl, okta_bucket *b, double now) {
  if (!b || budget_allows(rl, b, now)) return now;
  if (b->hold_until > now) return b->hold_until;
  return b->inflight == 0 ? b->reset_mono : 0;
}

/* Why a request is not waiting for its bucket (see ratelimit.h). */
char *okta_bucket_wait_error(okta_bucket *b, double at, double now, const char *limit_name, double secs) {
  char when[32];
  okta_format_iso8601((int64_t)((okta_now_wall() + (at - now)) * 1000), when);
  okta_buf out = {0};
  if (b->hold_until > now)
    okta_buf_printf(&out, "rate limit: bucket %s is paused after a 429 until %s", b->name, when);
  else if (b->remaining <= 0)
    okta_buf_printf(&out, "rate limit: bucket %s has no requests left (X-Rate-Limit-Remaining 0 of %ld) until it "
                          "resets at %s", b->name, b->limit, when);
  else
    okta_buf_printf(&out, "rate limit: bucket %s has %ld of %ld requests left, all kept for the org's other "
                          "clients (rateLimit.reserve), until it resets at %s", b->name, b->remaining, b->limit, when);
  okta_buf_printf(&out, ", %.0f s from now: longer than %s (%.0f s) allows; not waiting", at - now, limit_name, secs);
  return okta_buf_take(&out);
}

void okta_bucket_started(okta_bucket *b) {
  if (b) b->inflight++;
}

void okta_bucket_finished(okta_bucket *b) {
  if (b && b->inflight > 0) b->inflight--;
}

/* Learns the bucket's window from a response (see ratelimit.h). */
void okta_bucket_note(okta_bucket *b, int64_t limit, int64_t remaining, int64_t reset, int64_t date, double now) {
  /* All three headers or nothing: a budget without its reset time could
  ** hold requests for no reason. Limit 0 is a concurrency 429, not a window. */
  if (!b || limit <= 0 || remaining < 0 || reset <= 0) return;
  int64_t server_now = date > 0 ? date : (int64_t)okta_now_wall();
  double reset_in = (double)(reset - server_now);
  if (reset_in < 0) reset_in = 0;
  if (reset_in > 3600) reset_in = 3600;
  double reset_mono = now + reset_in;
  /* Responses of concurrent requests arrive out of order: a newer window
  ** (a later X-Rate-Limit-Reset) wins, and within one window the lowest
  ** count. An older window's late answer says nothing about the current one. */
  if (b->limit <= 0 || reset > b->reset_at) {
    b->limit = (long)limit;
    b->remaining = (long)remaining;
    b->reset_at = reset;
    b->reset_mono = reset_mono;
  } else if (reset == b->reset_at && remaining < b->remaining) {
    b->limit = (long)limit;
    b->remaining = (long)remaining;
  }
}

/* Pauses every request of the bucket after a 429. */
int okta_bucket_pause(okta_bucket *b, double until) {
  if (!b || b->hold_until >= until) return 0;
  b->hold_until = until;
  return 1;
}

/* Seconds until the longest current pause or spent window ends. */
double okta_ratelimit_longest_wait(okta_ratelimit *rl, double now) {
  double w = 0;
  for (okta_bucket *b = rl ? rl->buckets : NULL; b; b = b->next) {
    double at = okta_bucket_ready_at(rl, b, now);
    if (at == 0) at = b->reset_mono; /* spent: answers in flight may not say otherwise */
    if (at - now > w) w = at - now;
  }
  return w;
}
