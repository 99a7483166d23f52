import ArtifactMetadata
import ArtifactStoreTestSupport
import SQLKit
import Testing

@testable import ArtifactControlPlane

/// The upload path's prepared writes (``PreparedWrite``): on an SQLite file the writer runs a
/// kept statement and counts changes with `sqlite3_changes64`; on PostgreSQL the same text runs
/// through sql-kit with `RETURNING 1`. Both must count the same: a row inserted or updated is one,
/// a conflict left alone or an upsert its `WHERE` stopped is none.
@Suite("Prepared writes", .serialized, .timeLimit(.minutes(5)))
struct PreparedWriteTests {
    static let address = "blake3:" + String(repeating: "ab", count: 32)

    static func liveBinds(at now: Int64) -> [PreparedValue] {
        [
            .text(address), .text("primary"), .integer(4), .text("sha256:" + String(repeating: "0", count: 64)), .text(address),
            .integer(now), .integer(now),
        ]
    }

    @Test("a prepared write counts inserted and updated rows, and none for a conflict it leaves alone", arguments: TestDatabase.allCases)
    func countsChanges(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            let store = h.controlPlane.store
            let counts = try await store.transaction { db -> [Int] in
                var counts: [Int] = []
                // A new blob row, then the same row while live (its mark cleared: an update).
                counts.append(try await db.changes(BlobLinking.insertLive, binding: Self.liveBinds(at: 1)))
                try await db.raw("UPDATE blobs SET unreferenced_since = 5 WHERE address = \(bind: Self.address)").run()
                counts.append(try await db.changes(BlobLinking.insertLive, binding: Self.liveBinds(at: 2)))
                // A row the collector holds is not changed.
                try await db.raw("UPDATE blobs SET state = 'deleting' WHERE address = \(bind: Self.address)").run()
                counts.append(try await db.changes(BlobLinking.insertLive, binding: Self.liveBinds(at: 3)))
                // A new link, then the same link: the conflict is left alone.
                let link: [PreparedValue] = [.text("team"), .text(Self.address), .integer(4)]
                counts.append(try await db.changes(NamespaceUsageCounter.insertLink, binding: link))
                counts.append(try await db.changes(NamespaceUsageCounter.insertLink, binding: link))
                // A usage change for a namespace without a quota, and for one that does not exist.
                for namespace in ["team", "missing"] {
                    let change: [PreparedValue] = [.text(AuditPendingRecord.newID()), .integer(1), .integer(0), .integer(0), .integer(4)]
                    counts.append(try await db.changes(NamespaceUsageCounter.appendWithoutQuota, binding: change + [.text(namespace)]))
                }
                return counts
            }
            #expect(counts == [1, 1, 0, 1, 0, 1, 0])
            let row = try await store.read { db in
                try await db.raw("SELECT state, unreferenced_since, created_at FROM blobs WHERE address = \(bind: Self.address)").first()
            }
            #expect(try row?.decode(column: "state", as: String.self) == "deleting")
            #expect(try row?.decodeNil(column: "unreferenced_since") == true, "the live upsert cleared the mark")
            #expect(try row?.decode(column: "created_at", as: Int64.self) == 1)
            let changes = try await store.read { db in
                try await db.raw("SELECT namespace FROM namespace_usage_changes WHERE bytes_stored = 4").all()
            }
            #expect(try changes.map { try $0.decode(column: "namespace", as: String.self) } == ["team"])
        }
    }

    @Test(
        "a prepared write with a NULL value binds it, and a failing one throws and rolls its transaction back",
        arguments: TestDatabase.allCases
    )
    func bindsNullAndFails(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            let store = h.controlPlane.store
            let setQuota = PreparedWrite("UPDATE namespaces SET quota_bytes = ? WHERE name = ?")
            #expect(try await store.transaction { db in try await db.changes(setQuota, binding: [.integer(10), .text("team")]) } == 1)
            #expect(try await store.transaction { db in try await db.changes(setQuota, binding: [.null, .text("team")]) } == 1)
            let quota = try await store.read { db in try await db.raw("SELECT quota_bytes FROM namespaces WHERE name = 'team'").first() }
            #expect(try quota?.decodeNil(column: "quota_bytes") == true)
            // A second row for the same namespace breaks the key: the write and the one before it
            // in the transaction are undone.
            let insertNamespace = PreparedWrite(
                "INSERT INTO namespaces (name, immutable_tags, public_read, created_by, created_at) VALUES (?, 0, 0, 'test', 0)"
            )
            await #expect(throws: (any Error).self) {
                try await store.transaction { db in
                    _ = try await db.changes(setQuota, binding: [.integer(99), .text("team")])
                    _ = try await db.changes(insertNamespace, binding: [.text("team")])
                }
            }
            let after = try await store.read { db in try await db.raw("SELECT quota_bytes FROM namespaces WHERE name = 'team'").first() }
            #expect(try after?.decodeNil(column: "quota_bytes") == true)
        }
    }
}
