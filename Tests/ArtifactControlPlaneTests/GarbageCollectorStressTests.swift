import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactIdentity
import ArtifactMetadata
import ArtifactStoreTestSupport
import Foundation
import SQLKit
import Synchronization
import Testing

@Suite("Garbage collection under concurrency", .timeLimit(.minutes(10)))
struct GarbageCollectorStressTests {
    struct VersionKey: Hashable, Sendable {
        var namespace: String
        var version: String
    }

    /// Contents of different sizes that pushes share, so collections, re-pushes and deletes keep
    /// hitting the same blobs. Pushes pick from a window that slides with the iteration (so older
    /// contents become garbage once their versions are deleted) and now and then from all of
    /// them (re-pushes of content that may be collected, or being collected, right then).
    static let contents: [[UInt8]] = (0..<48).map { index in
        (0..<(64 + (index % 8) * 2_500)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index &* 7) }
    }

    static func pick(iteration: Int, using random: inout SystemRandomNumberGenerator) -> Int {
        if Int.random(in: 0..<5, using: &random) == 0 { return Int.random(in: 0..<contents.count, using: &random) }
        return min(iteration + Int.random(in: 0..<4, using: &random), contents.count - 1)
    }

    @Test(
        "GC in a loop against concurrent pushes, re-pushes and deletes never loses an acknowledged push nor a referenced blob",
        arguments: TestDatabase.allCases
    )
    func stress(database: TestDatabase) async throws {
        let configuration = ControlPlane.Configuration(gcGracePeriod: .milliseconds(100), gcPageSize: 4, collectionWaitLimit: .seconds(10))
        try await Harness.run(database, configuration: configuration, maximumConnections: 10, clock: TestClock(real: true)) { h in
            let namespaces = ["one", "two"]
            for namespace in namespaces { _ = try await h.registry.createNamespace(namespace, context: h.context) }
            let state = StressState()
            // On PostgreSQL a second control plane with its own connection pool on the same
            // database plays a second server process: it takes half the pushes and runs its own
            // collector loop, which the advisory lock keeps from running at the same time.
            var planes = [h.controlPlane]
            if database == .postgres {
                planes.append(
                    try await ControlPlane.open(
                        h.location,
                        dataPlane: h.controlPlane.dataPlane,
                        configuration: configuration,
                        clock: { Date() },
                        logger: TestLogs.silent
                    )
                )
            }
            let processes = planes

            try await withThrowingTaskGroup(of: Void.self) { group in
                // Pushers: versions of one to three shared contents.
                for worker in 0..<3 {
                    group.addTask {
                        var random = SystemRandomNumberGenerator()
                        for iteration in 0..<40 {
                            let namespace = namespaces.randomElement(using: &random)!
                            let picks = Array(
                                Set(
                                    (0..<Int.random(in: 1...3, using: &random)).map { _ in Self.pick(iteration: iteration, using: &random) }
                                )
                            )
                            let files = Dictionary(uniqueKeysWithValues: picks.map { ("file-\($0)", Self.contents[$0]) })
                            let version = "w\(worker)-\(iteration)"
                            do {
                                try await h.push(namespace, "app", version, files: files, via: processes[worker % processes.count])
                                state.acknowledged.withLock {
                                    $0[VersionKey(namespace: namespace, version: version)] = Dictionary(
                                        uniqueKeysWithValues: picks.map { ("file-\($0)", $0) }
                                    )
                                }
                                state.count("acknowledged")
                            } catch let error as ControlPlaneError where error.kind == .blobCollected || error.kind == .blobNotLinked {
                                state.count("refused \(error.code)")
                            } catch {
                                state.unexpected.withLock { $0.append("push \(version): \(error)") }
                            }
                        }
                    }
                }
                // A deleter: removes acknowledged versions, making their blobs garbage.
                group.addTask {
                    var random = SystemRandomNumberGenerator()
                    while state.pushing.withLock({ $0 }) {
                        // Keeps at least a dozen versions alive, so there is something to check at the end.
                        guard let key = state.acknowledged.withLock({ $0.count > 12 ? $0.keys.randomElement(using: &random) : nil }) else {
                            try await Task.sleep(for: .milliseconds(5))
                            continue
                        }
                        do {
                            try await h.registry.deleteVersion(
                                namespace: key.namespace,
                                artifact: "app",
                                version: key.version,
                                context: h.context
                            )
                            state.acknowledged.withLock { _ = $0.removeValue(forKey: key) }
                            state.count("deleted versions")
                        } catch {
                            state.unexpected.withLock { $0.append("delete \(key): \(error)") }
                        }
                        try await Task.sleep(for: .milliseconds(3))
                    }
                }
                // The collector, in a loop (one per process).
                for plane in processes {
                    group.addTask {
                        while state.pushing.withLock({ $0 }) {
                            let report = try await plane.garbageCollector.collect()
                            state.count(report.ran ? "gc runs" : "gc runs skipped (lock held elsewhere)")
                            state.counts.withLock { $0["blobs collected during pushes", default: 0] += report.blobsDeleted }
                            try await Task.sleep(for: .milliseconds(2))
                        }
                    }
                }
                // Wait for the pushers (the first three tasks to finish), then stop the rest.
                var finished = 0
                while finished < 3 {
                    try await group.next()
                    finished += 1
                }
                state.pushing.withLock { $0 = false }
                try await group.waitForAll()
            }

            // Settle: the clock moved past the grace period, collect until nothing more goes.
            for _ in 0..<3 {
                h.advance(by: 0.15)
                let report = try await h.controlPlane.garbageCollector.collect()
                state.counts.withLock { $0["blobs collected after", default: 0] += report.blobsDeleted }
            }

            #expect(state.unexpected.withLock { $0 } == [])
            let survivors = state.acknowledged.withLock { $0 }
            let summary = state.counts.withLock { $0 }
            print(
                "FIGURE gc-stress \(database): \(summary.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")) surviving versions=\(survivors.count)"
            )
            #expect(summary["acknowledged", default: 0] > 20)
            #expect(
                summary["blobs collected during pushes", default: 0] > 0,
                "the collector deleted nothing while pushes ran: the test proved nothing"
            )

            // Every surviving acknowledged version, byte for byte, through the data plane.
            for (key, files) in survivors {
                for (path, content) in files {
                    let bytes = try await h.read(key.namespace, "app", key.version, path)
                    #expect(bytes == Self.contents[content], "\(key) \(path) lost or changed")
                }
            }
            // Every blob the metadata calls live is really there and intact.
            let live = try await h.controlPlane.store.read { db in
                try await db.raw("SELECT address FROM blobs WHERE state = 'live'").all().map {
                    try $0.decode(column: "address", as: String.self)
                }
            }
            for address in live {
                let result = try await h.dataPlane.verify(try ContentAddress(parsing: address))
                #expect(result.verified, "live blob \(address) is not intact")
            }
            // And nothing referenced is marked deleted.
            let referencedButGone = try await h.controlPlane.store.read { db in
                try await db.raw(
                    "SELECT DISTINCT f.address FROM version_files f JOIN blobs b ON b.address = f.address WHERE b.state <> 'live'"
                ).all().count
            }
            #expect(referencedButGone == 0)
            for plane in processes.dropFirst() { await plane.close() }
        }
    }
}

/// What the stress test's tasks share.
final class StressState: Sendable {
    let acknowledged = Mutex<[GarbageCollectorStressTests.VersionKey: [String: Int]]>([:])
    let counts = Mutex<[String: Int]>([:])
    let unexpected = Mutex<[String]>([])
    let pushing = Mutex(true)

    func count(_ what: String) {
        counts.withLock { $0[what, default: 0] += 1 }
    }
}
