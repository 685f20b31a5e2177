/*
** The libcurl-multi client: see http.h for the contract.
**
** Scheduling. Queued requests start in FIFO order while fewer than the
** effective concurrency are running, unless their retry time has not come
** or their rate-limit bucket (ratelimit.c: Okta's buckets, shared by
** sibling paths) says wait: paused after a 429, or its budget spent down to
** the reserve kept for the org's other clients. A concurrency 429
** (X-Rate-Limit-Limit: 0) halves the effective concurrency, which then
** grows back by one per success window.
**
** Retries. 429 waits Reset - Date + 1 seconds (the server's clock on both
** sides, so skew does not matter), capped by rateLimit.maxBackoff. 5xx and
** transport errors wait base * 2^(n-1), capped, with jitter. Retries carry
** X-Okta-Retry-For and X-Okta-Retry-Count. After rateLimit.maxRetries
** retries, or past requestTimeout, the request fails with an error.
**
** Waiting for rate-limit budget is bounded too: a request that would have
** to wait for a bucket's reset (or a 429 hold) longer than
** rateLimit.maxBackoff, or past requestTimeout counted from when it
** started waiting, fails at once with an error naming the bucket and the
** reset time, instead of sleeping (a server can announce a reset an hour
** away). sqlite3_interrupt ends any wait within 100 ms.
**
** Prefetches. A request for a URL whose prefetch is under way follows it
** and takes its answer. Every way a request ends goes through
** request_done(), which hands a prefetch's answer or error to all its
** followers: none can be left waiting.
**
** Trust. Plain http is only allowed to a literal loopback address (see
** okta_normalize_org_url); "localhost" is pinned to 127.0.0.1 so no
** resolver can send it elsewhere, and plain http never goes through a
** proxy. With caFile, that bundle is the only trust store (no CA path, no
** system store). Authorization header lines are wiped from memory when a
** transfer ends.
*/
#include "http.h"
#include "cache.h"
#include "ratelimit.h"

#include <curl/curl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define POOL_MAX 80

struct okta_client {
  const okta_config *cfg;
  CURLM *multi;
  CURL *pool[POOL_MAX];
  int npool;
  okta_request *queue_head, *queue_tail;
  okta_request *specs;       /* prefetches under way */
  int nspecs;
  int running;
  int conc_limit;
  double conc_eff;
  okta_endpoint *endpoints;
  okta_ratelimit *rl;         /* Okta's rate-limit buckets */
  char user_agent[160];
  int max_retries;
  double max_backoff, backoff_base, request_timeout;
  long connect_timeout;
  size_t max_body;
  int trace;
  /* cache */
  int cache_on;
  long cache_generation;     /* counts okta_client_cache_clear() calls */
  okta_cache *cache;
  /* hooks */
  okta_interrupt_fn interrupted;
  void *interrupt_arg;
  okta_tick_fn tick;
  void *tick_arg;
  double last_tick;
  okta_auth_fn auth;
  okta_auth_retry_fn auth_retry;
  void *auth_arg;
  unsigned rnd;
  int plain_http;             /* the org is http:// (loopback only) */
  struct curl_slist *resolve; /* localhost pinned to 127.0.0.1 */
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

/* curl_global_init is not thread-safe: run it once per process. */
static void curl_global_once(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

/* ---------------------------------------------------------- backoff math */

/* Capped exponential backoff with "equal jitter": half fixed, half random. */
double okta_backoff_delay(int n, double base, double cap, double rnd) {
  if (n < 1) n = 1;
  double d = base * pow(2.0, n - 1);
  if (d > cap) d = cap;
  return d / 2 + d / 2 * rnd;
}

/* Reset - Date + 1, capped; -1 when either header is missing. */
double okta_ratelimit_wait(int64_t reset, int64_t date, double cap) {
  if (reset <= 0 || date <= 0) return -1;
  double w = (double)(reset - date) + 1;
  if (w < 1) w = 1;
  if (w > cap) w = cap;
  return w;
}

/* xorshift: jitter needs no cryptographic quality. */
static double client_random(okta_client *c) {
  unsigned x = c->rnd;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  c->rnd = x;
  return (x & 0xffffff) / (double)0x1000000;
}

/* ---------------------------------------------------------------- cache */

/* Empties the cache: what was derived from it is stale. */
void okta_client_cache_clear(okta_client *c) {
  okta_cache_clear(c->cache);
  c->cache_generation++;
}

long okta_client_cache_generation(okta_client *c) { return c->cache_generation; }
int64_t okta_client_cache_bytes(okta_client *c) { return okta_cache_bytes(c->cache); }
long okta_client_cache_entries(okta_client *c) { return okta_cache_entries(c->cache); }

/* ------------------------------------------------------------ endpoints */

/* Statistics of an endpoint, created on first use. */
static okta_endpoint *endpoint_get(okta_client *c, const char *name) {
  okta_endpoint **pp = &c->endpoints;
  for (; *pp; pp = &(*pp)->next) {
    if (strcmp((*pp)->name, name) == 0) return *pp;
  }
  okta_endpoint *e = calloc(1, sizeof(*e));
  if (!e) return NULL;
  e->name = okta_strdup(name);
  if (!e->name) { free(e); return NULL; }
  *pp = e;
  return e;
}

okta_endpoint *okta_client_endpoints(okta_client *c) { return c->endpoints; }

/* Finds the request's endpoint statistics and its rate-limit bucket. */
static void request_attach(okta_client *c, okta_request *r) {
  r->ep = endpoint_get(c, r->endpoint);
  r->bucket = okta_ratelimit_bucket(c->rl, (r->flags & REQ_POST_FORM) ? "POST" : "GET", r->endpoint);
}

/* ------------------------------------------------------------- lifecycle */

/* Notes whether the org is plain http, and pins "localhost" to 127.0.0.1:
** curl then connects to exactly that address, whatever a resolver says. */
static int client_pin_host(okta_client *c) {
  CURLU *u = curl_url();
  char *scheme = NULL, *host = NULL, *port = NULL;
  int rc = 0;
  if (u && curl_url_set(u, CURLUPART_URL, c->cfg->org_url, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
      curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
    c->plain_http = strcasecmp(scheme, "http") == 0;
    if (strcasecmp(host, "localhost") == 0) {
      char entry[64];
      snprintf(entry, sizeof(entry), "localhost:%s:127.0.0.1", port);
      c->resolve = curl_slist_append(NULL, entry);
      if (!c->resolve) rc = -1;
    }
  } else {
    c->plain_http = strncasecmp(c->cfg->org_url, "http:", 5) == 0;
  }
  curl_free(scheme);
  curl_free(host);
  curl_free(port);
  curl_url_cleanup(u);
  return rc;
}

/* Creates the client of one connection from its effective configuration. */
okta_client *okta_client_new(const okta_config *cfg, char **err) {
  *err = NULL;
  pthread_once(&curl_once, curl_global_once);
  if (curl_init_rc != CURLE_OK) {
    *err = okta_strdup("libcurl could not be initialised");
    return NULL;
  }
  okta_client *c = calloc(1, sizeof(*c));
  if (!c) return NULL;
  c->cfg = cfg;
  c->multi = curl_multi_init();
  if (!c->multi) {
    free(c);
    *err = okta_strdup("libcurl multi handle could not be created");
    return NULL;
  }
  c->conc_limit = (int)okta_config_int(cfg, CFG_CONCURRENCY);
  c->conc_eff = c->conc_limit;
  c->max_retries = (int)okta_config_int(cfg, CFG_MAX_RETRIES);
  c->max_backoff = okta_config_real(cfg, CFG_MAX_BACKOFF);
  c->backoff_base = okta_config_real(cfg, CFG_BACKOFF_BASE);
  c->request_timeout = okta_config_real(cfg, CFG_REQUEST_TIMEOUT);
  c->connect_timeout = okta_config_int(cfg, CFG_CONNECT_TIMEOUT);
  c->rl = okta_ratelimit_new(okta_config_real(cfg, CFG_RATE_RESERVE) / 100.0);
  c->max_body = (size_t)okta_config_int(cfg, CFG_MAX_RESPONSE_MB) * 1024 * 1024;
  c->trace = okta_config_bool(cfg, CFG_TRACE);
  c->cache_on = okta_config_bool(cfg, CFG_CACHE_ENABLED) && okta_config_int(cfg, CFG_CACHE_TTL) > 0;
  c->cache = okta_cache_new(okta_config_real(cfg, CFG_CACHE_TTL),
                            (size_t)okta_config_int(cfg, CFG_CACHE_MAX_MB) * 1024 * 1024);
  c->rnd = (unsigned)(okta_now_wall() * 1000) ^ (unsigned)(uintptr_t)c;
  if (!c->rnd) c->rnd = 2463534242u;
  curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
  snprintf(c->user_agent, sizeof(c->user_agent), "sqlite-okta/%s libcurl/%s", OKTA_VERSION,
           v ? v->version : "?");
  curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)c->conc_limit);
  curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)c->conc_limit);
  curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)c->conc_limit + 4);
  curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
  if (!c->rl || !c->cache || client_pin_host(c)) {
    okta_client_free(c);
    *err = okta_strdup("out of memory");
    return NULL;
  }
  return c;
}

/* Frees the client, cancelling whatever is still queued or running. */
void okta_client_free(okta_client *c) {
  if (!c) return;
  while (c->queue_head) {
    okta_request *r = c->queue_head;
    c->queue_head = r->next_in_queue;
    r->state = REQ_DONE;
    r->next_in_queue = NULL;
  }
  while (c->specs) {
    okta_request *sp = c->specs;
    c->specs = sp->next_spec;
    for (okta_request *f = sp->followers; f; f = f->next_follower) {
      f->leader = NULL;
      f->state = REQ_DONE;
    }
    okta_request_free(c, sp);
  }
  okta_cache_free(c->cache);
  for (int i = 0; i < c->npool; i++) curl_easy_cleanup(c->pool[i]);
  curl_multi_cleanup(c->multi);
  for (okta_endpoint *e = c->endpoints, *n; e; e = n) {
    n = e->next;
    free(e->name);
    free(e);
  }
  okta_ratelimit_free(c->rl);
  curl_slist_free_all(c->resolve);
  free(c);
}

void okta_client_set_interrupt(okta_client *c, okta_interrupt_fn fn, void *arg) {
  c->interrupted = fn;
  c->interrupt_arg = arg;
}
void okta_client_set_tick(okta_client *c, okta_tick_fn fn, void *arg) {
  c->tick = fn;
  c->tick_arg = arg;
}
void okta_client_set_auth(okta_client *c, okta_auth_fn fn, okta_auth_retry_fn retry, void *arg) {
  c->auth = fn;
  c->auth_retry = retry;
  c->auth_arg = arg;
}
const okta_config *okta_client_config(okta_client *c) { return c->cfg; }

/* ------------------------------------------------------------- requests */

/* Creates a request; a path is resolved against the org URL. */
okta_request *okta_request_new(okta_client *c, const char *url, const char *endpoint) {
  okta_request *r = calloc(1, sizeof(*r));
  if (!r) return NULL;
  if (url[0] == '/') {
    okta_buf b = {0};
    okta_buf_printf(&b, "%s%s", c->cfg->org_url, url);
    r->url = okta_buf_take(&b);
  } else {
    r->url = okta_strdup(url);
  }
  r->endpoint = okta_strdup(endpoint);
  if (!r->url || !r->endpoint) {
    free(r->url);
    free(r->endpoint);
    free(r);
    return NULL;
  }
  r->rl_limit = r->rl_remaining = r->rl_reset = r->date = -1;
  return r;
}

/* Clears the per-attempt response fields. */
static void response_reset(okta_request *r) {
  okta_buf_reset(&r->body);
  free(r->next_url);
  free(r->request_id);
  free(r->content_type);
  free(r->www_authenticate);
  free(r->dpop_nonce);
  r->next_url = r->request_id = r->content_type = r->www_authenticate = r->dpop_nonce = NULL;
  r->status = 0;
  r->rl_limit = r->rl_remaining = r->rl_reset = r->date = -1;
  r->rl_seen = 0;
  r->curl_error[0] = 0;
}

/* Appends to the queue (retries go first: they are the oldest work). */
static void queue_push(okta_client *c, okta_request *r, int front) {
  r->state = REQ_QUEUED;
  r->next_in_queue = NULL;
  if (!c->queue_head) {
    c->queue_head = c->queue_tail = r;
  } else if (front) {
    r->next_in_queue = c->queue_head;
    c->queue_head = r;
  } else {
    c->queue_tail->next_in_queue = r;
    c->queue_tail = r;
  }
}

/* Removes a request from the queue if it is there. */
static void queue_remove(okta_client *c, okta_request *r) {
  okta_request *prev = NULL;
  for (okta_request *q = c->queue_head; q; prev = q, q = q->next_in_queue) {
    if (q != r) continue;
    if (prev) prev->next_in_queue = q->next_in_queue;
    else c->queue_head = q->next_in_queue;
    if (c->queue_tail == q) c->queue_tail = prev;
    q->next_in_queue = NULL;
    return;
  }
}

static void spec_finish(okta_client *c, okta_request *s);

/* Ends a request: the one place a request becomes done, so a prefetch's
** followers always get its answer or its error. A prefetch is freed here:
** callers must not touch r afterwards. */
static void request_done(okta_client *c, okta_request *r) {
  r->state = REQ_DONE;
  if (r->flags & REQ_SPECULATIVE) spec_finish(c, r);
}

/* Fails a request with a message (taking ownership of it). */
static void request_fail(okta_client *c, okta_request *r, char *error) {
  free(r->error);
  r->error = error ? error : okta_strdup("out of memory");
  if (r->ep) r->ep->errors++;
  request_done(c, r);
}

/* Queues a request, or completes it from the cache. */
void okta_client_submit(okta_client *c, okta_request *r) {
  if (r->state != REQ_NEW) return;
  request_attach(c, r);
  if (c->cache_on && !(r->flags & REQ_NO_CACHE)) {
    const okta_cache_entry *e = okta_cache_get(c->cache, r->url);
    if (e) {
      okta_buf_append(&r->body, e->body, e->len);
      r->next_url = okta_strdup(e->next_url);
      r->request_id = okta_strdup(e->request_id);
      r->content_type = okta_strdup(e->content_type);
      r->status = e->status;
      r->from_cache = 1;
      if (r->ep) r->ep->cache_hits++;
      request_done(c, r);
      return;
    }
    if (r->ep) r->ep->cache_misses++;
    for (okta_request *s = c->specs; s; s = s->next_spec) {
      if (strcmp(s->url, r->url) == 0 && s->state != REQ_DONE) {
        /* Its prefetch is under way: take that answer instead of asking twice. */
        r->state = REQ_FOLLOWING;
        r->leader = s;
        r->next_follower = s->followers;
        s->followers = r;
        return;
      }
    }
  }
  queue_push(c, r, 0);
}

/* Copies a finished prefetch's answer into a request that waited for it. */
static void take_answer(okta_request *r, okta_request *from) {
  okta_buf_append(&r->body, from->body.p ? from->body.p : "", from->body.n);
  r->status = from->status;
  r->next_url = okta_strdup(from->next_url);
  r->request_id = okta_strdup(from->request_id);
  r->content_type = okta_strdup(from->content_type);
  r->www_authenticate = okta_strdup(from->www_authenticate);
  r->error = okta_strdup(from->error);
  r->attempts = from->attempts;
  r->leader = NULL;
  r->state = REQ_DONE;
}

/* A finished prefetch hands its answer to its followers and goes away. */
static void spec_finish(okta_client *c, okta_request *s) {
  for (okta_request *f = s->followers, *n; f; f = n) {
    n = f->next_follower;
    f->next_follower = NULL;
    take_answer(f, s);
  }
  s->followers = NULL;
  okta_request **pp = &c->specs;
  while (*pp && *pp != s) pp = &(*pp)->next_spec;
  if (*pp) {
    *pp = s->next_spec;
    c->nspecs--;
  }
  okta_request_free(c, s);
}

int okta_client_caching(okta_client *c) { return c->cache_on; }

/* Fetches url ahead of need (see http.h). */
void okta_client_prefetch(okta_client *c, const char *url, const char *endpoint) {
  if (!c->cache_on || c->nspecs >= 4 * c->conc_limit) return;
  if (okta_cache_has(c->cache, url)) return;
  for (okta_request *s = c->specs; s; s = s->next_spec) {
    if (strcmp(s->url, url) == 0) return;
  }
  okta_request *r = okta_request_new(c, url, endpoint);
  if (!r) return;
  r->flags |= REQ_SPECULATIVE;
  request_attach(c, r);
  r->next_spec = c->specs;
  c->specs = r;
  c->nspecs++;
  queue_push(c, r, 0);
}

/* libcurl write callback: collects the body up to the configured cap. */
static size_t on_body(char *data, size_t size, size_t n, void *arg) {
  okta_request *r = arg;
  size_t len = size * n;
  if (r->max_body && r->body.n + len > r->max_body) {
    r->too_large = 1;
    return 0;
  }
  okta_buf_append(&r->body, data, len);
  if (r->body.oom) return 0;
  return len;
}

/* Copies a header value without surrounding whitespace. */
static char *header_value(const char *v, size_t n) {
  while (n && (*v == ' ' || *v == '\t')) { v++; n--; }
  while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
  return okta_strndup(v, n);
}

/* libcurl header callback: status line, Link, rate limits, request id. */
static size_t on_header(char *line, size_t size, size_t n, void *arg) {
  okta_request *r = arg;
  size_t len = size * n;
  if (len >= 5 && strncmp(line, "HTTP/", 5) == 0) {
    /* A new response (e.g. after 100 Continue): forget the previous one's headers. */
    free(r->next_url);
    r->next_url = NULL;
    return len;
  }
  const char *colon = memchr(line, ':', len);
  if (!colon) return len;
  size_t name_len = (size_t)(colon - line);
  const char *v = colon + 1;
  size_t vlen = len - name_len - 1;
#define IS(h) (name_len == sizeof(h) - 1 && strncasecmp(line, h, name_len) == 0)
  if (IS("link")) {
    if (!r->next_url) {
      char *value = header_value(v, vlen);
      if (value) r->next_url = okta_link_next(value);
      free(value);
    }
  } else if (IS("x-okta-request-id")) {
    free(r->request_id);
    r->request_id = header_value(v, vlen);
  } else if (IS("content-type")) {
    free(r->content_type);
    r->content_type = header_value(v, vlen);
  } else if (IS("www-authenticate")) {
    free(r->www_authenticate);
    r->www_authenticate = header_value(v, vlen);
  } else if (IS("dpop-nonce")) {
    free(r->dpop_nonce);
    r->dpop_nonce = header_value(v, vlen);
  } else if (IS("date")) {
    char *value = header_value(v, vlen);
    if (value) {
      time_t t = curl_getdate(value, NULL);
      if (t > 0) r->date = (int64_t)t;
    }
    free(value);
  } else if (IS("x-rate-limit-limit") || IS("x-rate-limit-remaining") || IS("x-rate-limit-reset")) {
    char *value = header_value(v, vlen);
    if (value) {
      char *end;
      long long x = strtoll(value, &end, 10);
      if (end != value && *end == 0 && x >= 0) {
        if (IS("x-rate-limit-limit")) r->rl_limit = x;
        else if (IS("x-rate-limit-remaining")) r->rl_remaining = x;
        else r->rl_reset = x;
        r->rl_seen = 1;
      }
    }
    free(value);
  }
#undef IS
  return len;
}

/* An easy handle from the pool, or a new one with the fixed options set. */
static CURL *easy_get(okta_client *c) {
  if (c->npool) return c->pool[--c->npool];
  CURL *e = curl_easy_init();
  if (!e) return NULL;
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent);
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, c->connect_timeout);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
  const char *ca = okta_config_str(c->cfg, CFG_CA_FILE);
  if (ca && *ca) {
    /* caFile replaces the system store: curl would also search its
    ** built-in CA directory. */
    curl_easy_setopt(e, CURLOPT_CAINFO, ca);
    curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
  }
  /* Plain http (loopback only) goes straight to that address: a proxy
  ** from http_proxy would see the token in clear. */
  if (c->plain_http) curl_easy_setopt(e, CURLOPT_PROXY, "");
  if (c->resolve) curl_easy_setopt(e, CURLOPT_RESOLVE, c->resolve);
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
  curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
  curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  /* A server that sends headers and then stalls is abandoned after this. */
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, 30L);
  return e;
}

/* Returns a handle to the pool (or frees it when the pool is full). */
static void easy_put(okta_client *c, CURL *e) {
  if (c->npool < POOL_MAX) c->pool[c->npool++] = e;
  else curl_easy_cleanup(e);
}

/* Frees a header list after wiping its lines (Authorization is one). */
static void slist_wipe_free(struct curl_slist *list) {
  for (struct curl_slist *l = list; l; l = l->next) {
    if (l->data) okta_wipe(l->data, strlen(l->data));
  }
  curl_slist_free_all(list);
}

/* Adds each line of text (newline-separated) to a header list. */
static struct curl_slist *add_header_lines(struct curl_slist *list, const char *text) {
  for (const char *line = text; line && *line;) {
    const char *nl = strchr(line, '\n');
    size_t n = nl ? (size_t)(nl - line) : strlen(line);
    if (n) {
      char *one = okta_strndup(line, n);
      if (one) list = curl_slist_append(list, one);
      okta_wipe_free(one);
    }
    line = nl ? nl + 1 : NULL;
  }
  return list;
}

/* Sets the request up on an easy handle; in_multi hands it to the multi
** handle (otherwise the caller performs it alone). */
static int transfer_start(okta_client *c, okta_request *r, double now, int in_multi) {
  CURL *e = easy_get(c);
  if (!e) {
    request_fail(c, r, okta_strdup("could not create a libcurl handle"));
    return -1;
  }
  response_reset(r);
  r->too_large = 0;
  r->max_body = c->max_body;
  struct curl_slist *list = curl_slist_append(NULL, "Accept: application/json");
  if (r->flags & REQ_POST_FORM) list = curl_slist_append(list, "Content-Type: application/x-www-form-urlencoded");
  if (!(r->flags & REQ_NO_AUTH) && c->auth) {
    okta_buf hdr = {.secret = 1};
    char *err = c->auth(c->auth_arg, c, r, &hdr);
    if (err) {
      slist_wipe_free(list);
      okta_buf_free(&hdr);
      easy_put(c, e);
      request_fail(c, r, err);
      return -1;
    }
    list = add_header_lines(list, hdr.p);
    okta_buf_free(&hdr);
  }
  list = add_header_lines(list, r->extra_headers);
  if (r->attempts > 0) {
    char line[200];
    if (r->retry_for) {
      snprintf(line, sizeof(line), "X-Okta-Retry-For: %s", r->retry_for);
      list = curl_slist_append(list, line);
    }
    snprintf(line, sizeof(line), "X-Okta-Retry-Count: %d", r->attempts);
    list = curl_slist_append(list, line);
  }
  r->headers = list;
  r->easy = e;
  curl_easy_setopt(e, CURLOPT_URL, r->url);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
  curl_easy_setopt(e, CURLOPT_PRIVATE, r);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->curl_error);
  if (r->flags & REQ_POST_FORM) {
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->post_body ? r->post_body : "");
  } else {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  }
  /* requestTimeout counts from the first attempt, not from queueing: time
  ** spent behind our own concurrency limit is not the request's fault. */
  if (r->attempts == 0 && c->request_timeout > 0) r->deadline = now + c->request_timeout;
  long timeout_ms = 0;
  if (r->deadline > 0) {
    timeout_ms = (long)((r->deadline - now) * 1000);
    if (timeout_ms < 1) timeout_ms = 1;
  }
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, timeout_ms);
  if (in_multi && curl_multi_add_handle(c->multi, e) != CURLM_OK) {
    slist_wipe_free(list);
    r->headers = NULL;
    r->easy = NULL;
    easy_put(c, e);
    request_fail(c, r, okta_strdup("libcurl refused the transfer"));
    return -1;
  }
  r->state = REQ_RUNNING;
  r->started = now;
  r->rate_since = 0; /* a later wait for the bucket counts afresh */
  r->attempts++;
  if (r->ep) {
    r->ep->requests++;
    if (r->attempts > 1) r->ep->retries++;
  }
  if (in_multi) {
    c->running++;
    okta_bucket_started(r->bucket);
    r->counted_inflight = 1;
  }
  if (c->trace)
    fprintf(stderr, "okta: trace: start %s %s\n", (r->flags & REQ_POST_FORM) ? "POST" : "GET", r->url);
  return 0;
}

/* Detaches a finished or cancelled transfer from its easy handle. */
static void transfer_end(okta_client *c, okta_request *r) {
  if (!r->easy) return;
  if (r->counted_inflight) {
    curl_multi_remove_handle(c->multi, r->easy);
    c->running--;
    okta_bucket_finished(r->bucket);
    r->counted_inflight = 0;
  }
  curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, NULL);
  curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, NULL);
  easy_put(c, r->easy);
  slist_wipe_free(r->headers);
  r->headers = NULL;
  r->easy = NULL;
}

/* The error for a request that would wait for its bucket until `at`
** longer than maxBackoff or past requestTimeout; NULL when it may wait. */
static char *rate_wait_error(okta_client *c, okta_request *r, double at, double now) {
  double since = r->rate_since > 0 ? r->rate_since : now;
  const char *limit = NULL;
  double secs = 0;
  if (at - now > c->max_backoff + 0.5) {
    limit = "rateLimit.maxBackoff";
    secs = c->max_backoff;
  } else if (c->request_timeout > 0 && at - since > c->request_timeout) {
    limit = "requestTimeout";
    secs = c->request_timeout;
  } else if (r->deadline > 0 && at > r->deadline) {
    limit = "requestTimeout";
    secs = c->request_timeout;
  }
  if (!limit) return NULL;
  return okta_bucket_wait_error(r->bucket, at, now, limit, secs);
}

/* Starts queued requests while concurrency, schedule and budget allow;
** fails those whose bucket would make them wait too long. */
static void start_ready(okta_client *c) {
  double now = okta_now_mono();
  okta_request *r = c->queue_head, *next;
  for (; r; r = next) {
    next = r->next_in_queue;
    double at = okta_bucket_ready_at(c->rl, r->bucket, now);
    if (at > now) {
      if (r->rate_since <= 0) r->rate_since = now;
      char *err = rate_wait_error(c, r, at, now);
      if (err) {
        queue_remove(c, r);
        request_fail(c, r, err);
      }
      continue;
    }
    if (c->running >= (int)c->conc_eff || r->not_before > now || at <= 0) continue;
    queue_remove(c, r);
    transfer_start(c, r, now, 1);
  }
}

static char *request_detail(okta_request *r);

/* Schedules another attempt, or fails the request when out of retries. */
static void retry_or_fail(okta_client *c, okta_request *r, double delay, const char *why) {
  double now = okta_now_mono();
  if (r->attempts > c->max_retries || (r->deadline > 0 && now + delay >= r->deadline)) {
    okta_buf b = {0};
    okta_buf_printf(&b, "%s (gave up after %d attempt%s%s)", why, r->attempts,
                    r->attempts == 1 ? "" : "s",
                    r->attempts > c->max_retries ? "" : ": requestTimeout reached");
    request_fail(c, r, okta_buf_take(&b));
    return;
  }
  free(r->retry_for);
  r->retry_for = okta_strdup(r->request_id);
  r->not_before = now + delay;
  queue_push(c, r, 1);
}

/* Transport errors worth another attempt. */
static int transport_retryable(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_SSL_CONNECT_ERROR:
      return 1;
    default:
      return 0;
  }
}

/* Handles one finished transfer: success, retry or failure. */
static void transfer_done(okta_client *c, okta_request *r, CURLcode rc) {
  double now = okta_now_mono();
  curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
  transfer_end(c, r);
  if (r->ep) r->ep->bytes += (int64_t)r->body.n;
  if (c->trace) {
    fprintf(stderr, "okta: trace: GET %s -> %ld%s%s (%.0f ms, %zu bytes%s%s)\n", r->url, r->status,
            rc != CURLE_OK ? " " : "", rc != CURLE_OK ? curl_easy_strerror(rc) : "",
            (now - r->started) * 1000, r->body.n, r->request_id ? ", request " : "",
            r->request_id ? r->request_id : "");
  }
  if (rc != CURLE_OK) {
    okta_buf b = {0};
    if (rc == CURLE_WRITE_ERROR && r->body.oom) {
      okta_buf_printf(&b, "out of memory reading the response");
    } else if (rc == CURLE_WRITE_ERROR && r->too_large) {
      okta_buf_printf(&b, "response larger than %zu MiB (setting maxResponseSize)",
                      c->max_body / (1024 * 1024));
    } else {
      okta_buf_printf(&b, "%s: %s", curl_easy_strerror(rc),
                      r->curl_error[0] ? r->curl_error : "transfer failed");
    }
    if (transport_retryable(rc) && !(r->flags & REQ_POST_FORM && rc == CURLE_OPERATION_TIMEDOUT)) {
      retry_or_fail(c, r, okta_backoff_delay(r->attempts, c->backoff_base, c->max_backoff, client_random(c)), b.p);
      okta_buf_free(&b);
    } else {
      request_fail(c, r, okta_buf_take(&b));
    }
    return;
  }
  okta_bucket_note(r->bucket, r->rl_limit, r->rl_remaining, r->rl_reset, r->date, now);
  if (r->status == 401 && c->auth_retry && !(r->flags & REQ_NO_AUTH) && r->auth_retries < 2 &&
      c->auth_retry(c->auth_arg, r)) {
    r->auth_retries++;
    queue_push(c, r, 1);
    return;
  }
  if (r->status == 429) {
    if (r->ep) r->ep->rate_limited++;
    if (r->rl_seen && r->rl_limit == 0) {
      /* Okta's concurrency limit: too many requests at once, not too many
      ** per minute. Fewer in flight, and a short backoff: a slot frees as
      ** soon as another request finishes (the Reset is only an estimate). */
      if (c->conc_eff > 1) c->conc_eff = c->running > 1 ? (c->running + 1) / 2.0 : 1;
      if (c->conc_eff < 1) c->conc_eff = 1;
      char *msg = request_detail(r);
      retry_or_fail(c, r, okta_backoff_delay(r->attempts, c->backoff_base, c->max_backoff, client_random(c)), msg);
      free(msg);
      return;
    }
    double w = okta_ratelimit_wait(r->rl_reset, r->date, c->max_backoff);
    if (w < 0) w = okta_backoff_delay(r->attempts, c->backoff_base, c->max_backoff, client_random(c));
    /* A 429 pauses the whole bucket: its sibling paths would only hear 429 too. */
    if (okta_bucket_pause(r->bucket, now + w) && r->ep) r->ep->waited += w;
    char *msg = request_detail(r);
    retry_or_fail(c, r, w, msg);
    free(msg);
    return;
  }
  if (r->status >= 500 && r->status <= 599) {
    char *msg = request_detail(r);
    retry_or_fail(c, r, okta_backoff_delay(r->attempts, c->backoff_base, c->max_backoff, client_random(c)), msg);
    free(msg);
    return;
  }
  if (c->conc_eff < c->conc_limit) {
    c->conc_eff += 1.0 / c->conc_eff;
    if (c->conc_eff > c->conc_limit) c->conc_eff = c->conc_limit;
  }
  char *pinned = r->next_url ? okta_link_pin(c->cfg->org_url, r->next_url) : NULL;
  if (pinned) {
    free(r->next_url);
    r->next_url = pinned;
  }
  if (r->next_url && !pinned) {
    okta_buf b = {0};
    char *shown = okta_url_display(r->next_url);
    okta_buf_printf(&b, "the next-page link points to another origin (%.200s); it was not followed "
                        "because the token may only go to %s", shown ? shown : "?", c->cfg->org_url);
    free(shown);
    request_fail(c, r, okta_buf_take(&b));
    return;
  }
  if (((r->status >= 200 && r->status < 300) || r->status == 404) && c->cache_on && !(r->flags & REQ_NO_CACHE)) {
    /* A 404 is an answer too: a join that looks a missing id up for every
    ** row asks once per TTL. */
    okta_cache_entry answer = {r->body.p, r->body.n, r->status, r->next_url, r->request_id, r->content_type};
    okta_cache_put(c->cache, r->url, &answer);
  }
  request_done(c, r);
}

/* Collects finished transfers from the multi handle. */
static void collect_done(okta_client *c) {
  CURLMsg *m;
  int left;
  while ((m = curl_multi_info_read(c->multi, &left))) {
    if (m->msg != CURLMSG_DONE) continue;
    okta_request *r = NULL;
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
    if (!r) continue;
    transfer_done(c, r, m->data.result); /* may free r (a finished prefetch) */
  }
}

/* Milliseconds until a queued request that waits on time (a retry, a 429
** hold, a spent budget) may start, capped. Requests that only wait for a
** free slot are woken by the transfer that frees it. */
static int next_wake_ms(okta_client *c, int cap) {
  double now = okta_now_mono(), best = now + cap / 1000.0;
  for (okta_request *r = c->queue_head; r; r = r->next_in_queue) {
    double t = r->not_before, at = okta_bucket_ready_at(c->rl, r->bucket, now);
    if (at > t) t = at;
    if (t > now && t < best) best = t;
  }
  int ms = (int)((best - now) * 1000) + 1;
  return ms < 0 ? 0 : ms > cap ? cap : ms;
}

/* Runs one request to completion on its own (see http.h). */
void okta_client_perform(okta_client *c, okta_request *r) {
  request_attach(c, r);
  for (;;) {
    if (transfer_start(c, r, okta_now_mono(), 0)) return; /* r->error is set */
    transfer_done(c, r, curl_easy_perform(r->easy));
    if (r->state == REQ_DONE) return;
    /* retry_or_fail queued it again: wait for its time, then go again. */
    queue_remove(c, r);
    /* Sleep in short steps: sqlite3_interrupt ends the wait. */
    for (double wait; (wait = r->not_before - okta_now_mono()) > 0;) {
      if (c->interrupted && c->interrupted(c->interrupt_arg)) {
        request_fail(c, r, okta_strdup("interrupted"));
        return;
      }
      if (wait > 0.1) wait = 0.1;
      struct timespec ts = {0, (long)(wait * 1e9)};
      nanosleep(&ts, NULL);
    }
  }
}

/* One non-blocking round of the transfer loop. */
void okta_client_poll(okta_client *c) {
  if (!c->queue_head && !c->running) return;
  start_ready(c);
  int still = 0;
  /* A new transfer takes more than one round of libcurl's state machine
  ** before its request is on the wire. */
  for (int i = 0; i < 3; i++) curl_multi_perform(c->multi, &still);
  collect_done(c);
}

/* Drives every transfer until r is done; 1 when interrupted. */
int okta_client_wait(okta_client *c, okta_request *r) {
  if (r->state == REQ_NEW) okta_client_submit(c, r);
  while (r->state != REQ_DONE) {
    if (c->interrupted && c->interrupted(c->interrupt_arg)) return 1;
    start_ready(c);
    int still = 0;
    curl_multi_perform(c->multi, &still);
    collect_done(c);
    if (r->state == REQ_DONE) break;
    start_ready(c);
    int wait_ms = c->running ? 100 : next_wake_ms(c, 100);
    if (c->running) {
      long curl_ms = -1;
      curl_multi_timeout(c->multi, &curl_ms);
      if (curl_ms >= 0 && curl_ms < wait_ms) wait_ms = (int)curl_ms;
      /* Queued work waiting on a schedule must not sleep past its time. */
      if (c->queue_head) {
        int q = next_wake_ms(c, wait_ms);
        if (q < wait_ms) wait_ms = q;
      }
    }
    if (wait_ms > 0) curl_multi_poll(c->multi, NULL, 0, wait_ms, NULL);
    if (c->tick) {
      double now = okta_now_mono();
      if (now - c->last_tick >= 0.2) {
        c->last_tick = now;
        c->tick(c->tick_arg, c);
      }
    }
  }
  return 0;
}

/* Cancels and frees a request. */
void okta_request_free(okta_client *c, okta_request *r) {
  if (!r) return;
  if (c) {
    if (r->state == REQ_RUNNING) transfer_end(c, r);
    else if (r->state == REQ_QUEUED) queue_remove(c, r);
    else if (r->state == REQ_FOLLOWING && r->leader) {
      okta_request **pp = &r->leader->followers;
      while (*pp && *pp != r) pp = &(*pp)->next_follower;
      if (*pp) *pp = r->next_follower;
    }
  }
  if (r->flags & REQ_POST_FORM) okta_wipe(r->body.p, r->body.cap); /* a token response */
  okta_buf_free(&r->body);
  free(r->url);
  free(r->endpoint);
  okta_wipe_free(r->post_body); /* the client assertion */
  free(r->extra_headers);
  free(r->next_url);
  free(r->request_id);
  free(r->www_authenticate);
  free(r->dpop_nonce);
  free(r->error);
  free(r->retry_for);
  free(r->content_type);
  free(r);
}

int okta_client_pending(okta_client *c) {
  int n = c->running;
  for (okta_request *r = c->queue_head; r; r = r->next_in_queue) n++;
  return n;
}
int okta_client_running(okta_client *c) { return c->running; }

/* Seconds until the longest current rate-limit hold ends. */
double okta_client_rate_wait(okta_client *c) { return okta_ratelimit_longest_wait(c->rl, okta_now_mono()); }

/* ---------------------------------------------------------- diagnostics */

/* Keeps printable ASCII of an untrusted snippet, at most n bytes. */
static void append_clean(okta_buf *b, const char *s, size_t len, size_t n) {
  size_t i;
  for (i = 0; i < len && i < n; i++) {
    char ch = s[i];
    if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
    if ((unsigned char)ch < 0x20 || (unsigned char)ch > 0x7e) ch = '?';
    okta_buf_append(b, &ch, 1);
  }
  if (len > n) okta_buf_puts(b, "...");
}

/* Pulls one quoted parameter out of a WWW-Authenticate header. */
static char *auth_param(const char *h, const char *name) {
  size_t n = strlen(name);
  for (const char *p = h; (p = strstr(p, name)); p += n) {
    if ((p == h || p[-1] == ' ' || p[-1] == ',') && p[n] == '=' && p[n + 1] == '"') {
      const char *v = p + n + 2, *e = strchr(v, '"');
      if (e) return okta_strndup(v, (size_t)(e - v));
    }
  }
  return NULL;
}

static char *request_detail(okta_request *r);

/* Builds the error text of a failed or non-2xx request. */
char *okta_request_error(okta_request *r) {
  okta_buf b = {0};
  const char *method = (r->flags & REQ_POST_FORM) ? "POST" : "GET";
  okta_buf_printf(&b, "%s %s: ", method, r->endpoint);
  char *detail = request_detail(r);
  okta_buf_puts(&b, detail ? detail : "out of memory");
  free(detail);
  return okta_buf_take(&b);
}

/* The part of an error after "GET /endpoint: ". */
static char *request_detail(okta_request *r) {
  okta_buf b = {0};
  if (r->error) {
    okta_buf_puts(&b, r->error);
    if (r->status && !strstr(r->error, " (request ") && r->request_id)
      okta_buf_printf(&b, " (request %s)", r->request_id);
    return okta_buf_take(&b);
  }
  okta_buf_printf(&b, "%ld", r->status);
  cJSON *j = r->body.n ? cJSON_ParseWithLength(r->body.p, r->body.n) : NULL;
  const cJSON *code = cJSON_GetObjectItemCaseSensitive(j, "errorCode");
  const cJSON *summary = cJSON_GetObjectItemCaseSensitive(j, "errorSummary");
  const cJSON *oauth_err = cJSON_GetObjectItemCaseSensitive(j, "error");
  const cJSON *oauth_desc = cJSON_GetObjectItemCaseSensitive(j, "error_description");
  if (cJSON_IsString(code)) okta_buf_printf(&b, " %.100s", code->valuestring);
  if (cJSON_IsString(summary)) {
    okta_buf_puts(&b, " ");
    append_clean(&b, summary->valuestring, strlen(summary->valuestring), 300);
    const cJSON *cause;
    cJSON_ArrayForEach(cause, cJSON_GetObjectItemCaseSensitive(j, "errorCauses")) {
      const cJSON *s = cJSON_GetObjectItemCaseSensitive(cause, "errorSummary");
      if (cJSON_IsString(s)) {
        okta_buf_puts(&b, "; ");
        append_clean(&b, s->valuestring, strlen(s->valuestring), 200);
      }
    }
  } else if (cJSON_IsString(oauth_err)) {
    okta_buf_printf(&b, " %.100s", oauth_err->valuestring);
    if (cJSON_IsString(oauth_desc)) {
      okta_buf_puts(&b, ": ");
      append_clean(&b, oauth_desc->valuestring, strlen(oauth_desc->valuestring), 300);
    }
  } else if (r->www_authenticate && strstr(r->www_authenticate, "insufficient_scope")) {
    char *scope = auth_param(r->www_authenticate, "scope");
    okta_buf_printf(&b, " insufficient_scope: the access token lacks scope %s (grant it to the "
                        "service app under Okta API Scopes)", scope ? scope : "?");
    free(scope);
  } else if (r->body.n) {
    okta_buf_printf(&b, " (unexpected %s body: ", r->content_type ? r->content_type : "non-JSON");
    append_clean(&b, r->body.p, r->body.n, 120);
    okta_buf_puts(&b, ")");
  } else {
    okta_buf_puts(&b, " (empty body)");
  }
  cJSON_Delete(j);
  if (r->request_id) okta_buf_printf(&b, " (request %.100s)", r->request_id);
  return okta_buf_take(&b);
}

/* Parses a successful response body as JSON. */
cJSON *okta_request_json(okta_request *r, char **err) {
  okta_buf b = {0};
  *err = NULL;
  const char *ct = r->content_type;
  if (r->body.n == 0) {
    okta_buf_printf(&b, "GET %s: %ld with an empty body where JSON was expected", r->endpoint, r->status);
  } else if (ct && !strstr(ct, "json")) {
    okta_buf_printf(&b, "GET %s: %ld with a %s body where JSON was expected (a proxy or captive portal?): ",
                    r->endpoint, r->status, ct);
    append_clean(&b, r->body.p, r->body.n, 80);
  } else {
    size_t bad;
    if (!okta_utf8_valid(r->body.p, r->body.n, &bad)) {
      okta_buf_printf(&b, "GET %s: response is not valid UTF-8 (byte %zu)", r->endpoint, bad);
    } else {
      const char *end = NULL;
      cJSON *j = cJSON_ParseWithLengthOpts(r->body.p, r->body.n, &end, 0);
      if (j) {
        while (end && end < r->body.p + r->body.n &&
               (*end == ' ' || *end == '\n' || *end == '\r' || *end == '\t'))
          end++;
        if (!end || end == r->body.p + r->body.n) {
          okta_buf_free(&b);
          return j;
        }
        cJSON_Delete(j);
      }
      size_t at = end ? (size_t)(end - r->body.p) : 0;
      okta_buf_printf(&b, "GET %s: malformed JSON in the response at byte %zu of %zu%s", r->endpoint,
                      at, r->body.n, at >= r->body.n ? " (truncated?)" : "");
    }
  }
  if (r->request_id) okta_buf_printf(&b, " (request %.100s)", r->request_id);
  *err = okta_buf_take(&b);
  return NULL;
}
