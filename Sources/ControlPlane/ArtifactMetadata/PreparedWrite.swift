package import SQLKit

/// A write statement (`INSERT`, `UPDATE`, `DELETE`) whose text never changes, run in a
/// transaction with values bound to its `?` placeholders; running it tells how many rows it
/// inserted, updated or deleted.
///
/// Exists for the statements every small upload runs (linking a blob: its row, the namespace's
/// link, the usage change, the audit record). Through sql-kit each was built as a query string
/// and serialised again on every run, and the ones whose caller must know whether a row changed
/// (an `INSERT … ON CONFLICT DO NOTHING`) said so with `RETURNING`, for which SQLite fills a
/// temporary table it then reads back. On the SQLite writer (``SQLiteWriter``) the text is the
/// key of a kept statement, the values are bound as they are, and the count is SQLite's own
/// (`sqlite3_changes64`); on PostgreSQL and on an in-memory store the same text runs through
/// sql-kit with `RETURNING 1` appended and the count is the rows it returned: one set of
/// semantics on both engines.
///
/// Promises: the text is fixed at compile time by its author, holds one `?` per bound value in
/// order and no `?` anywhere else (no literal contains one), returns no rows of its own (no
/// `RETURNING`), and is a single `INSERT`, `UPDATE` or `DELETE` to which `RETURNING 1` may be
/// appended.
public struct PreparedWrite: Sendable, Hashable {
    /// The statement, with `?` placeholders.
    public let sql: String

    public init(_ sql: String) {
        self.sql = sql
    }
}

extension SQLDatabase {
    /// Runs `write` with `binds` (one per `?`, in order), in the transaction this database is;
    /// returns how many rows it inserted, updated or deleted.
    package func changes(_ write: PreparedWrite, binding binds: [PreparedValue]) async throws -> Int {
        if let writer = self as? SQLiteWriterDatabase {
            return try writer.writer.changes(write.sql, binds.map(SQLiteWriterDatabase.data(of:)))
        }
        var query = SQLQueryString(prepared: write.sql, binding: binds)
        query.appendLiteral(" RETURNING 1")
        return try await raw(query).all().count
    }
}
