import ArtifactControlPlane
import ArtifactStoreTestSupport
import Foundation
import Testing

@Suite("GC dry run", .timeLimit(.minutes(10)))
struct GarbageCollectorDryRunTests {
    static let grace: TimeInterval = 3600

    @Test("a dry run predicts each phase of the next real run and changes nothing", arguments: TestDatabase.allCases)
    func predictsAndChangesNothing(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            try await h.push("team", "app", "1", files: ["kept": Array("kept bytes".utf8)])
            let abandoned = try await h.ingest(Array("abandoned upload".utf8), into: "team")
            let gc = h.controlPlane.garbageCollector

            // Young link: nothing to do.
            var before = try await h.snapshot()
            var dry = try await gc.collect(dryRun: true)
            #expect(dry.dryRun && dry.ran)
            #expect(dry.linksExpired == 0 && dry.blobsMarked == 0 && dry.blobsDeleted == 0)
            #expect(try await h.snapshot() == before)

            // Past the grace period: the link would expire and its blob be marked.
            h.advance(by: Self.grace + 1)
            before = try await h.snapshot()
            let objects = try h.storedObjects()
            dry = try await gc.collect(dryRun: true)
            #expect(dry.linksExpired == 1 && dry.blobsMarked == 1 && dry.blobsDeleted == 0)
            #expect(try await h.snapshot() == before)
            #expect(try h.storedObjects() == objects)
            let real = try await gc.collect()
            #expect(!real.dryRun)
            #expect(real.linksExpired == dry.linksExpired && real.blobsMarked == dry.blobsMarked && real.blobsDeleted == 0)

            // Marked past the grace period: it would be deleted, with its size.
            h.advance(by: Self.grace + 1)
            before = try await h.snapshot()
            dry = try await gc.collect(dryRun: true)
            #expect(dry.linksExpired == 0 && dry.blobsMarked == 0 && dry.blobsDeleted == 1)
            #expect(dry.bytesDeleted == abandoned.size)
            #expect(try await h.snapshot() == before)
            let deleted = try await gc.collect()
            #expect(deleted.blobsDeleted == 1 && deleted.bytesDeleted == abandoned.size)
        }
    }
}
