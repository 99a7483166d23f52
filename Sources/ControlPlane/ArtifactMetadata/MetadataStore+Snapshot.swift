import Foundation
import SQLKit

extension MetadataStore {
    /// Writes a consistent copy of an SQLite database to the new file `path` while the store
    /// stays in use (`VACUUM INTO`: one read transaction, so the copy is the database as of one
    /// instant, compacted; writers go on meanwhile, in WAL mode).
    ///
    /// Exists for `artifactstore admin backup`. On a file database the copy is made on a
    /// connection of ``SQLiteReadPool``, never waiting for the writer.
    ///
    /// - Throws: `database` when `path` exists or cannot be written, or the store is PostgreSQL
    ///   (back that up with `pg_dump`, docs/operations.md).
    public func snapshot(to path: String) async throws(MetadataStoreError) {
        guard engine == .sqlite else {
            throw MetadataStoreError(
                .database,
                "a PostgreSQL database (\(location)) is backed up with pg_dump, not snapshotted by the store"
            )
        }
        guard !FileManager.default.fileExists(atPath: path) else {
            throw MetadataStoreError(.database, "cannot snapshot \(location) into \"\(path)\": the file exists")
        }
        do {
            try await read { db in
                // Readers are `query_only`, which refuses VACUUM INTO (it writes the new file,
                // never the database): lifted for the one statement, then set again.
                try await db.raw("PRAGMA query_only=0").run()
                do {
                    try await db.raw("VACUUM INTO \(bind: path)").run()
                } catch {
                    try? await db.raw("PRAGMA query_only=1").run()
                    throw error
                }
                try await db.raw("PRAGMA query_only=1").run()
            }
        } catch let error as MetadataStoreError {
            throw error
        } catch {
            throw MetadataStoreError(.database, "cannot snapshot \(location) into \"\(path)\": \(error)", underlying: error)
        }
    }
}
