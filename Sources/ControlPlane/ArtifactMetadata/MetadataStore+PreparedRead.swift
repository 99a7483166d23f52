import SQLKit

extension MetadataStore {
    /// Runs `read` with `binds` (one per `?`, in order) and returns its rows.
    ///
    /// On an SQLite file a reader of ``SQLiteReadPool`` runs the statement it prepared the first
    /// time it saw the text; on PostgreSQL and in memory the same text runs through
    /// ``read(_:)-swift.method`` as any other statement. Each sees every transaction committed
    /// before it began, as ``read(_:)-swift.method`` does.
    public func rows(of read: PreparedRead, binding binds: [PreparedValue]) async throws -> [PreparedRow] {
        try checkOpen()
        if case .sqlite(_, _, _, let readers?) = connection {
            do {
                return try await readers.rows(of: read, binding: binds)
            } catch {
                throw Self.wrap(error, location)
            }
        }
        return try await self.read { db in
            try await db.raw(read.queryString(binding: binds)).all().map { try PreparedRow($0, columns: read.columns) }
        }
    }

    /// Prepares `reads` now on every reader of an SQLite file, so the first run of each after
    /// a start finds its statement kept and the schema loaded; elsewhere does nothing (their
    /// reads are not kept). Call it after the migrations, which may change what a statement
    /// names.
    public func prepare(_ reads: [PreparedRead]) async throws {
        try checkOpen()
        guard case .sqlite(_, _, _, let readers?) = connection else { return }
        do {
            try await readers.prepare(reads)
        } catch {
            throw Self.wrap(error, location)
        }
    }

    /// On an SQLite file, how many times each reader that keeps `read`'s statement has had to
    /// prepare it again (see ``SQLitePreparedConnection``); `nil` elsewhere. For tests.
    package func reprepareCounts(of read: PreparedRead) -> [Int]? {
        guard case .sqlite(_, _, _, let readers?) = connection else { return nil }
        return readers.reprepareCounts(of: read)
    }
}
