import ArtifactControlPlane
import ArtifactMetadata
import ArtifactStoreTestSupport
import Foundation
import SQLKit
import Testing

@Suite("The quota migration fills the usage counters of a store that has data", .timeLimit(.minutes(5)))
struct NamespaceUsageMigrationTests {
    @Test("links, shared blobs and version files written before the migration are counted by it", arguments: TestDatabase.allCases)
    func backfill(database: TestDatabase) async throws {
        let quotas = try #require(ControlPlaneSchema.migrations.firstIndex { $0.name == "namespace quotas and usage counters" })
        try await database.withLocation { location in
            try await TestDatabase.withStore(at: location) { store in
                _ = try await store.migrate(Array(ControlPlaneSchema.migrations.prefix(quotas)))
                try await store.transaction { db in
                    for name in ["team", "empty"] {
                        try await db.raw(
                            "INSERT INTO namespaces (name, immutable_tags, created_by, created_at) VALUES (\(bind: name), 0, 't', 0)"
                        ).run()
                    }
                    for (address, size) in [("blake3:a", 100), ("blake3:b", 7)] {
                        try await db.raw(
                            """
                            INSERT INTO blobs (address, backend_id, size, sha256, blake3, state, created_at, state_changed_at)
                            VALUES (\(bind: address), 'primary', \(bind: Int64(size)), 'sha256:x', \(bind: address), 'live', 0, 0)
                            """
                        ).run()
                        try await db.raw("INSERT INTO links (namespace, address, linked_at) VALUES ('team', \(bind: address), 0)").run()
                    }
                    for (path, address, size) in [("one", "blake3:a", 100), ("two", "blake3:a", 100), ("three", "blake3:b", 7)] {
                        try await db.raw(
                            """
                            INSERT INTO version_files (namespace, artifact, version, path, address, size, media_type)
                            VALUES ('team', 'app', '1', \(bind: path), \(bind: address), \(bind: Int64(size)), 'x/y')
                            """
                        ).run()
                    }
                }
                _ = try await store.migrate(ControlPlaneSchema.migrations)
                let rows = try await store.read { db in
                    try await db.raw(
                        "SELECT namespace, objects, files, bytes_referenced, bytes_stored FROM namespace_usage ORDER BY namespace"
                    ).all()
                }
                let values = try rows.map { row in
                    [try row.decode(column: "namespace", as: String.self)]
                        + (try ["objects", "files", "bytes_referenced", "bytes_stored"].map {
                            String(try row.decode(column: $0, as: Int64.self))
                        })
                }
                #expect(values == [["empty", "0", "0", "0", "0"], ["team", "2", "3", "207", "107"]])
            }
        }
    }
}
