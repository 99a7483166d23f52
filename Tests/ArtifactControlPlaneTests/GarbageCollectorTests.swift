import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactDataPlaneLocal
import ArtifactIdentity
import ArtifactMetadata
import ArtifactStoreAPI
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Foundation
import NIOCore
import ServiceLifecycle
import Synchronization
import Testing

@Suite("Garbage collection", .timeLimit(.minutes(10)))
struct GarbageCollectorTests {
    static let a = Array("content A".utf8)
    static let b = Array("content B, longer".utf8)
    static let c = Array(repeating: UInt8(0xC), count: 40_000)
    static let grace: TimeInterval = 3600

    /// An upload of `b` into a new namespace `team` that was never committed, and a clock moved
    /// so that the next collection deletes it (one run has expired its link and marked it).
    static func abandonedUploadDueForCollection(_ h: Harness) async throws {
        _ = try await h.registry.createNamespace("team", context: h.context)
        try await h.ingest(Self.b, into: "team")
        try await dueForCollection(h)
    }

    /// Moves the clock past the grace period twice, with a collection between: the next
    /// collection deletes what was unreferenced before.
    static func dueForCollection(_ h: Harness) async throws {
        h.advance(by: Self.grace + 1)
        _ = try await h.controlPlane.garbageCollector.collect()
        h.advance(by: Self.grace + 1)
    }

    @Test("deletes only blobs nothing references, and only after the grace period", arguments: TestDatabase.allCases)
    func gracePeriod(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            let gc = h.controlPlane.garbageCollector
            _ = try await h.registry.createNamespace("team", context: h.context)
            try await h.push("team", "app", "1", files: ["a": Self.a, "b": Self.b])
            try await h.push("team", "app", "2", files: ["a": Self.a])
            let inFlight = try await h.ingest(Self.c, into: "team")
            try await h.registry.deleteVersion(namespace: "team", artifact: "app", version: "1", context: h.context)
            #expect(try h.storedObjects().count == 3)

            var report = try await gc.collect()
            #expect(report.ran && report.linksExpired == 0 && report.blobsMarked == 0 && report.blobsDeleted == 0)

            h.advance(by: Self.grace + 1)
            report = try await gc.collect()
            #expect(report.linksExpired == 2)  // b (its version is gone) and the abandoned upload c
            #expect(report.blobsMarked == 2)
            #expect(report.blobsDeleted == 0)

            h.advance(by: Self.grace / 2)
            #expect(try await gc.collect().blobsDeleted == 0)
            #expect(try h.storedObjects().count == 3)

            h.advance(by: Self.grace / 2 + 1)
            report = try await gc.collect()
            #expect(report.blobsDeleted == 2)
            #expect(report.bytesDeleted == UInt64(Self.b.count + Self.c.count))
            #expect(try h.storedObjects().count == 1)
            #expect(try await h.read("team", "app", "2", "a") == Self.a)
            let deletions = try await h.auditRecords(action: "gc.delete")
            #expect(Set(deletions.flatMap(\.digests)).contains(inFlight.address.description))
            #expect(deletions.allSatisfy { $0.actor == "system:gc" })
            #expect(try await gc.collect().blobsDeleted == 0)
        }
    }

    @Test("an upload in flight is protected for the grace period and can then be committed", arguments: TestDatabase.allCases)
    func inFlightProtected(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            let blob = try await h.ingest(Self.c, into: "team")
            h.advance(by: Self.grace - 10)
            _ = try await h.controlPlane.garbageCollector.collect()
            let version = try await h.registry.commitVersion(
                VersionManifest(namespace: "team", artifact: "app", version: "1", files: [FileEntry(path: "c", address: blob.address)]),
                context: h.context
            )
            #expect(version.files.count == 1)
            for _ in 0..<3 {
                h.advance(by: Self.grace * 2)
                #expect(try await h.controlPlane.garbageCollector.collect().blobsDeleted == 0)
            }
            #expect(try await h.read("team", "app", "1", "c") == Self.c)
        }
    }

    @Test("content pushed again after it was collected is stored again", arguments: TestDatabase.allCases)
    func repushAfterCollection(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            try await Self.abandonedUploadDueForCollection(h)
            #expect(try await h.controlPlane.garbageCollector.collect().blobsDeleted == 1)
            #expect(try h.storedObjects().isEmpty)
            try await h.push("team", "app", "1", files: ["b": Self.b])
            #expect(try await h.read("team", "app", "1", "b") == Self.b)
            #expect(try h.storedObjects().count == 1)
        }
    }

    @Test("a re-push whose bytes a GC deletes between ingest and link is not acknowledged", arguments: TestDatabase.allCases)
    func repushRacingDeletion(database: TestDatabase) async throws {
        let hooked = HookedBox()
        let wrap: (LocalDataPlane) -> any DataPlane = { hooked.wrap($0) }
        try await Harness.run(database, wrapDataPlane: wrap) { h in
            let gc = h.controlPlane.garbageCollector
            _ = try await h.registry.createNamespace("team", context: h.context)
            try await h.push("team", "app", "1", files: ["x": Self.c])
            try await h.registry.deleteVersion(namespace: "team", artifact: "app", version: "1", context: h.context)
            try await Self.dueForCollection(h)
            // The ingest below finds the bytes still stored (deduplicated); before the control
            // plane links them, a collection deletes them.
            hooked.plane!.afterNextIngest { result in
                #expect(result.receipt.deduplicated)
                do {
                    #expect(try await gc.collect().blobsDeleted == 1)
                } catch {
                    Issue.record(error, "the collection between ingest and link failed")
                }
            }
            do {
                _ = try await h.ingest(Self.c, into: "team")
                Issue.record("a push whose bytes were collected was acknowledged")
            } catch let error as ControlPlaneError {
                #expect(error.kind == .blobCollected)
            }
            #expect(try h.storedObjects().isEmpty)
            let address = ContentAddress(Digest.blake3(of: Self.c))
            try await h.expectRefusal(.blobNotFound) { _ = try await h.registry.blob(namespace: "team", address: address) }
            // Pushed again, the bytes are stored again and the push is acknowledged.
            try await h.push("team", "app", "2", files: ["x": Self.c])
            #expect(try await h.read("team", "app", "2", "x") == Self.c)
        }
    }

    @Test(
        "a deletion the data plane refused stays pending, holds off re-pushes, and is finished by the next run",
        arguments: TestDatabase.allCases
    )
    func unfinishedDeletion(database: TestDatabase) async throws {
        let hooked = HookedBox()
        let configuration = ControlPlane.Configuration(gcGracePeriod: .seconds(3600), collectionWaitLimit: .milliseconds(200))
        let wrap: (LocalDataPlane) -> any DataPlane = { hooked.wrap($0) }
        try await Harness.run(database, configuration: configuration, wrapDataPlane: wrap) { h in
            let gc = h.controlPlane.garbageCollector
            try await Self.abandonedUploadDueForCollection(h)
            hooked.plane!.failNextDeletes(1)
            let failed = try await gc.collect()
            #expect(failed.deletionsFailed == 1 && failed.blobsDeleted == 0)
            #expect(try h.storedObjects().count == 1)
            #expect(try await h.auditRecords(action: "gc.delete").isEmpty)
            // While the deletion is pending, a push of the same bytes waits for it, then is refused.
            do {
                _ = try await h.ingest(Self.b, into: "team")
                Issue.record("a push of bytes pending deletion was acknowledged")
            } catch let error as ControlPlaneError {
                #expect(error.kind == .blobCollected)
            }
            // The next run finishes it; then the same push succeeds and stores the bytes again.
            let finished = try await gc.collect()
            #expect(finished.blobsDeleted == 1)
            #expect(try h.storedObjects().isEmpty)
            try await h.push("team", "app", "1", files: ["b": Self.b])
            #expect(try await h.read("team", "app", "1", "b") == Self.b)
        }
    }

    @Test("only one collector runs at a time", arguments: TestDatabase.allCases)
    func exclusive(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            // Another collector, with its own connection (pool) to the same database as another
            // process would have, holds the lock: a PostgreSQL advisory lock, or a flock beside
            // the SQLite file.
            try await TestDatabase.withStore(at: h.location) { other in
                let inner = try await other.withExclusiveLock(named: "gc") {
                    try await h.controlPlane.garbageCollector.collect()
                }
                #expect(inner?.ran == false)
                #expect(try await h.controlPlane.garbageCollector.collect().ran)
            }
        }
    }

    @Test("the GC service collects at start, then once per interval of its clock, until shutdown", arguments: TestDatabase.allCases)
    func service(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            try await Self.abandonedUploadDueForCollection(h)
            let clock = ManualClock()
            let (reports, continuation) = AsyncStream.makeStream(of: GarbageCollectionReport.self)
            let service = h.controlPlane.garbageCollector.service(interval: .seconds(3600), clock: clock) { continuation.yield($0) }
            let group = ServiceGroup(services: [service], gracefulShutdownSignals: [], cancellationSignals: [], logger: TestLogs.silent)
            let running = Task { try await group.run() }
            var iterator = reports.makeAsyncIterator()
            #expect(await iterator.next()?.blobsDeleted == 1)  // the run at start
            #expect(try h.storedObjects().isEmpty)

            // Another blob becomes due; the service collects it only when its clock says an
            // interval has passed.
            try await h.ingest(Self.c, into: "team")
            while clock.sleeperCount == 0 { await Task.yield() }
            try await Self.dueForCollection(h)
            #expect(try h.storedObjects().count == 1)
            clock.advance(by: .seconds(3599))
            #expect(clock.sleeperCount == 1)
            clock.advance(by: .seconds(1))
            #expect(await iterator.next()?.blobsDeleted == 1)
            #expect(try h.storedObjects().isEmpty)

            await group.triggerGracefulShutdown()
            try await running.value
            #expect(try await h.auditRecords(action: "gc.delete").count == 2)
        }
    }
}

/// Hands the hooked data plane the harness builds back to the test.
final class HookedBox: Sendable {
    private let built = Mutex<HookedDataPlane?>(nil)

    var plane: HookedDataPlane? { built.withLock { $0 } }

    func wrap(_ base: ArtifactDataPlaneLocal.LocalDataPlane) -> any DataPlane {
        let plane = HookedDataPlane(base)
        built.withLock { $0 = plane }
        return plane
    }
}
