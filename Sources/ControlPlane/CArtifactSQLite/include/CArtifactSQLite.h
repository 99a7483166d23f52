#ifndef C_ARTIFACT_SQLITE_H
#define C_ARTIFACT_SQLITE_H

/// Turns on SQLite's query planner stability guarantee (SQLITE_DBCONFIG_ENABLE_QPSG) for the
/// connection `db` (an `sqlite3 *` of sqlite-nio's copy of SQLite). Returns SQLite's status.
///
/// Exists because `sqlite3_db_config` is variadic, which Swift cannot call. Without the guarantee,
/// a statement that joins two tables is prepared again every time a new value is bound (its plan
/// may depend on the value), which undoes keeping it prepared.
int artifactstore_sqlite_enable_qpsg(void *db);

#endif
