/*
** Okta's rate-limit buckets, as the client of one connection sees them.
**
** Okta counts requests per bucket, not per path: sibling paths such as
** /api/v1/users, /api/v1/users/{id}/factors and /api/v1/users/{id}/roles
** draw down one per-minute counter. The client asks this module before it
** starts a request:
**
**     okta_bucket *b = okta_ratelimit_bucket(rl, "GET", "/api/v1/users/{key}/roles");
**     double at = okta_bucket_ready_at(rl, b, now);  // now: may start
**     if (at <= now) { okta_bucket_started(b); ...send... }
**     ...on the response: okta_bucket_note(b, limit, remaining, reset, date, now);
**     ...on a 429:        okta_bucket_pause(b, now + wait);
**     ...when it ends:    okta_bucket_finished(b);
**
** A request may only start while its bucket's
**     remaining - in_flight > limit * reserve
** (the limit learned from the X-Rate-Limit-* headers of the bucket's latest
** response), so a fan-out slows down before Okta answers 429 and leaves the
** reserve to the org's other clients; a 429 pauses every request of the
** bucket until its wait is over.
*/
#ifndef OKTA_RATELIMIT_H
#define OKTA_RATELIMIT_H

#include <stdint.h>

typedef struct okta_ratelimit okta_ratelimit;
typedef struct okta_bucket okta_bucket;

/* Rate-limit state of one bucket. */
struct okta_bucket {
  char *name;          /* Okta's name for it, e.g. "/api/v1/users*" */
  long limit, remaining; /* from the latest response, 0 = not known */
  int64_t reset_at;    /* the window's X-Rate-Limit-Reset (server epoch seconds) */
  double reset_mono;   /* local monotonic time when the window resets */
  double hold_until;   /* no new request before this (after a 429) */
  int inflight;        /* requests of the bucket on the wire */
  okta_bucket *next;
};

/* reserve: the fraction (0..1) of each bucket kept for the org's other clients. */
okta_ratelimit *okta_ratelimit_new(double reserve);
void okta_ratelimit_free(okta_ratelimit *rl);
/* The name of the bucket a request belongs to (method "GET" or "POST",
** path template such as /api/v1/users/{key}/roles); a static string, or
** NULL when the path has a bucket of its own (then named by the path). */
const char *okta_bucket_name_of(const char *method, const char *path);
/* The bucket of a request, created on first use; NULL when out of memory
** (then nothing is limited). */
okta_bucket *okta_ratelimit_bucket(okta_ratelimit *rl, const char *method, const char *path);
okta_bucket *okta_ratelimit_buckets(okta_ratelimit *rl);

/* When a request of b may start: now when it may, else the end of a 429
** pause, or the window's reset when the budget is spent and no response in
** flight can say otherwise; 0 when it only waits for a request in flight. */
double okta_bucket_ready_at(okta_ratelimit *rl, okta_bucket *b, double now);
/* The error for a request that would wait for b until `at`, when that is
** past `limit_name` (secs): "rate limit: bucket X ... not waiting". */
char *okta_bucket_wait_error(okta_bucket *b, double at, double now, const char *limit_name, double secs);
void okta_bucket_started(okta_bucket *b);
void okta_bucket_finished(okta_bucket *b);
/* Learns the bucket's window from a response's X-Rate-Limit-Limit,
** -Remaining, -Reset and Date (-1 when absent). */
void okta_bucket_note(okta_bucket *b, int64_t limit, int64_t remaining, int64_t reset, int64_t date, double now);
/* Pauses the bucket until `until` (after a 429); 1 when that extended the
** pause. */
int okta_bucket_pause(okta_bucket *b, double until);
/* Seconds until the longest pause or spent window of any bucket ends. */
double okta_ratelimit_longest_wait(okta_ratelimit *rl, double now);

#endif
