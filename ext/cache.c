/*
** The response cache: see cache.h for the contract. A hash table of
** chained entries (FNV-1a of the URL) threaded on one LRU list.
*/
#include "cache.h"

#include "okta.h"

#include <stdlib.h>
#include <string.h>

#define CACHE_BUCKETS 8192

typedef struct entry {
  okta_cache_entry a;
  char *url;
  uint64_t hash;
  double expires;
  size_t cost;
  struct entry *chain, *lru_prev, *lru_next;
} entry;

struct okta_cache {
  double ttl;
  size_t budget, used;
  long count;
  entry *buckets[CACHE_BUCKETS];
  entry *lru_head, *lru_tail; /* head = most recently used */
};

okta_cache *okta_cache_new(double ttl, size_t budget) {
  okta_cache *k = calloc(1, sizeof(*k));
  if (!k) return NULL;
  k->ttl = ttl;
  k->budget = budget;
  return k;
}

void okta_cache_free(okta_cache *k) {
  if (!k) return;
  okta_cache_clear(k);
  free(k);
}

/* FNV-1a of a URL. */
static uint64_t hash_url(const char *s) {
  uint64_t h = 1469598103934665603ULL;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
  return h;
}

/* Unlinks an entry from the LRU list. */
static void lru_unlink(okta_cache *k, entry *e) {
  if (e->lru_prev) e->lru_prev->lru_next = e->lru_next;
  else k->lru_head = e->lru_next;
  if (e->lru_next) e->lru_next->lru_prev = e->lru_prev;
  else k->lru_tail = e->lru_prev;
  e->lru_prev = e->lru_next = NULL;
}

/* Puts an entry at the most-recently-used end. */
static void lru_push(okta_cache *k, entry *e) {
  e->lru_next = k->lru_head;
  e->lru_prev = NULL;
  if (k->lru_head) k->lru_head->lru_prev = e;
  k->lru_head = e;
  if (!k->lru_tail) k->lru_tail = e;
}

/* Frees an entry's memory (not linked anywhere). */
static void entry_free(entry *e) {
  free(e->url);
  free(e->a.body);
  free(e->a.next_url);
  free(e->a.request_id);
  free(e->a.content_type);
  free(e);
}

/* Removes an entry from the cache and frees it. */
static void cache_drop(okta_cache *k, entry *e) {
  entry **pp = &k->buckets[e->hash % CACHE_BUCKETS];
  while (*pp && *pp != e) pp = &(*pp)->chain;
  if (*pp) *pp = e->chain;
  lru_unlink(k, e);
  k->used -= e->cost;
  k->count--;
  entry_free(e);
}

/* Empties the cache. */
void okta_cache_clear(okta_cache *k) {
  while (k->lru_head) cache_drop(k, k->lru_head);
}

/* The entry for url, expired or not. */
static entry *cache_lookup(okta_cache *k, const char *url) {
  uint64_t h = hash_url(url);
  for (entry *e = k->buckets[h % CACHE_BUCKETS]; e; e = e->chain) {
    if (e->hash == h && strcmp(e->url, url) == 0) return e;
  }
  return NULL;
}

/* Fresh entry for url, or NULL. */
const okta_cache_entry *okta_cache_get(okta_cache *k, const char *url) {
  entry *e = cache_lookup(k, url);
  if (!e) return NULL;
  if (e->expires < okta_now_mono()) {
    cache_drop(k, e);
    return NULL;
  }
  lru_unlink(k, e);
  lru_push(k, e);
  return &e->a;
}

int okta_cache_has(okta_cache *k, const char *url) {
  entry *e = cache_lookup(k, url);
  return e && e->expires >= okta_now_mono();
}

/* Stores a successful response, evicting least recently used entries. */
void okta_cache_put(okta_cache *k, const char *url, const okta_cache_entry *a) {
  size_t cost = a->len + strlen(url) + sizeof(entry) + 64 + (a->next_url ? strlen(a->next_url) : 0);
  if (cost > k->budget / 4) return; /* one response may not flush the rest */
  entry *old = cache_lookup(k, url);
  if (old) cache_drop(k, old);
  while (k->lru_tail && k->used + cost > k->budget) cache_drop(k, k->lru_tail);
  entry *e = calloc(1, sizeof(*e));
  if (!e) return;
  e->url = okta_strdup(url);
  e->a.body = okta_strndup(a->body ? a->body : "", a->len);
  e->a.len = a->len;
  e->a.status = a->status;
  e->a.next_url = okta_strdup(a->next_url);
  e->a.request_id = okta_strdup(a->request_id);
  e->a.content_type = okta_strdup(a->content_type);
  if (!e->url || !e->a.body) {
    entry_free(e);
    return;
  }
  e->hash = hash_url(e->url);
  e->expires = okta_now_mono() + k->ttl;
  e->cost = cost;
  e->chain = k->buckets[e->hash % CACHE_BUCKETS];
  k->buckets[e->hash % CACHE_BUCKETS] = e;
  lru_push(k, e);
  k->used += cost;
  k->count++;
}

int64_t okta_cache_bytes(okta_cache *k) { return (int64_t)k->used; }
long okta_cache_entries(okta_cache *k) { return k->count; }
