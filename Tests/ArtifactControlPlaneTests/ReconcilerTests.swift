import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactDataPlaneDaemon
import ArtifactDataPlaneLocal
import ArtifactDataPlaneRemote
import ArtifactIdentity
import ArtifactMetadata
import ArtifactStorage
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Foundation
import NIOCore
import SQLKit
import ServiceLifecycle
import Synchronization
import Testing

/// The reconciler finds files no row accounts for and rows whose object is gone; it removes a
/// stray only once the backend's listing dates it past the grace period (the clock is injected:
/// no test sleeps), through the collector's row states, so an ingest about to link the same bytes
/// is refused rather than acknowledged without them.
@Suite("Reconciler", .timeLimit(.minutes(10)))
struct ReconcilerTests {
    static let grace: TimeInterval = 3600
    /// Moved past the grace period with room for the seconds the test itself took: the backend
    /// dates files by the real clock.
    static let pastGrace: TimeInterval = grace + 600
    /// Large enough to have an outboard beside it (more than 1 MiB).
    static let large = [UInt8](count: 1_500_000) { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    static let small = Array("kept by version 1".utf8)
    static let stray = [UInt8](count: 1_200_000) { UInt8(truncatingIfNeeded: $0 &* 17 &+ 3) }
    static let removing = ReconcileOptions(removesStrays: true)

    /// A harness whose clock starts at the real time: the backends date their files by it.
    /// `throughDaemon`: the control plane uses the data plane as `serve --data-plane unix://…`
    /// does, through a real daemon on a Unix socket (`RemoteDataPlane`), while the harness's
    /// hooks still reach the daemon's storage directly.
    static func run(
        _ database: TestDatabase,
        hooked: HookedBox? = nil,
        throughDaemon: Bool = false,
        test: String = #function,
        _ body: (Harness) async throws -> Void
    ) async throws {
        let configuration = ControlPlane.Configuration(gcGracePeriod: .seconds(grace), collectionWaitLimit: .seconds(5))
        let socketPath = "/tmp/asrc-\(UUID().uuidString.prefix(13).lowercased()).sock"
        let daemons = Mutex<DataPlaneDaemon?>(nil)
        let wrap: (LocalDataPlane) -> any DataPlane = { plane in
            guard throughDaemon else { return hooked?.wrap(plane) ?? plane }
            daemons.withLock {
                $0 = DataPlaneDaemon(dataPlane: plane, configuration: .init(socketPath: socketPath), logger: TestLogs.silent)
            }
            return RemoteDataPlane(socketPath: socketPath, logger: TestLogs.silent)
        }
        try await Harness.run(database, configuration: configuration, clock: TestClock(start: Date()), wrapDataPlane: wrap, test: test) {
            h in
            guard let daemon = daemons.withLock({ $0 }) else { return try await body(h) }
            let group = ServiceGroup(services: [daemon], logger: TestLogs.silent)
            let running = Task { try await group.run() }
            try await withCleanup {
                try await daemon.waitUntilListening()
                try #require(h.controlPlane.dataPlane is RemoteDataPlane)
                try await body(h)
            } then: {
                (h.controlPlane.dataPlane as? RemoteDataPlane)?.shutdown()
                await group.triggerGracefulShutdown()
                _ = try? await running.value
            }
        }
    }

    static func reconciler(_ h: Harness) throws -> Reconciler {
        try #require(h.controlPlane.reconciler)
    }

    /// A file written straight into the backend.
    static func plant(_ h: Harness, _ path: String, _ bytes: [UInt8]) async throws {
        try await MemoryBackend(name: h.memoryStoreName).write(try StoragePath(path), from: ByteStream(ByteBuffer(bytes: bytes)))
    }

    static func state(_ h: Harness, _ address: ContentAddress) async throws -> String? {
        try await h.controlPlane.store.read { db in
            try await db.raw("SELECT state FROM blobs WHERE address = \(bind: address.description)").first()?.decode(
                column: "state",
                as: String.self
            )
        }
    }

    @Test(
        "young strays are reported and kept; past the grace period removed; missing objects counted (in process and through the daemon)",
        arguments: TestDatabase.allCases,
        [false, true]
    )
    func youngKeptOldRemoved(database: TestDatabase, throughDaemon: Bool) async throws {
        try await Self.run(database, throughDaemon: throughDaemon) { h in
            let reconciler = try Self.reconciler(h)
            _ = try await h.registry.createNamespace("team", context: h.context)
            try await h.push("team", "app", "1", files: ["large": Self.large, "small": Self.small])
            try await h.push("team", "app", "2", files: ["gone": Array("lost object".utf8)])
            // An ingest whose process died before linking: bytes (and outboard) with no row.
            let stray = try await h.dataPlane.ingest(ByteStream(ByteBuffer(bytes: Self.stray))).address
            // An outboard without its object, and a file that is no content address's.
            let orphan = ContentAddress(Digest.blake3(of: Array("never stored".utf8)))
            try await Self.plant(h, "outboards/" + orphan.storageKey.dropFirst("blobs/".count), [1, 2, 3])
            try await Self.plant(h, "blobs/blake3/zz/not-an-address", [4])
            // A committed blob whose object was removed behind the store's back.
            let gone = ContentAddress(Digest.blake3(of: Array("lost object".utf8)))
            try await MemoryBackend(name: h.memoryStoreName).delete(try StoragePath(gone.storageKey))

            let young = try await reconciler.run(Self.removing)
            #expect(young.ran && young.strayCount == 3 && young.straysPastGrace == 0 && young.straysRemoved == 0)
            #expect(young.missingCount == 1 && young.damaged.map(\.address) == [gone] && young.damaged.first?.problem == .missing)
            #expect(young.blobsChecked == 3 && young.objectsListed == 4 && young.outboardsListed == 3)
            let reasons = Dictionary(grouping: young.strays, by: \.reason).mapValues { $0.map(\.object.path) }
            #expect(reasons[.noRow] == [stray.storageKey])  // its outboard goes with it
            #expect(reasons[.unrecognisedName] == ["blobs/blake3/zz/not-an-address"])
            #expect(reasons[.objectMissing]?.count == 1)
            #expect(!young.isClean)
            #expect(try h.storedObjects().contains(stray.storageKey))

            // Past the grace period by the listing's dates: removed, with a row left `deleted`
            // and an audit record; the unrecognised file stays (not ours to judge).
            h.advance(by: Self.pastGrace)
            let old = try await reconciler.run(Self.removing)
            #expect(old.straysPastGrace == 3 && old.straysRemoved == 2 && old.removalsFailed == 0)
            #expect(!(try h.storedObjects().contains(stray.storageKey)))
            #expect(try await Self.state(h, stray) == "deleted")
            let audit = try await h.auditRecords(action: "reconcile.delete")
            #expect(audit.map(\.target) == [stray.description] && audit.first?.actor == "system:reconcile")
            let left = try MemoryBackend(name: h.memoryStoreName).allItems().filter { $0.hasPrefix("outboards/") && !$0.hasSuffix("/") }
            #expect(left.count == 1)  // the committed large file's outboard only

            let after = try await reconciler.run(Self.removing)
            #expect(after.strayCount == 1 && after.strays.first?.reason == .unrecognisedName && after.missingCount == 1)
            #expect(try await h.read("team", "app", "1", "large") == Self.large)
            #expect(try await h.read("team", "app", "1", "small") == Self.small)
        }
    }

    @Test("a reporting run proves every live blob and removes nothing", arguments: TestDatabase.allCases, [false, true])
    func reportingRunVerifies(database: TestDatabase, throughDaemon: Bool) async throws {
        try await Self.run(database, throughDaemon: throughDaemon) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            try await h.push("team", "app", "1", files: ["large": Self.large, "small": Self.small])
            let small = ContentAddress(Digest.blake3(of: Self.small))
            try await Self.plant(h, small.storageKey, Array("kept by version 2".utf8))
            _ = try await h.dataPlane.ingest(ByteStream(ByteBuffer(bytes: Self.stray)))
            h.advance(by: Self.pastGrace)
            let report = try await Self.reconciler(h).run(ReconcileOptions(removesStrays: false, verifiesBlobs: true))
            #expect(report.blobsChecked == 2 && report.blobsVerified == 1)
            #expect(report.corruptCount == 1 && report.damaged.first?.address == small && report.damaged.first?.problem == .corrupt)
            #expect(report.straysPastGrace == 1 && report.straysRemoved == 0)
            #expect(try h.storedObjects().count == 3)
        }
    }

    @Test(
        "a push that deduplicated onto a stray being removed is refused, never acknowledged without its bytes",
        arguments: TestDatabase.allCases
    )
    func pushRacingRemoval(database: TestDatabase) async throws {
        let hooked = HookedBox()
        try await Self.run(database, hooked: hooked) { h in
            let reconciler = try Self.reconciler(h)
            _ = try await h.registry.createNamespace("team", context: h.context)
            let stray = try await h.dataPlane.ingest(ByteStream(ByteBuffer(bytes: Self.stray))).address
            h.advance(by: Self.pastGrace)
            // The push finds the stray stored (deduplicated, old date); before it links, the
            // reconciler claims and removes it.
            hooked.plane!.afterNextIngest { result in
                #expect(result.receipt.deduplicated)
                let report = try? await reconciler.run(Self.removing)
                #expect(report?.straysRemoved == 1)
            }
            let refused = await #expect(throws: ControlPlaneError.self) { _ = try await h.ingest(Self.stray, into: "team") }
            #expect(refused?.kind == .blobCollected)
            #expect(!(try h.storedObjects().contains(stray.storageKey)))
            // Pushed again: stored anew, revived, linked, readable.
            try await h.push("team", "app", "1", files: ["x": Self.stray])
            #expect(try await h.read("team", "app", "1", "x") == Self.stray)
            #expect(try await Self.state(h, stray) == "live")
            let clean = try await reconciler.run(ReconcileOptions(removesStrays: false, verifiesBlobs: true))
            #expect(clean.isClean && clean.strayCount == 0 && clean.blobsVerified == 1)
        }
    }

    @Test("a revival re-verified before the reconciler removed the stray copy is refused", arguments: TestDatabase.allCases)
    func revivalRacingRemoval(database: TestDatabase) async throws {
        let hooked = HookedBox()
        try await Self.run(database, hooked: hooked) { h in
            let reconciler = try Self.reconciler(h)
            _ = try await h.registry.createNamespace("team", context: h.context)
            try await h.push("team", "app", "1", files: ["x": Self.small])
            try await h.registry.deleteVersion(namespace: "team", artifact: "app", version: "1", context: h.context)
            try await GarbageCollectorTests.dueForCollection(h)
            #expect(try await h.controlPlane.garbageCollector.collect().blobsDeleted == 1)
            let address = ContentAddress(Digest.blake3(of: Self.small))
            // Collected bytes stored again by an ingest that never linked: a stray with a `deleted` row.
            _ = try await h.dataPlane.ingest(ByteStream(ByteBuffer(bytes: Self.small)))
            h.advance(by: Self.pastGrace)
            // A push of the same bytes re-verifies them (present); before it revives the row,
            // the reconciler removes them.
            hooked.plane!.afterNextVerify { _ in
                let report = try? await reconciler.run(Self.removing)
                #expect(report?.straysRemoved == 1 && report?.strays.first?.reason == .collected)
            }
            do {
                _ = try await h.ingest(Self.small, into: "team")
                Issue.record("a push whose bytes the reconciler removed was acknowledged")
            } catch let error as ControlPlaneError {
                #expect(error.kind == .blobCollected)
            }
            #expect(try await Self.state(h, address) == "deleted")
            try await h.push("team", "app", "2", files: ["x": Self.small])
            #expect(try await h.read("team", "app", "2", "x") == Self.small)
        }
    }

    @Test("a removing run waits its turn behind a collection holding the lock", arguments: TestDatabase.allCases)
    func sharesTheCollectorsLock(database: TestDatabase) async throws {
        let hooked = HookedBox()
        try await Self.run(database, hooked: hooked) { h in
            let reconciler = try Self.reconciler(h)
            try await GarbageCollectorTests.abandonedUploadDueForCollection(h)
            _ = try await h.dataPlane.ingest(ByteStream(ByteBuffer(bytes: Self.stray)))
            h.advance(by: Self.pastGrace)
            hooked.plane!.beforeNextDelete { _ in
                let during = try? await reconciler.run(Self.removing)
                #expect(during?.ran == false)
                // A reporting run takes no lock.
                let report = try? await reconciler.run(ReconcileOptions(removesStrays: false))
                #expect(report?.ran == true)
            }
            #expect(try await h.controlPlane.garbageCollector.collect().blobsDeleted == 1)
            #expect(try await reconciler.run(Self.removing).straysRemoved == 1)
        }
    }

    @Test(
        "the service runs at start, tries again after its retry interval when the lock is taken and else waits its interval, on its clock",
        arguments: TestDatabase.allCases
    )
    func serviceWaitsOnItsClock(database: TestDatabase) async throws {
        try await Self.run(database) { h in
            _ = try await h.dataPlane.ingest(ByteStream(ByteBuffer(bytes: Self.stray)))
            h.advance(by: Self.pastGrace)
            let clock = ManualClock()
            let (reports, continuation) = AsyncStream.makeStream(of: ReconcileReport.self)
            var service = try Self.reconciler(h).service(interval: .seconds(3600), clock: clock) { continuation.yield($0) }
            service.retryInterval = .seconds(60)
            let group = ServiceGroup(services: [service], gracefulShutdownSignals: [], cancellationSignals: [], logger: TestLogs.silent)
            try await TestDatabase.withStore(at: h.location) { other in
                var iterator = reports.makeAsyncIterator()
                // Another collector holds the `gc` lock through the run at start: nothing is removed.
                let started = try await other.withExclusiveLock(named: "gc") { () async throws -> Task<Void, any Error> in
                    let running = Task { try await group.run() }
                    while clock.sleeperCount == 0 { await Task.yield() }
                    return running
                }
                let running = try #require(started)
                #expect(try h.storedObjects().count == 1)  // the stray
                // It tries again after the retry interval, not a whole interval later.
                clock.advance(by: .seconds(59))
                #expect(clock.sleeperCount == 1)
                clock.advance(by: .seconds(1))
                let report = try #require(await iterator.next())
                #expect(report.ran && report.straysRemoved == 1)
                #expect(try h.storedObjects().isEmpty)
                // After a run that happened, the next waits the whole interval.
                while clock.sleeperCount == 0 { await Task.yield() }
                clock.advance(by: .seconds(3599))
                #expect(clock.sleeperCount == 1)
                await group.triggerGracefulShutdown()
                try await running.value
            }
        }
    }
}
