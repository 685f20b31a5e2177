/*
** okta-sqlite3's start-up hook: SQLite's own shell (shell.c, generated from
** the sqlite3 source package at the system's SQLite version; make static)
** calls the function named by -DSQLITE_SHELL_INIT_PROC in place of its
** sqlite3_initialize(), after its command-line options are read and before
** it opens any database. This one registers sqlite-okta (compiled with
** -DSQLITE_CORE) as an auto-extension, so every connection the shell opens,
** including .open and ATTACHed ones, has the okta_* tables and functions.
**
**   cc -DSQLITE_SHELL_INIT_PROC=okta_shell_init shell.c tools/shell_init.c ...
*/
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

int sqlite3_okta_init(sqlite3 *db, char **pzErrMsg, const sqlite3_api_routines *pApi);
void okta_shell_init(void);

/* The shell's init hook: does what the shell would have done (initialize
** SQLite), then makes the extension part of every new connection. */
void okta_shell_init(void) {
  int rc = sqlite3_initialize();
  if (rc == SQLITE_OK) rc = sqlite3_auto_extension((void (*)(void))sqlite3_okta_init);
  if (rc != SQLITE_OK) {
    fprintf(stderr, "okta-sqlite3: cannot register sqlite-okta: %s\n", sqlite3_errstr(rc));
    exit(1);
  }
}
