import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactIdentity
import ArtifactStoreAPI
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Foundation
import NIOCore
import Testing

@Suite("Namespace quotas and maintained usage", .timeLimit(.minutes(5)))
struct NamespaceQuotaTests {
    static func bytes(_ count: Int, seed: UInt8) -> [UInt8] {
        [UInt8](count: count) { UInt8(truncatingIfNeeded: $0 &* 13 &+ Int(seed)) }
    }

    static func file(_ path: String, _ blob: LinkedBlob) -> FileEntry {
        FileEntry(path: path, address: blob.address, mediaType: "application/octet-stream")
    }

    /// The maintained row equals a count from the tables.
    static func expectCountersMatch(_ h: Harness, _ namespace: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let maintained = try await h.registry.usage(namespace: namespace)
        var recounted = try await h.registry.recountUsage(namespace: namespace)
        recounted.quotaBytes = maintained.quotaBytes
        #expect(maintained == recounted, sourceLocation: sourceLocation)
    }

    @Test("usage follows links, dedup, commits, deletes and collection, and equals a recount", arguments: TestDatabase.allCases)
    func usageFollowsChanges(database: TestDatabase) async throws {
        try await Harness.run(database, configuration: ControlPlane.Configuration(gcGracePeriod: .seconds(60))) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            let a = Self.bytes(1000, seed: 1)
            let b = Self.bytes(300, seed: 2)
            try await h.push("team", "app", "1", files: ["a": a, "copy-of-a": a, "b": b])
            var usage = try await h.registry.usage(namespace: "team")
            #expect((usage.objects, usage.files, usage.bytesReferenced, usage.bytesStored) == (2, 3, 2300, 1300))
            // An upload nothing references yet: stored, not referenced.
            _ = try await h.ingest(Self.bytes(50, seed: 3), into: "team")
            usage = try await h.registry.usage(namespace: "team")
            #expect((usage.objects, usage.bytesStored, usage.bytesReferenced) == (3, 1350, 2300))
            try await Self.expectCountersMatch(h, "team")
            try await h.registry.deleteVersion(namespace: "team", artifact: "app", version: "1", context: h.context)
            usage = try await h.registry.usage(namespace: "team")
            #expect((usage.files, usage.bytesReferenced, usage.bytesStored) == (0, 0, 1350))
            // Past the grace period the collector expires the three links.
            h.advance(by: 120)
            _ = try await h.controlPlane.garbageCollector.collect()
            usage = try await h.registry.usage(namespace: "team")
            #expect((usage.objects, usage.files, usage.bytesReferenced, usage.bytesStored) == (0, 0, 0, 0))
            try await Self.expectCountersMatch(h, "team")
            let all = try await h.registry.usageOfAllNamespaces()
            #expect(all.map(\.namespace) == ["team"])
        }
    }

    @Test(
        "a version past the quota is refused with quotaExceeded, naming the quota and usage; nothing is committed",
        arguments: TestDatabase.allCases
    )
    func versionPastQuota(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            let updated = try await h.registry.setQuota("team", 2500, context: h.context)
            #expect(updated.quotaBytes == 2500)
            #expect(try await h.registry.namespace("team").quotaBytes == 2500)
            try await h.push("team", "app", "1", files: ["a": Self.bytes(1000, seed: 1)])
            let blob = try await h.ingest(Self.bytes(1000, seed: 1), into: "team")
            // 1000 referenced + 2 × 1000 = 3000 > 2500, though nothing new is stored.
            let manifest = VersionManifest(
                namespace: "team",
                artifact: "app",
                version: "2",
                files: [Self.file("x", blob), Self.file("y", blob)]
            )
            try await h.expectRefusal(.quotaExceeded) { _ = try await h.registry.commitVersion(manifest, context: h.context) }
            do {
                _ = try await h.registry.commitVersion(manifest, context: h.context)
            } catch let error as ControlPlaneError {
                #expect(error.message.contains("namespace \"team\""))
                #expect(error.message.contains("quota of 2.4 KiB"))
                #expect(error.message.contains("uses 1000 B referenced"))
            }
            // One file fits.
            _ = try await h.registry.commitVersion(
                VersionManifest(namespace: "team", artifact: "app", version: "2", files: [Self.file("x", blob)]),
                context: h.context
            )
            #expect(try await h.registry.usage(namespace: "team").bytesReferenced == 2000)
            // Removing the quota lets the refused push through.
            _ = try await h.registry.setQuota("team", nil, context: h.context)
            _ = try await h.registry.commitVersion(
                VersionManifest(namespace: "team", artifact: "app", version: "3", files: [Self.file("x", blob), Self.file("y", blob)]),
                context: h.context
            )
            try await Self.expectCountersMatch(h, "team")
            #expect(try await h.auditRecords(action: "namespace.update").map(\.detail) == ["quota 2500 bytes (2.4 KiB)", "no quota"])
        }
    }

    @Test(
        "a blob that cannot fit is refused before it is stored: a declared size, an undeclared stream, a link",
        arguments: TestDatabase.allCases
    )
    func blobPastQuota(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            _ = try await h.registry.setQuota("team", 1000, context: h.context)
            _ = try await h.ingest(Self.bytes(600, seed: 1), into: "team")
            let big = Self.bytes(500, seed: 2)
            try await h.expectRefusal(.quotaExceeded) {
                _ = try await h.registry.ingestBlob(
                    namespace: "team",
                    ByteStream(ByteBuffer(bytes: big)),
                    hints: IngestHints(expectedSize: 500),
                    context: h.context
                )
            }
            let chunks = ByteStream(
                buffers: stride(from: 0, to: big.count, by: 100).map { ByteBuffer(bytes: big[$0..<min($0 + 100, big.count)]) }
            )
            try await h.expectRefusal(.quotaExceeded) { _ = try await h.registry.ingestBlob(namespace: "team", chunks, context: h.context) }
            // A blob another namespace stored is not stored again, but linking it here still counts.
            _ = try await h.registry.createNamespace("other", context: h.context)
            _ = try await h.ingest(big, into: "other")
            try await h.expectRefusal(.quotaExceeded) { _ = try await h.ingest(big, into: "team") }
            // Exactly the room left fits; then even content the namespace has needs room (its
            // address is known only once read), so a full namespace takes no upload at all.
            _ = try await h.ingest(Self.bytes(400, seed: 3), into: "team")
            try await h.expectRefusal(.quotaExceeded) { _ = try await h.ingest(Self.bytes(400, seed: 3), into: "team") }
            let usage = try await h.registry.usage(namespace: "team")
            #expect((usage.objects, usage.bytesStored, usage.quotaBytes) == (2, 1000, 1000))
            try await Self.expectCountersMatch(h, "team")
            try await Self.expectCountersMatch(h, "other")
        }
    }

    @Test("a negative quota or an unknown namespace changes nothing", arguments: TestDatabase.allCases)
    func invalidQuota(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            try await h.expectRefusal(.invalidQuota) { _ = try await h.registry.setQuota("team", -1, context: h.context) }
            try await h.expectRefusal(.namespaceNotFound) { _ = try await h.registry.setQuota("nope", 10, context: h.context) }
            try await h.expectRefusal(.invalidName) { _ = try await h.registry.setQuota("Bad Name", 10, context: h.context) }
            try await h.expectRefusal(.namespaceNotFound) { _ = try await h.registry.usage(namespace: "nope") }
        }
    }

    @Test("concurrent commits that each fit but not together: exactly as many as fit succeed", arguments: TestDatabase.allCases)
    func concurrentCommits(database: TestDatabase) async throws {
        try await Harness.run(database, maximumConnections: 10) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            let blob = try await h.ingest(Self.bytes(1000, seed: 1), into: "team")
            _ = try await h.registry.setQuota("team", 3500, context: h.context)
            let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        let manifest = VersionManifest(
                            namespace: "team",
                            artifact: "app",
                            version: "v\(index)",
                            files: [Self.file("f", blob)]
                        )
                        do {
                            _ = try await h.registry.commitVersion(manifest, context: h.context)
                            return "committed"
                        } catch let error as ControlPlaneError {
                            return error.code
                        }
                    }
                }
                return try await group.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
            }
            #expect(outcomes == ["committed": 3, "quotaExceeded": 5])
            #expect(try await h.registry.usage(namespace: "team").bytesReferenced == 3000)
            try await Self.expectCountersMatch(h, "team")
        }
    }

    @Test("concurrent uploads that each fit but not together: exactly as many as fit are linked", arguments: TestDatabase.allCases)
    func concurrentUploads(database: TestDatabase) async throws {
        try await Harness.run(database, maximumConnections: 10) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            _ = try await h.registry.setQuota("team", 3500, context: h.context)
            let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<6 {
                    group.addTask {
                        do {
                            _ = try await h.ingest(Self.bytes(1000, seed: UInt8(index + 10)), into: "team")
                            return "linked"
                        } catch let error as ControlPlaneError {
                            return error.code
                        }
                    }
                }
                return try await group.reduce(into: [String: Int]()) { $0[$1, default: 0] += 1 }
            }
            #expect(outcomes == ["linked": 3, "quotaExceeded": 3])
            let usage = try await h.registry.usage(namespace: "team")
            #expect((usage.objects, usage.bytesStored) == (3, 3000))
            try await Self.expectCountersMatch(h, "team")
        }
    }
}
