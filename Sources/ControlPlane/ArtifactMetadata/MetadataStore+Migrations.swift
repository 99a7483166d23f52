import Foundation
import SQLKit

extension MetadataStore {
    /// The table that records which migrations have run.
    public static let schemaVersionTable = "schema_versions"

    /// Brings the schema up to the newest of `migrations`, in one transaction.
    ///
    /// Creates `schema_versions` if missing, reads the highest recorded version, refuses a
    /// database whose version is newer than the newest migration (`databaseTooNew`, nothing
    /// changed), then applies each later migration in order and records it. Any number of
    /// processes may call it at once on the same database (nodes started together, or upgraded
    /// together): on PostgreSQL they take turns on a session advisory lock taken before the
    /// transaction begins (``transaction(waitingForLock:_:)``), so each later turn reads the version
    /// the previous one committed and applies nothing twice. Running it again on a current schema
    /// changes nothing.
    public func migrate(_ migrations: [Migration]) async throws(MetadataStoreError) -> MigrationReport {
        for (index, migration) in migrations.enumerated() {
            precondition(migration.version == index + 1, "migrations must be numbered 1, 2, 3, … without gaps")
        }
        let latest = migrations.last?.version ?? 0
        let location = self.location
        do {
            return try await transaction(waitingForLock: "migrations") { db in
                try await db.raw(
                    """
                    CREATE TABLE IF NOT EXISTS \(unsafeRaw: Self.schemaVersionTable) (
                        version BIGINT PRIMARY KEY,
                        name TEXT NOT NULL,
                        applied_at BIGINT NOT NULL
                    )
                    """
                ).run()
                let row = try await db.raw("SELECT MAX(version) AS version FROM \(unsafeRaw: Self.schemaVersionTable)").first()
                let current = try row?.decodeNil(column: "version") == false ? Int(try row!.decode(column: "version", as: Int64.self)) : 0
                if current > latest {
                    throw MetadataStoreError(
                        .databaseTooNew,
                        "the database \(location) has schema version \(current), newer than \(latest), the newest this code knows; upgrade ArtifactStore"
                    )
                }
                var applied: [Int] = []
                for migration in migrations where migration.version > current {
                    try await migration.apply(db, self.engine)
                    let now = Int64(Date().timeIntervalSince1970 * 1000)
                    try await db.raw(
                        "INSERT INTO \(unsafeRaw: Self.schemaVersionTable) (version, name, applied_at) VALUES (\(bind: Int64(migration.version)), \(bind: migration.name), \(bind: now))"
                    ).run()
                    applied.append(migration.version)
                }
                return MigrationReport(previousVersion: current, currentVersion: max(current, latest), applied: applied)
            }
        } catch let error as MetadataStoreError {
            throw error
        } catch {
            throw MetadataStoreError(.database, "migrating \(location) failed: \(error)", underlying: error)
        }
    }

    /// The highest migration version recorded, 0 for an empty database.
    public func schemaVersion() async throws -> Int {
        try await read { db in
            let exists: Bool
            switch self.engine {
            case .sqlite:
                exists =
                    try await db.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name = \(bind: Self.schemaVersionTable)")
                    .first() != nil
            case .postgres:
                exists =
                    try await db.raw("SELECT to_regclass(\(bind: Self.schemaVersionTable)) IS NOT NULL AS present").first()?.decode(
                        column: "present",
                        as: Bool.self
                    ) ?? false
            }
            guard exists else { return 0 }
            let row = try await db.raw("SELECT MAX(version) AS version FROM \(unsafeRaw: Self.schemaVersionTable)").first()
            guard let row, try !row.decodeNil(column: "version") else { return 0 }
            return Int(try row.decode(column: "version", as: Int64.self))
        }
    }
}
