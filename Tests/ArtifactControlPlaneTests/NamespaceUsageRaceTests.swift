import ArtifactControlPlane
import ArtifactStoreAPI
import ArtifactStoreTestSupport
import Foundation
import Synchronization
import Testing

@Suite("Namespace usage under concurrent pushes, deletes and collection", .timeLimit(.minutes(10)))
struct NamespaceUsageRaceTests {
    /// Shared contents, so pushes deduplicate, deletes leave garbage and the collector takes it.
    static let contents: [[UInt8]] = (0..<24).map { index in
        (0..<(100 + (index % 6) * 700)).map { UInt8(truncatingIfNeeded: $0 &* 17 &+ index &* 5) }
    }

    final class State: Sendable {
        let versions = Mutex<[String: [String]]>([:])
        let counts = Mutex<[String: Int]>([:])
        let unexpected = Mutex<[String]>([])
        let pushing = Mutex(true)

        func count(_ what: String, by amount: Int = 1) { counts.withLock { $0[what, default: 0] += amount } }
    }

    @Test(
        "pushes (some past the quota), abandoned uploads, deletes and collections race; the counters then equal a full recount",
        arguments: TestDatabase.allCases
    )
    func race(database: TestDatabase) async throws {
        let configuration = ControlPlane.Configuration(gcGracePeriod: .milliseconds(50), gcPageSize: 4, collectionWaitLimit: .seconds(10))
        try await Harness.run(database, configuration: configuration, maximumConnections: 10, clock: TestClock(real: true)) { h in
            let namespaces = ["capped", "free"]
            for namespace in namespaces { _ = try await h.registry.createNamespace(namespace, context: h.context) }
            // Room for a few versions at a time: pushes keep meeting the quota while deletes free room.
            _ = try await h.registry.setQuota("capped", 20_000, context: h.context)
            let state = State()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<3 {
                    group.addTask { try await Self.pusher(h, worker: worker, namespaces: namespaces, state: state) }
                }
                group.addTask { try await Self.deleter(h, state: state) }
                group.addTask {
                    while state.pushing.withLock({ $0 }) {
                        let report = try await h.controlPlane.garbageCollector.collect()
                        state.count("links expired", by: report.linksExpired)
                        state.count("blobs collected", by: report.blobsDeleted)
                        try await Task.sleep(for: .milliseconds(3))
                    }
                }
                for _ in 0..<3 { try await group.next() }
                state.pushing.withLock { $0 = false }
                try await group.waitForAll()
            }
            // Collections past the grace period take every abandoned link, then the blobs no one links.
            for _ in 0..<2 {
                h.advance(by: 1)
                let last = try await h.controlPlane.garbageCollector.collect()
                state.count("links expired", by: last.linksExpired)
                state.count("blobs collected", by: last.blobsDeleted)
            }

            let counts = state.counts.withLock { $0 }
            print(
                "FIGURE usage-race \(database): \(counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))"
            )
            #expect(state.unexpected.withLock { $0 } == [])
            #expect(counts["committed", default: 0] > 10)
            #expect(counts["refused quotaExceeded", default: 0] > 0, "no push met the quota: the race proved nothing about it")
            #expect(counts["deleted", default: 0] > 0)
            #expect(counts["links expired", default: 0] > 0, "the collector unlinked nothing")
            #expect(counts["blobs collected", default: 0] > 0, "the collector deleted no blob")
            for namespace in namespaces {
                let maintained = try await h.registry.usage(namespace: namespace)
                var recounted = try await h.registry.recountUsage(namespace: namespace)
                recounted.quotaBytes = maintained.quotaBytes
                #expect(maintained == recounted, "\(namespace)")
            }
            #expect(try await h.registry.usage(namespace: "capped").bytesReferenced <= 20_000)
        }
    }

    /// Pushes versions of one to three shared contents, and now and then an upload no version names.
    static func pusher(_ h: Harness, worker: Int, namespaces: [String], state: State) async throws {
        var random = SystemRandomNumberGenerator()
        for iteration in 0..<30 {
            // Once per pusher, a version of every content (44,400 bytes) into the capped namespace: it is
            // past the quota whatever the deletes have freed, so every run races at least three refusals.
            let oversized = iteration == 7 + worker
            let namespace = oversized ? "capped" : namespaces.randomElement(using: &random)!
            let picks =
                oversized
                ? Set(contents.indices)
                : Set((0..<Int.random(in: 1...3, using: &random)).map { _ in Int.random(in: 0..<contents.count, using: &random) })
            let files = Dictionary(uniqueKeysWithValues: picks.map { ("file-\($0)", contents[$0]) })
            let version = "w\(worker)-\(iteration)"
            do {
                if iteration % 5 == 4 {
                    _ = try await h.ingest(contents[picks.first!], into: namespace)
                    state.count("abandoned uploads")
                } else {
                    try await h.push(namespace, "app", version, files: files)
                    state.versions.withLock { $0[namespace, default: []].append(version) }
                    state.count("committed")
                }
            } catch let error as ControlPlaneError where [.blobCollected, .blobNotLinked, .quotaExceeded].contains(error.kind) {
                state.count("refused \(error.code)")
            } catch {
                state.unexpected.withLock { $0.append("push \(namespace) \(version): \(error)") }
            }
        }
    }

    /// Deletes committed versions while pushes run, keeping a few.
    static func deleter(_ h: Harness, state: State) async throws {
        var random = SystemRandomNumberGenerator()
        while state.pushing.withLock({ $0 }) {
            let victim = state.versions.withLock { versions -> (String, String)? in
                guard let namespace = versions.filter({ $0.value.count > 2 }).keys.randomElement(using: &random),
                    let index = versions[namespace]?.indices.randomElement(using: &random)
                else { return nil }
                return (namespace, versions[namespace]!.remove(at: index))
            }
            guard let (namespace, version) = victim else {
                try await Task.sleep(for: .milliseconds(2))
                continue
            }
            do {
                try await h.registry.deleteVersion(namespace: namespace, artifact: "app", version: version, context: h.context)
                state.count("deleted")
            } catch {
                state.unexpected.withLock { $0.append("delete \(namespace) \(version): \(error)") }
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}
