/*
** Shared sources and table descriptors of vtab/.
*/
#ifndef OKTA_TABLES_H
#define OKTA_TABLES_H

#include "table.h"

SQLITE_EXTENSION_INIT3

extern const okta_source okta_users_all;
extern const okta_source okta_user_by_id;

extern const okta_table okta_users_table;

#endif
