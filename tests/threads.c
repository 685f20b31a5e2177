/*
** Two (or more) connections in as many threads, querying the fake org at
** once; run under ThreadSanitizer by make test-tsan. Every thread must get
** the same answers as a single thread does.
**
** Usage: threads <extension> <threads>   (org and token from OKTA_CLIENT_*)
*/
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *ext;
static const char *const queries[] = {
  "SELECT count(*) FROM okta_users",
  "SELECT count(*) FROM okta_user_factors WHERE user_id IN (SELECT id FROM okta_users LIMIT 40)",
  "SELECT count(*) FROM okta_relationships WHERE class = 'HAS'",
  "SELECT count(*) FROM okta_users u JOIN okta_user_factors f ON f.user_id = u.id WHERE u.status = 'LOCKED_OUT'",
};
#define NQ (sizeof(queries) / sizeof(queries[0]))

typedef struct { long result[NQ]; int failed; } work;

static void *run(void *arg) {
  work *w = arg;
  sqlite3 *db;
  char *err = NULL;
  if (sqlite3_open(":memory:", &db) != SQLITE_OK) { w->failed = 1; return NULL; }
  sqlite3_enable_load_extension(db, 1);
  if (sqlite3_load_extension(db, ext, NULL, &err) != SQLITE_OK) {
    fprintf(stderr, "load: %s\n", err);
    sqlite3_free(err);
    w->failed = 1;
    sqlite3_close(db);
    return NULL;
  }
  for (size_t q = 0; q < NQ; q++) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, queries[q], -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
      fprintf(stderr, "%s: %s\n", queries[q], sqlite3_errmsg(db));
      w->failed = 1;
    } else {
      w->result[q] = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: threads <extension> <threads>\n"); return 2; }
  ext = argv[1];
  int n = atoi(argv[2]);
  work single = {0};
  run(&single); /* the reference answers, alone */
  if (single.failed) return 1;
  pthread_t *t = calloc((size_t)n, sizeof(pthread_t));
  work *w = calloc((size_t)n, sizeof(work));
  for (int i = 0; i < n; i++) pthread_create(&t[i], NULL, run, &w[i]);
  int bad = 0;
  for (int i = 0; i < n; i++) {
    pthread_join(t[i], NULL);
    if (w[i].failed || memcmp(w[i].result, single.result, sizeof(single.result)) != 0) bad++;
  }
  printf("%d threads: %d passed, %d failed\n", n, n - bad, bad);
  free(t);
  free(w);
  return bad ? 1 : 0;
}
