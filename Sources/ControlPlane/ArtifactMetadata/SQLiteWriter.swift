// sqlite-nio's own copy of SQLite, as SQLitePreparedConnection: one copy of SQLite in the process.
import CArtifactSQLite
import NIOCore
import SQLiteKit
import Synchronization
import VaporCSQLite

/// The one read-write connection to an SQLite database, keeping every statement it prepared, so
/// the next run of the same text only binds and steps.
///
/// Exists because sqlite-nio prepares every statement anew (parse, plan, code generation), which
/// was most of what SQLite cost a small upload: its link transaction and the audit and usage
/// bookkeeping behind it run the same dozen texts thousands of times. It also runs each
/// statement on the calling thread instead of handing it to a thread pool and waiting for the
/// answer: its callers are the group commit and the writer's turns (``SQLiteGroupCommit``), which
/// already run on the connection's own thread, so a statement costs no thread switch at all.
///
/// Promises the same as an sqlite-nio connection: each statement runs alone, to its end, with
/// its values bound as sqlite-kit encodes them, and its rows read as sqlite-nio reads them; a
/// kept statement is reset after every run, so it holds no lock and no read snapshot. Schema
/// changes need nothing: SQLite prepares a kept statement again when the schema it was planned
/// for has changed.
final class SQLiteWriter: Sendable {
    private let connection: Mutex<Connection>

    /// Opens (creating) `path`, `":memory:"` for a private in-memory database.
    init(path: String) throws(SQLitePreparedError) {
        connection = Mutex(try Connection(path: path))
    }

    /// Runs `sql` with `binds` to its end; its rows.
    func run(_ sql: String, _ binds: [SQLiteData]) throws(SQLitePreparedError) -> [SQLiteWriterRow] {
        try connection.withLock { connection throws(SQLitePreparedError) in try connection.run(sql, binds) }
    }

    /// Runs `sql` (a statement that returns no rows) with `binds` to its end; how many rows it
    /// inserted, updated or deleted (`sqlite3_changes64`: a conflict left alone, or an upsert
    /// whose `WHERE` kept it from updating, is no change).
    func changes(_ sql: String, _ binds: [SQLiteData]) throws(SQLitePreparedError) -> Int {
        try connection.withLock { connection throws(SQLitePreparedError) in try connection.changes(sql, binds) }
    }

    /// How many statements are kept, and how many times SQLite has prepared the one for `sql`
    /// again since it was first prepared (`nil` when none is kept). For tests.
    func keptStatements(reprepareCountOf sql: String) -> (kept: Int, reprepares: Int?) {
        connection.withLock { ($0.statements.count, $0.statements[sql].map { Int($0.reprepares) }) }
    }

    /// Finalizes every kept statement and closes the connection; later runs fail.
    func close() {
        connection.withLock { $0.close() }
    }
}

extension SQLiteWriter {
    /// The handle and its kept statements; closed with its last reference.
    struct Connection: ~Copyable {
        struct Kept {
            let statement: OpaquePointer
            /// The result columns' names, as of ``reprepares``.
            var columns: SQLiteWriterRow.Columns
            /// `SQLITE_STMTSTATUS_REPREPARE` when ``columns`` were read: a statement prepared
            /// again (the schema changed) may return other columns.
            var reprepares: Int32
            /// When it last ran (``Connection/tick``), to drop the longest unused when full.
            var lastUsed: UInt64
        }

        /// `nil` once closed.
        private var handle: OpaquePointer?
        fileprivate(set) var statements: [String: Kept] = [:]
        private var tick: UInt64 = 0

        /// The most statements kept. Texts that differ by more than their bound values (an `IN`
        /// list of varying length) would otherwise pile up; the longest unused is dropped.
        static let capacity = 128

        init(path: String) throws(SQLitePreparedError) {
            // Idempotent; sqlite-nio calls it before its first open too.
            sqlite_nio_sqlite3_initialize()
            // sqlite-nio's flags: serialized mode, URIs, extended result codes.
            let flags = SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_URI | SQLITE_OPEN_EXRESCODE
            handle = try SQLiteKeptStatementHandle.open(path, flags: flags, role: "for writing")
        }

        deinit {
            for kept in statements.values { sqlite_nio_sqlite3_finalize(kept.statement) }
            if let handle { sqlite_nio_sqlite3_close(handle) }
        }

        mutating func close() {
            for kept in statements.values { sqlite_nio_sqlite3_finalize(kept.statement) }
            statements = [:]
            if let handle { sqlite_nio_sqlite3_close(handle) }
            handle = nil
        }

        mutating func run(_ sql: String, _ binds: [SQLiteData]) throws(SQLitePreparedError) -> [SQLiteWriterRow] {
            let kept = try prepared(sql)
            let statement = kept.statement
            defer {
                sqlite_nio_sqlite3_reset(statement)
                sqlite_nio_sqlite3_clear_bindings(statement)
            }
            for (offset, value) in binds.enumerated() {
                let index = Int32(offset + 1)
                let status: Int32
                switch value {
                case .integer(let integer):
                    status = sqlite_nio_sqlite3_bind_int64(statement, index, Int64(integer))
                case .text(let text):
                    status = sqlite_nio_sqlite3_bind_text64(
                        statement,
                        index,
                        text,
                        UInt64(text.utf8.count),
                        Self.transient,
                        UInt8(SQLITE_UTF8)
                    )
                case .null:
                    status = sqlite_nio_sqlite3_bind_null(statement, index)
                case .float(let double):
                    status = sqlite_nio_sqlite3_bind_double(statement, index, double)
                case .blob(let bytes):
                    status = bytes.withUnsafeReadableBytes {
                        sqlite_nio_sqlite3_bind_blob64(statement, index, $0.baseAddress, UInt64($0.count), Self.transient)
                    }
                }
                guard status == SQLITE_OK else { throw failure("binding value \(index) of a statement") }
            }
            var columns = kept.columns
            var rows: [SQLiteWriterRow] = []
            while true {
                switch sqlite_nio_sqlite3_step(statement) {
                case SQLITE_ROW:
                    let reprepares = sqlite_nio_sqlite3_stmt_status(statement, SQLITE_STMTSTATUS_REPREPARE, 0)
                    if reprepares != kept.reprepares {
                        columns = Self.columns(of: statement)
                        statements[sql]?.columns = columns
                        statements[sql]?.reprepares = reprepares
                    }
                    let count = Int32(columns.names.count)
                    rows.append(SQLiteWriterRow(columns: columns, values: (0..<count).map { Self.value(statement, column: $0) }))
                case SQLITE_DONE:
                    return rows
                default:
                    throw failure("running a statement")
                }
            }
        }

        mutating func changes(_ sql: String, _ binds: [SQLiteData]) throws(SQLitePreparedError) -> Int {
            _ = try run(sql, binds)
            guard let handle else { throw SQLitePreparedError("running a statement failed: the SQLite writer is closed") }
            return Int(sqlite_nio_sqlite3_changes64(handle))
        }

        /// The kept statement for `sql`, prepared now if it is new.
        private mutating func prepared(_ sql: String) throws(SQLitePreparedError) -> Kept {
            guard let handle else { throw SQLitePreparedError("running a statement failed: the SQLite writer is closed") }
            tick &+= 1
            if let kept = statements[sql] {
                statements[sql]?.lastUsed = tick
                return kept
            }
            if statements.count >= Self.capacity, let oldest = statements.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
                sqlite_nio_sqlite3_finalize(oldest.value.statement)
                statements[oldest.key] = nil
            }
            var statement: OpaquePointer?
            let status = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
            guard status == SQLITE_OK else { throw failure("preparing a statement") }
            guard let statement else {
                // Only a comment or white space: nothing to run, as sqlite-nio's answer to it.
                throw SQLitePreparedError("preparing a statement failed: its text holds none")
            }
            let kept = Kept(
                statement: statement,
                columns: Self.columns(of: statement),
                reprepares: sqlite_nio_sqlite3_stmt_status(statement, SQLITE_STMTSTATUS_REPREPARE, 0),
                lastUsed: tick
            )
            statements[sql] = kept
            return kept
        }

        private static func columns(of statement: OpaquePointer) -> SQLiteWriterRow.Columns {
            let count = sqlite_nio_sqlite3_column_count(statement)
            return SQLiteWriterRow.Columns(
                names: (0..<count).map { index in sqlite_nio_sqlite3_column_name(statement, index).map { String(cString: $0) } ?? "" }
            )
        }

        /// Column `column` of the current row, read as sqlite-nio reads it.
        private static func value(_ statement: OpaquePointer, column: Int32) -> SQLiteData {
            switch sqlite_nio_sqlite3_column_type(statement, column) {
            case SQLITE_INTEGER:
                return .integer(.init(sqlite_nio_sqlite3_column_int64(statement, column)))
            case SQLITE_FLOAT:
                return .float(sqlite_nio_sqlite3_column_double(statement, column))
            case SQLITE_TEXT:
                guard let text = sqlite_nio_sqlite3_column_text(statement, column) else { return .null }
                return .text(String(cString: text))
            case SQLITE_BLOB:
                let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
                var buffer = ByteBufferAllocator().buffer(capacity: count)
                if let bytes = sqlite_nio_sqlite3_column_blob(statement, column) {
                    buffer.writeBytes(UnsafeRawBufferPointer(start: bytes, count: count))
                }
                return .blob(buffer)
            default:
                return .null
            }
        }

        private func failure(_ doing: String) -> SQLitePreparedError {
            SQLitePreparedError("\(doing) failed: \(handle.map { String(cString: sqlite_nio_sqlite3_errmsg($0)) } ?? "closed")")
        }

        /// `SQLITE_TRANSIENT`: SQLite copies a bound value before the call returns.
        private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
    }
}
