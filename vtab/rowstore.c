/*
** A row store: rows of SQL values held in memory, with hash indexes built
** on demand over the text of a column.
**
** When one statement probes a table by key many times (the inner side of a
** join, okta_entities looked up for every edge), reading the whole table
** once into a store and answering every probe from it costs one scan
** instead of one lookup per outer row. Only the columns the statement uses
** are kept (sqlite3_index_info.colUsed), so memory is bounded by what the
** query reads, not by the org.
*/
#include "rowstore.h"
#include "../ext/http.h"

#include <stdlib.h>
#include <string.h>

SQLITE_EXTENSION_INIT3

typedef struct rs_index {
  int col;
  size_t nbucket;
  int *head;  /* per bucket: first row, -1 */
  int *next;  /* per row: next row of the same bucket, -1 */
} rs_index;

struct okta_rowstore {
  int refs;
  int ncol;
  uint64_t keep;          /* columns stored (bit i; bit 63: 63 and above) */
  sqlite3_value **vals;   /* nrow x ncol, NULL where not kept */
  int *tags;              /* per row: a number the owner gives it */
  int nrow, cap;
  rs_index idx[4];
  int nidx;
};

/* FNV-1a of n bytes. */
static uint64_t rs_hash(const unsigned char *p, int n) {
  uint64_t h = 1469598103934665603ULL;
  for (int i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

/* 1 when column i is kept. */
static int rs_keeps(const okta_rowstore *rs, int i) {
  return (rs->keep >> (i < 63 ? i : 63)) & 1;
}

okta_rowstore *okta_rowstore_new(int ncol, uint64_t keep) {
  okta_rowstore *rs = calloc(1, sizeof(*rs));
  if (!rs) return NULL;
  rs->refs = 1;
  rs->ncol = ncol;
  rs->keep = keep;
  return rs;
}

/* One more holder (a cursor answering from the store while its table may
** replace it). */
okta_rowstore *okta_rowstore_ref(okta_rowstore *rs) {
  if (rs) rs->refs++;
  return rs;
}

/* Drops a holder; the last one frees the store. */
void okta_rowstore_free(okta_rowstore *rs) {
  if (!rs || --rs->refs > 0) return;
  for (size_t i = 0; i < (size_t)rs->nrow * (size_t)rs->ncol; i++) sqlite3_value_free(rs->vals[i]);
  free(rs->vals);
  free(rs->tags);
  for (int i = 0; i < rs->nidx; i++) {
    free(rs->idx[i].head);
    free(rs->idx[i].next);
  }
  free(rs);
}

int okta_rowstore_count(const okta_rowstore *rs) { return rs->nrow; }

/* Appends a row with a tag; vals[i] for every column (NULL pointers read
** as NULL). Invalidates the indexes. Returns SQLITE_OK or SQLITE_NOMEM. */
int okta_rowstore_add(okta_rowstore *rs, sqlite3_value **vals, int tag) {
  if (rs->nrow == rs->cap) {
    int cap = rs->cap ? rs->cap * 2 : 256;
    sqlite3_value **v = realloc(rs->vals, sizeof(*v) * (size_t)cap * (size_t)(rs->ncol ? rs->ncol : 1));
    if (!v) return SQLITE_NOMEM;
    rs->vals = v;
    int *t = realloc(rs->tags, sizeof(int) * (size_t)cap);
    if (!t) return SQLITE_NOMEM;
    rs->tags = t;
    rs->cap = cap;
  }
  rs->tags[rs->nrow] = tag;
  sqlite3_value **row = rs->vals + (size_t)rs->nrow * (size_t)rs->ncol;
  for (int i = 0; i < rs->ncol; i++) {
    row[i] = NULL;
    if (!rs_keeps(rs, i) || !vals[i]) continue;
    if (!(row[i] = sqlite3_value_dup(vals[i]))) {
      for (int k = 0; k < i; k++) sqlite3_value_free(row[k]);
      return SQLITE_NOMEM;
    }
  }
  rs->nrow++;
  for (int i = 0; i < rs->nidx; i++) {
    free(rs->idx[i].head);
    free(rs->idx[i].next);
  }
  rs->nidx = 0;
  return SQLITE_OK;
}

int okta_rowstore_tag(const okta_rowstore *rs, int row) { return rs->tags[row]; }

sqlite3_value *okta_rowstore_value(const okta_rowstore *rs, int row, int col) {
  return rs->vals[(size_t)row * (size_t)rs->ncol + (size_t)col];
}

/* The index over column col, built on first use. */
static rs_index *rs_index_of(okta_rowstore *rs, int col) {
  for (int i = 0; i < rs->nidx; i++) {
    if (rs->idx[i].col == col) return &rs->idx[i];
  }
  if (rs->nidx == (int)(sizeof(rs->idx) / sizeof(rs->idx[0]))) {
    free(rs->idx[0].head);
    free(rs->idx[0].next);
    memmove(rs->idx, rs->idx + 1, sizeof(rs->idx[0]) * (size_t)--rs->nidx);
  }
  rs_index *x = &rs->idx[rs->nidx];
  x->col = col;
  x->nbucket = 64;
  while (x->nbucket < (size_t)rs->nrow * 2) x->nbucket *= 2;
  x->head = malloc(sizeof(int) * x->nbucket);
  x->next = malloc(sizeof(int) * (size_t)(rs->nrow ? rs->nrow : 1));
  if (!x->head || !x->next) {
    free(x->head);
    free(x->next);
    return NULL;
  }
  memset(x->head, 0xff, sizeof(int) * x->nbucket);
  for (int r = rs->nrow - 1; r >= 0; r--) { /* chains in row order */
    sqlite3_value *v = okta_rowstore_value(rs, r, col);
    x->next[r] = -1;
    if (!v || sqlite3_value_type(v) == SQLITE_NULL) continue;
    const unsigned char *t = sqlite3_value_text(v);
    size_t b = rs_hash(t, sqlite3_value_bytes(v)) & (x->nbucket - 1);
    x->next[r] = x->head[b];
    x->head[b] = r;
  }
  rs->nidx++;
  return x;
}

/* Row whose column col equals key (as text), from row `after` + 1 on
** (after = -1 for the first); -1 when none, -2 on OOM. */
int okta_rowstore_find(okta_rowstore *rs, int col, const char *key, int nkey, int after) {
  rs_index *x = rs_index_of(rs, col);
  if (!x) return -2;
  int r = after < 0 ? x->head[rs_hash((const unsigned char *)key, nkey) & (x->nbucket - 1)] : x->next[after];
  for (; r >= 0; r = x->next[r]) {
    sqlite3_value *v = okta_rowstore_value(rs, r, col);
    if (sqlite3_value_bytes(v) == nkey && memcmp(sqlite3_value_text(v), key, (size_t)nkey) == 0) return r;
  }
  return -1;
}

/* 64-bit FNV-1a over several texts (with a separator that tells NULL from
** ''), finished with splitmix64's mixer: a rowid derived from a row's key. */
sqlite3_int64 okta_key_hash(const char *const *parts, const size_t *lens, int n) {
  uint64_t h = 1469598103934665603ULL;
  for (int i = 0; i < n; i++) {
    for (size_t k = 0; parts[i] && k < lens[i]; k++) h = (h ^ (unsigned char)parts[i][k]) * 1099511628211ULL;
    h = (h ^ (parts[i] ? 0x1f : 0x1e)) * 1099511628211ULL;
  }
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return (sqlite3_int64)(h >> 1);
}

/* Pages read by the client: requests sent plus responses served from the
** cache. Both cost time (a round trip, or parsing), so probes are priced
** in pages. */
long okta_pages_read(okta_client *c) {
  long n = 0;
  for (okta_endpoint *e = c ? okta_client_endpoints(c) : NULL; e; e = e->next) n += e->requests + e->cache_hits;
  return n;
}

/* The probe policy (ski rental): keep answering probes one by one until
** what they cost reaches the price of reading everything once, then read
** everything once. full_pages is that price (<= 0: unknown, then taken as
** the larger of 256 pages and four times the costliest probe). When the
** driving side is known to bring expected_more probes that would cost more
** than the scan (at the cost measured so far, or est_per_probe before the
** first), the scan is read at once. */
int okta_probe_build_now(long probes, long probe_pages, long max_probe, long full_pages, double expected_more,
                         double est_per_probe) {
  long full = full_pages > 0 ? full_pages : (4 * max_probe > 256 ? 4 * max_probe : 256);
  double per_probe = probes > 0 ? (double)probe_pages / (double)probes : est_per_probe;
  if (per_probe < 1) per_probe = 1;
  if (expected_more > 0 && expected_more * per_probe >= (double)full) return 1;
  return probes > 0 && probe_pages >= full;
}
