import CArtifactSQLite
import VaporCSQLite

/// Opening a handle on sqlite-nio's copy of SQLite for a connection that keeps its prepared
/// statements (``SQLitePreparedConnection``, the readers; ``SQLiteWriter``, the writer).
///
/// Both need the same two settings before their first statement, so they are made in one place:
/// a 10 s busy timeout, because another connection or process setting the file up (WAL mode, a
/// migration) holds it for a moment; and plans that never depend on a bound value (QPSG), or a
/// kept statement would be prepared again at every new value and nothing would be kept.
enum SQLiteKeptStatementHandle {
    /// Opens `path` with `flags`, runs `pragma` (if any) after the busy timeout and before the
    /// plans are fixed, and returns the handle; on any failure the handle is closed and the
    /// error says which step failed, naming `path` and `role` ("for reading", …).
    static func open(_ path: String, flags: Int32, role: String, pragma: String? = nil) throws(SQLitePreparedError) -> OpaquePointer {
        var opened: OpaquePointer?
        let status = sqlite_nio_sqlite3_open_v2(path, &opened, flags, nil)
        guard status == SQLITE_OK, let opened else {
            let message = opened.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "status \(status)"
            if let opened { sqlite_nio_sqlite3_close(opened) }
            throw SQLitePreparedError("cannot open \(path) \(role): \(message)")
        }
        func fail(_ step: String) -> SQLitePreparedError {
            let message = String(cString: sqlite_nio_sqlite3_errmsg(opened))
            sqlite_nio_sqlite3_close(opened)
            return SQLitePreparedError("cannot \(step) \(path) \(role): \(message)")
        }
        sqlite_nio_sqlite3_busy_timeout(opened, 10_000)
        if let pragma, sqlite_nio_sqlite3_exec(opened, pragma, nil, nil, nil) != SQLITE_OK {
            throw fail("run \"\(pragma)\" on")
        }
        guard artifactstore_sqlite_enable_qpsg(UnsafeMutableRawPointer(opened)) == SQLITE_OK else {
            throw fail("fix the query plans of")
        }
        return opened
    }
}
