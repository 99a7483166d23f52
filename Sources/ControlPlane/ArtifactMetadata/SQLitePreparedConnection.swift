// sqlite-nio's own copy of SQLite. sqlite-nio prepares every statement anew and offers no way
// to keep one, so the few statements of the read path run here, on the same library: a second
// copy of SQLite in the process (a system libsqlite3, or GRDB's) would track the file's POSIX
// locks on its own, and one copy closing the file drops the other's locks
// (https://sqlite.org/howtocorrupt.html, 2.2.1).
import CArtifactSQLite
import VaporCSQLite

/// One read-only connection to an SQLite file that keeps every statement it prepared, so the
/// next run of the same text only binds and steps. See ``PreparedRead``.
///
/// Not thread-safe by itself: its owner (``SQLiteReadPool``) keeps it in a `Mutex` and runs it on
/// one of its threads at a time.
struct SQLitePreparedConnection: ~Copyable {
    private let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]

    /// The most statements kept; past it the cache starts over (the read path has a handful).
    static let statementCapacity = 32

    /// Opens `path` (an SQLite file already in WAL mode) for reading only.
    init(path: String) throws(SQLitePreparedError) {
        // As SQLiteReadPool's connections: a statement that would write fails instead of taking
        // the write lock behind the group commit's back.
        handle = try SQLiteKeptStatementHandle.open(
            path,
            flags: SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
            role: "for reading",
            pragma: "PRAGMA query_only=1"
        )
    }

    deinit {
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
        sqlite_nio_sqlite3_close(handle)
    }

    /// Runs `read` with `binds`; its rows, each value read as the column's type says.
    mutating func rows(of read: PreparedRead, binding binds: [PreparedValue]) throws(SQLitePreparedError) -> [PreparedRow] {
        let statement = try prepared(read.sql)
        defer {
            sqlite_nio_sqlite3_reset(statement)
            sqlite_nio_sqlite3_clear_bindings(statement)
        }
        for (offset, value) in binds.enumerated() {
            let index = Int32(offset + 1)
            let status: Int32
            switch value {
            case .text(let text):
                status = sqlite_nio_sqlite3_bind_text64(statement, index, text, UInt64(text.utf8.count), Self.transient, UInt8(SQLITE_UTF8))
            case .integer(let integer):
                status = sqlite_nio_sqlite3_bind_int64(statement, index, integer)
            case .null:
                status = sqlite_nio_sqlite3_bind_null(statement, index)
            }
            guard status == SQLITE_OK else { throw failure("binding value \(index)") }
        }
        var rows: [PreparedRow] = []
        while true {
            switch sqlite_nio_sqlite3_step(statement) {
            case SQLITE_ROW:
                rows.append(PreparedRow(values: read.columns.indices.map { Self.value(statement, column: Int32($0)) }))
            case SQLITE_DONE:
                return rows
            default:
                throw failure("running a prepared read")
            }
        }
    }

    /// Prepares and keeps `read`'s statement now, if it is not kept yet, so its first run only
    /// binds and steps. The first statement a connection prepares also loads the schema.
    mutating func prepare(_ read: PreparedRead) throws(SQLitePreparedError) {
        _ = try prepared(read.sql)
    }

    /// How many times SQLite has had to prepare the kept statement for `sql` again since it was
    /// first prepared (`SQLITE_STMTSTATUS_REPREPARE`); `nil` when none is kept. A statement
    /// whose plan could depend on a bound value is prepared again at every new value, which
    /// would undo the point of keeping it.
    func reprepareCount(of sql: String) -> Int? {
        statements[sql].map { Int(sqlite_nio_sqlite3_stmt_status($0, SQLITE_STMTSTATUS_REPREPARE, 0)) }
    }

    /// The kept statement for `sql`, prepared now if it is new.
    private mutating func prepared(_ sql: String) throws(SQLitePreparedError) -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        if statements.count >= Self.statementCapacity {
            for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
            statements.removeAll(keepingCapacity: true)
        }
        var statement: OpaquePointer?
        let status = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard status == SQLITE_OK, let statement else { throw failure("preparing a read") }
        statements[sql] = statement
        return statement
    }

    private static func value(_ statement: OpaquePointer, column: Int32) -> PreparedValue {
        switch sqlite_nio_sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER:
            return .integer(sqlite_nio_sqlite3_column_int64(statement, column))
        case SQLITE_NULL:
            return .null
        default:
            guard let text = sqlite_nio_sqlite3_column_text(statement, column) else { return .null }
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        }
    }

    private func failure(_ doing: String) -> SQLitePreparedError {
        SQLitePreparedError("\(doing) failed: \(String(cString: sqlite_nio_sqlite3_errmsg(handle)))")
    }

    /// `SQLITE_TRANSIENT`: SQLite copies a bound value before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}

/// What went wrong in a ``SQLitePreparedConnection``, in SQLite's words; the metadata store wraps
/// it as any other database failure.
struct SQLitePreparedError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
