#include "CArtifactSQLite.h"

#include <stddef.h>

// sqlite-nio's copy of SQLite prefixes every symbol; its header is not visible to this target,
// so the one declaration needed is repeated here (sqlite_nio_sqlite3.h, SQLITE_DBCONFIG_ENABLE_QPSG).
int sqlite_nio_sqlite3_db_config(void *db, int op, ...);
#define ARTIFACTSTORE_SQLITE_DBCONFIG_ENABLE_QPSG 1007

int artifactstore_sqlite_enable_qpsg(void *db) {
    int enabled = 0;
    return sqlite_nio_sqlite3_db_config(db, ARTIFACTSTORE_SQLITE_DBCONFIG_ENABLE_QPSG, 1, &enabled);
}
