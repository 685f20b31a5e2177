/*
** Every descriptor-driven table, in the order they are registered.
*/
#include "tables.h"

const okta_table *const okta_table_list[] = {
  &okta_users_table,
};
const int okta_table_count = COUNT(okta_table_list);

/* Modules that are not descriptor-driven (none yet). */
int okta_register_extra_modules(sqlite3 *db, struct okta_ctx *ctx) {
  (void)db;
  (void)ctx;
  return SQLITE_OK;
}
