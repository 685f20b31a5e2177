/*
** The HTTP client of one connection.
**
** Requests are asynchronous: okta_client_submit() queues one, and
** okta_client_wait() drives every transfer of the client (libcurl multi)
** until that one is done. So while a table waits for the page it needs, the
** next page and the other parents' requests are already moving. The client
** owns retries (429 by X-Rate-Limit-Reset, 5xx and transport errors with
** backoff), the rate-limit budget (per Okta bucket: ratelimit.h), the concurrency limit, the response
** cache and the per-endpoint statistics. It never follows redirects and
** sends credentials only to the configured origin.
*/
#ifndef OKTA_HTTP_H
#define OKTA_HTTP_H

#include "config.h"

#include <cjson/cJSON.h>

typedef struct okta_client okta_client;
typedef struct okta_endpoint okta_endpoint;

enum okta_req_state { REQ_NEW, REQ_QUEUED, REQ_RUNNING, REQ_FOLLOWING, REQ_DONE };

/* Request flags. */
#define REQ_NO_CACHE 0x01  /* neither read nor fill the cache */
#define REQ_NO_AUTH 0x02   /* send no Authorization (token endpoint) */
#define REQ_POST_FORM 0x04 /* POST body as application/x-www-form-urlencoded */
#define REQ_SPECULATIVE 0x08 /* a prefetch owned by the client; its answer goes to the cache */

typedef struct okta_request {
  /* Set by the caller. */
  char *url;          /* absolute URL on the org's origin */
  char *endpoint;     /* path template, e.g. /api/v1/users/{id}/roles */
  char *post_body;    /* REQ_POST_FORM only */
  char *extra_headers; /* more header lines, newline-separated */
  unsigned flags;

  /* Outcome, valid once state is REQ_DONE. */
  int state;
  long status;        /* HTTP status of the final attempt, 0 if none */
  okta_buf body;
  char *next_url;     /* Link rel="next", NULL on the last page */
  char *request_id;   /* X-Okta-Request-Id */
  char *www_authenticate;
  char *dpop_nonce;
  char *error;        /* set when the request failed for good */
  int from_cache;
  int attempts;

  /* Client bookkeeping. */
  struct okta_request *next_in_queue;
  struct okta_request *leader;     /* REQ_FOLLOWING: the prefetch it waits for */
  struct okta_request *followers;  /* requests waiting for this prefetch */
  struct okta_request *next_follower;
  struct okta_request *next_spec;
  okta_endpoint *ep;
  struct okta_bucket *bucket; /* its rate-limit bucket (ratelimit.h) */
  void *easy;
  void *headers;
  double not_before;  /* monotonic time before which it may not start */
  double deadline;    /* monotonic time after which it is not retried */
  double rate_since;  /* monotonic time it started waiting for its rate-limit bucket */
  double started;
  char *retry_for;    /* request id of the attempt being retried */
  char *content_type;
  int64_t rl_limit, rl_remaining, rl_reset, date;
  int rl_seen;
  int counted_inflight;
  int auth_retries;   /* retries granted by the auth module (401 renewal) */
  int too_large;
  size_t max_body;
  char curl_error[256];
} okta_request;

/* Statistics of one endpoint (path template). Its rate-limit state is its
** bucket's, shared with sibling paths (ratelimit.h). */
struct okta_endpoint {
  char *name;
  long requests, retries, rate_limited, errors, cache_hits, cache_misses;
  double waited;       /* seconds requests waited on rate limits */
  int64_t bytes;
  okta_endpoint *next;
};

/* Called while waiting; returns non-zero when the statement was interrupted. */
typedef int (*okta_interrupt_fn)(void *arg);
/* Called while waiting, at most every 200 ms, for progress display. */
typedef void (*okta_tick_fn)(void *arg, okta_client *c);
/* Produces the Authorization (and DPoP) headers of a request; returns an
** error message (malloc'd) or NULL. Set by the auth module. */
typedef char *(*okta_auth_fn)(void *arg, okta_client *c, okta_request *r, okta_buf *headers);
/* Called on a 401: returns 1 when the request should be tried again at
** once (a token renewed, a DPoP nonce learned). */
typedef int (*okta_auth_retry_fn)(void *arg, okta_request *r);

okta_client *okta_client_new(const okta_config *cfg, char **err);
void okta_client_free(okta_client *c);
void okta_client_set_interrupt(okta_client *c, okta_interrupt_fn fn, void *arg);
void okta_client_set_tick(okta_client *c, okta_tick_fn fn, void *arg);
void okta_client_set_auth(okta_client *c, okta_auth_fn fn, okta_auth_retry_fn retry, void *arg);
/* Performs r (a POST, typically to the token endpoint) right away, with
** the client's TLS settings and retries on 5xx and transport errors. */
void okta_client_perform(okta_client *c, okta_request *r);
const okta_config *okta_client_config(okta_client *c);

/* Creates a GET request for url (absolute, or a path on the org). */
okta_request *okta_request_new(okta_client *c, const char *url, const char *endpoint);
/* Queues a request; a fresh cache entry completes it at once. */
void okta_client_submit(okta_client *c, okta_request *r);
/* Starts what may start and moves running transfers along, without
** waiting: called while rows are read so prefetched pages progress. */
void okta_client_poll(okta_client *c);
/* Runs transfers until r is done. Returns 0, or 1 when interrupted. */
int okta_client_wait(okta_client *c, okta_request *r);
/* Cancels (if still running) and frees a request. */
void okta_request_free(okta_client *c, okta_request *r);
/* Starts fetching url into the cache unless it is cached or already under
** way: a later request for it takes the answer. Needs the cache. */
void okta_client_prefetch(okta_client *c, const char *url, const char *endpoint);
int okta_client_caching(okta_client *c);
/* Requests queued or running. */
int okta_client_pending(okta_client *c);
int okta_client_running(okta_client *c);
/* Seconds until the earliest rate-limit hold ends (0 if none). */
double okta_client_rate_wait(okta_client *c);

/* "GET /api/v1/users: 401 E0000011 Invalid token provided (request X)":
** the message for a request whose status is not 2xx or that failed. */
char *okta_request_error(okta_request *r);
/* Parses a 2xx body as JSON; NULL with *err set when it is not. */
cJSON *okta_request_json(okta_request *r, char **err);

/* Cache and statistics. */
void okta_client_cache_clear(okta_client *c);
/* Changes whenever the cache is cleared: what was derived from it is stale. */
long okta_client_cache_generation(okta_client *c);
int64_t okta_client_cache_bytes(okta_client *c);
long okta_client_cache_entries(okta_client *c);
okta_endpoint *okta_client_endpoints(okta_client *c);

#endif
