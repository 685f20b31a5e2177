/*
** The response cache of one connection's client: answers by URL, fresh
** for a TTL, within a byte budget, least recently used out first.
**
**     okta_cache *k = okta_cache_new(ttl_seconds, budget_bytes);
**     const okta_cache_entry *e = okta_cache_get(k, url);   // NULL: not cached
**     okta_cache_put(k, url, &answer);                     // after a 2xx or 404
**     okta_cache_clear(k);
**
** One response may take at most a quarter of the budget, so a huge page
** cannot flush everything else.
*/
#ifndef OKTA_CACHE_H
#define OKTA_CACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct okta_cache okta_cache;

/* A cached answer: what a request needs to complete without the network. */
typedef struct okta_cache_entry {
  char *body;
  size_t len;
  long status;
  char *next_url;
  char *request_id;
  char *content_type;
} okta_cache_entry;

okta_cache *okta_cache_new(double ttl, size_t budget);
void okta_cache_free(okta_cache *k);
/* The fresh entry for url (now the most recently used), or NULL; an
** expired one is dropped. Valid until the next put or clear. */
const okta_cache_entry *okta_cache_get(okta_cache *k, const char *url);
/* True when a fresh entry for url exists; leaves the LRU order alone
** (a prefetch asking must not keep an entry alive). */
int okta_cache_has(okta_cache *k, const char *url);
/* Stores an answer for url (copies every field), replacing an older one. */
void okta_cache_put(okta_cache *k, const char *url, const okta_cache_entry *answer);
void okta_cache_clear(okta_cache *k);
int64_t okta_cache_bytes(okta_cache *k);
long okta_cache_entries(okta_cache *k);

#endif
