/* Shared by the fuzz targets: vtab/values.c is linked without SQLite, so
** the extension API pointer it declares is defined (and never used) here. */
#include <sqlite3ext.h>
const sqlite3_api_routines *sqlite3_api;
