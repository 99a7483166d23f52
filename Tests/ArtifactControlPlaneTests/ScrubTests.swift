import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactDataPlaneLocal
import ArtifactIdentity
import ArtifactMetadata
import ArtifactStorage
import ArtifactStoreAPI
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Foundation
import NIOCore
import SQLKit
import Synchronization
import Testing

/// Scrub judges only blobs that should exist: blobs a garbage collection doomed (`deleting`,
/// `deleted`) are never reported, during a sweep, after one killed midway, or when a collection
/// dooms a blob between the listing and the read; damage to a live blob is still reported, and a
/// collection in progress is said so.
@Suite("Scrub", .timeLimit(.minutes(10)))
struct ScrubTests {
    static let kept = Array("kept by version 1".utf8)
    static let other = Array("also kept, damaged below".utf8)
    static let abandoned = Array(repeating: UInt8(0xAB), count: 20_000)

    /// `kept` committed in team/app/1 and `abandoned` ingested into `team` but never committed,
    /// with the clock moved so that the next collection deletes `abandoned`.
    static func keptAndDue(_ h: Harness) async throws -> (kept: ContentAddress, due: ContentAddress) {
        _ = try await h.registry.createNamespace("team", context: h.context)
        try await h.push("team", "app", "1", files: ["kept": Self.kept])
        let due = try await h.ingest(Self.abandoned, into: "team").address
        try await GarbageCollectorTests.dueForCollection(h)
        return (ContentAddress(Digest.blake3(of: Self.kept)), due)
    }

    /// The stored object of `address`.
    static func objectPath(_ h: Harness, _ address: ContentAddress) throws -> StoragePath {
        #expect(try h.storedObjects().contains(address.storageKey))
        return try StoragePath(address.storageKey)
    }

    @Test("blobs a sweep killed midway left deleting, bytes gone, are not reported", arguments: TestDatabase.allCases)
    func killedDuringSweep(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            let (kept, due) = try await Self.keptAndDue(h)
            // What a SIGKILL after the data plane's delete and before the final transaction leaves.
            try await h.execute("UPDATE blobs SET state = 'deleting' WHERE address = \(bind: due.description)")
            _ = try await h.dataPlane.delete(due, backendID: nil)
            #expect(try h.storedObjects().count == 1)
            let report = try await h.controlPlane.scrub.run()
            #expect(report.corrupted.isEmpty)
            #expect(report.checked == 1 && report.collected == 0 && !report.garbageCollectionRunning && report.nextCursor == nil)
            // The next collection finishes the deletion; a scrub right after still reports nothing.
            #expect(try await h.controlPlane.garbageCollector.collect().blobsDeleted == 1)
            let after = try await h.controlPlane.scrub.run()
            #expect(after.corrupted.isEmpty && after.checked == 1)
            #expect(try await h.registry.blob(namespace: "team", address: kept).address == kept)
        }
    }

    @Test("a scrub during a sweep reports no false damage and says a collection is running", arguments: TestDatabase.allCases)
    func duringSweep(database: TestDatabase) async throws {
        let hooked = HookedBox()
        let wrap: (LocalDataPlane) -> any DataPlane = { hooked.wrap($0) }
        try await Harness.run(database, wrapDataPlane: wrap) { h in
            _ = try await Self.keptAndDue(h)
            let during = Mutex<ScrubReport?>(nil)
            // The collector holds its lock and has moved the blob to `deleting`; the bytes go next.
            hooked.plane!.beforeNextDelete { _ in
                do {
                    let report = try await h.controlPlane.scrub.run()
                    during.withLock { $0 = report }
                } catch {
                    Issue.record(error, "the scrub during the sweep failed")
                }
            }
            #expect(try await h.controlPlane.garbageCollector.collect().blobsDeleted == 1)
            let report = try #require(during.withLock { $0 })
            #expect(report.garbageCollectionRunning)
            #expect(report.corrupted.isEmpty && report.checked == 1)
            let after = try await h.controlPlane.scrub.run()
            #expect(!after.garbageCollectionRunning && after.corrupted.isEmpty && after.checked == 1)
        }
    }

    @Test("a blob a collection deletes between the listing and the read is counted as collected", arguments: TestDatabase.allCases)
    func doomedAfterListing(database: TestDatabase) async throws {
        let hooked = HookedBox()
        let wrap: (LocalDataPlane) -> any DataPlane = { hooked.wrap($0) }
        try await Harness.run(database, wrapDataPlane: wrap) { h in
            _ = try await Self.keptAndDue(h)
            // Both blobs are listed live; before the first is read, a collection deletes one.
            hooked.plane!.beforeNextVerify { _ in
                do {
                    #expect(try await h.controlPlane.garbageCollector.collect().blobsDeleted == 1)
                } catch {
                    Issue.record(error, "the collection between the listing and the read failed")
                }
            }
            let report = try await h.controlPlane.scrub.run()
            #expect(report.corrupted.isEmpty)
            #expect(report.checked == 1 && report.collected == 1)
        }
    }

    @Test("a corrupted or missing live blob is still reported, even one marked unreferenced", arguments: TestDatabase.allCases)
    func liveDamageReported(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            let (kept, due) = try await Self.keptAndDue(h)
            let other = try await h.ingest(Self.other, into: "team").address
            // `due` is live and marked, not yet doomed: its bytes should still exist.
            try await MemoryBackend(name: h.memoryStoreName).delete(try Self.objectPath(h, due))
            try await MemoryBackend(name: h.memoryStoreName).write(
                try Self.objectPath(h, other),
                from: ByteStream(ByteBuffer(bytes: Array(repeating: 0x41, count: Self.other.count))),
                options: StorageWriteOptions(overwrite: true)
            )
            let report = try await h.controlPlane.scrub.run()
            #expect(report.checked == 3 && report.collected == 0)
            #expect(Set(report.corrupted.map(\.address)) == [due, other])
            #expect(report.corrupted.allSatisfy { !$0.mismatch.isEmpty && $0.backendID == "primary" })
            #expect(!report.corrupted.map(\.address).contains(kept))
            // Paged one at a time, the findings are the same.
            var findings: [ContentAddress] = []
            var page = PageRequest.first(1)
            while true {
                let report = try await h.controlPlane.scrub.run(page: page)
                findings += report.corrupted.map(\.address)
                guard let next = report.nextCursor else { break }
                page = PageRequest(limit: 1, cursor: next)
            }
            #expect(Set(findings) == [due, other] && findings.count == 2)
        }
    }

    @Test("a collection holding its lock in another process is reported; the probe leaves the lock free", arguments: TestDatabase.allCases)
    func collectionRunningElsewhere(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            #expect(try await h.controlPlane.scrub.run().garbageCollectionRunning == false)
            try await TestDatabase.withStore(at: h.location) { other in
                let seen = try await other.withExclusiveLock(named: "gc") { try await h.controlPlane.scrub.run().garbageCollectionRunning }
                #expect(seen == true)
            }
            #expect(try await h.controlPlane.scrub.run().garbageCollectionRunning == false)
            #expect(try await h.controlPlane.garbageCollector.collect().ran)
        }
    }

    @Test("a bad cursor is refused with invalidPageRequest", arguments: TestDatabase.allCases)
    func badCursor(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            try await h.expectRefusal(.invalidPageRequest) {
                _ = try await h.controlPlane.scrub.run(page: PageRequest(limit: 10, cursor: "not a cursor"))
            }
        }
    }
}
