import ArtifactControlPlane
import ArtifactMetadata
import ArtifactStoreAPI
import ArtifactStoreTestSupport
import Foundation
import SQLKit
import Testing

/// Usage changes appended by pushes into namespaces without a quota, and their fold into the
/// counter rows (``NamespaceUsageCounter``): reads count them before and after, a fold moves
/// each once, and folds racing each other (PostgreSQL) never count one twice.
@Suite("Namespace usage changes and their fold", .timeLimit(.minutes(5)))
struct NamespaceUsageFoldTests {
    func pendingChanges(_ h: Harness) async throws -> Int {
        try await h.controlPlane.store.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM namespace_usage_changes").first()?.decode(column: "n", as: Int.self) ?? -1
        }
    }

    func counterRow(_ h: Harness, _ namespace: String) async throws -> [Int64] {
        try await h.controlPlane.store.read { db in
            guard
                let row = try await db.raw(
                    "SELECT objects, files, bytes_referenced, bytes_stored FROM namespace_usage WHERE namespace = \(bind: namespace)"
                ).first()
            else { return [] }
            return try ["objects", "files", "bytes_referenced", "bytes_stored"].map { try row.decode(column: $0, as: Int64.self) }
        }
    }

    @Test("pushes without a quota append changes, reads count them, one fold moves each into the row", arguments: TestDatabase.allCases)
    func appendedChangesFoldOnce(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            _ = try await h.registry.createNamespace("other", context: h.context)
            for index in 0..<3 {
                try await h.push("team", "app", "\(index)", files: ["f": NamespaceQuotaTests.bytes(100 + index, seed: UInt8(index))])
            }
            try await h.push("other", "app", "1", files: ["f": NamespaceQuotaTests.bytes(7, seed: 9)])
            #expect(try await pendingChanges(h) > 0, "the pushes appended their changes")
            #expect(try await counterRow(h, "team") == [0, 0, 0, 0], "no push updated the counter row")
            let before = try await h.registry.usageOfAllNamespaces()
            #expect(before.map(\.namespace) == ["other", "team"])
            #expect(before.map(\.bytesReferenced) == [7, 303])
            try await NamespaceQuotaTests.expectCountersMatch(h, "team")

            let moved = try await h.registry.foldUsageChanges(batch: 2)
            #expect(moved > 2, "batches of 2 until none is left")
            #expect(try await pendingChanges(h) == 0)
            #expect(try await counterRow(h, "team") == [3, 3, 303, 303])
            #expect(try await h.registry.usageOfAllNamespaces() == before, "a fold changes no one's usage")
            #expect(try await h.registry.foldUsageChanges() == 0)

            // A delete after the fold is appended too, and counted at once.
            try await h.registry.deleteVersion(namespace: "team", artifact: "app", version: "0", context: h.context)
            #expect(try await h.registry.usage(namespace: "team").bytesReferenced == 203)
            try await NamespaceQuotaTests.expectCountersMatch(h, "team")
        }
    }

    @Test("folds racing each other move every change once", arguments: TestDatabase.allCases)
    func racingFoldsCountOnce(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for pusher in 0..<4 {
                    group.addTask {
                        for index in 0..<6 {
                            let bytes = NamespaceQuotaTests.bytes(50 + pusher * 10 + index, seed: UInt8(pusher * 16 + index))
                            try await h.push("team", "app-\(pusher)", "\(index)", files: ["f": bytes])
                        }
                    }
                }
                for _ in 0..<3 {
                    group.addTask {
                        for _ in 0..<8 { try await h.registry.foldUsageChanges(batch: 3) }
                    }
                }
                try await group.waitForAll()
            }
            try await h.registry.foldUsageChanges()
            #expect(try await pendingChanges(h) == 0)
            try await NamespaceQuotaTests.expectCountersMatch(h, "team")
            let usage = try await h.registry.usage(namespace: "team")
            #expect(usage.files == 24)
        }
    }
}
