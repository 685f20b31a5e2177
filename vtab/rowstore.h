/*
** In-memory rows of SQL values with on-demand hash indexes (rowstore.c):
** how a table probed many times in one statement answers from one scan.
*/
#ifndef OKTA_ROWSTORE_H
#define OKTA_ROWSTORE_H

#include <sqlite3ext.h>
#include <stddef.h>
#include <stdint.h>

typedef struct okta_rowstore okta_rowstore;

/* A store of rows of ncol columns; only the columns in keep (bit i, bit 63
** for 63 and above, like colUsed) are stored, the others read as NULL. */
okta_rowstore *okta_rowstore_new(int ncol, uint64_t keep);
okta_rowstore *okta_rowstore_ref(okta_rowstore *rs);
void okta_rowstore_free(okta_rowstore *rs); /* drops one reference */
int okta_rowstore_add(okta_rowstore *rs, sqlite3_value **vals, int tag);
int okta_rowstore_tag(const okta_rowstore *rs, int row);
int okta_rowstore_count(const okta_rowstore *rs);
sqlite3_value *okta_rowstore_value(const okta_rowstore *rs, int row, int col);
/* Next row after `after` (-1: the first) whose column col has the text
** key; -1 when none, -2 when out of memory. */
int okta_rowstore_find(okta_rowstore *rs, int col, const char *key, int nkey, int after);

/* A rowid from the texts of a row's key columns (NULL parts allowed). */
sqlite3_int64 okta_key_hash(const char *const *parts, const size_t *lens, int n);

/* Probing policy shared by the engine and the graph (see rowstore.c). */
struct okta_client;
long okta_pages_read(struct okta_client *c);
int okta_probe_build_now(long probes, long probe_pages, long max_probe, long full_pages, double expected_more,
                         double est_per_probe);

#endif
