import ArtifactControlPlane
import ArtifactDataPlaneLocal
import ArtifactIdentity
import ArtifactMetadata
import ArtifactStoreAPI
import ArtifactStoreTestSupport
import Foundation
import NIOCore
import SQLKit
import Synchronization
import Testing

/// The caches stay correct for as long as they live: the store's own events (revocation, GC
/// unlink, GC deletion) end cached facts at once in the process that made them and, through the
/// store's change feed, in every other process sharing the database; a lost feed turns them off.
@Suite("Cache invalidation", .timeLimit(.minutes(5)))
struct CacheInvalidationTests {
    /// A second control plane on the harness's database and data plane, as another server
    /// process sharing them would have (its own store: its own connections and listener).
    func withSecond(_ h: Harness, _ body: (ControlPlane) async throws -> Void) async throws {
        let second = try await ControlPlane.open(
            h.location,
            dataPlane: h.dataPlane,
            configuration: h.controlPlane.configuration,
            clock: { h.clock.now },
            logger: TestLogs.silent
        )
        try await withCleanup {
            try await body(second)
        } then: {
            await second.close()
        }
    }

    /// Two control planes on one database (``withSecond(_:_:)``), with `bytes` stored and linked
    /// into namespace `team` through the first.
    func withBlobInTwoProcesses(
        _ database: TestDatabase,
        _ bytes: [UInt8],
        test: String = #function,
        _ body: (Harness, ControlPlane, LinkedBlob) async throws -> Void
    ) async throws {
        try await Harness.run(database, test: test) { h in
            try await withSecond(h) { second in
                _ = try await h.registry.createNamespace("team", context: h.context)
                try await body(h, second, try await h.ingest(bytes, into: "team"))
            }
        }
    }

    /// Waits until `second` has heard the changes committed so far: on an SQLite file it polls
    /// at once (the poller would within a second); on PostgreSQL it retries `check` for up to 1 s
    /// of real time, the promise for a notification to arrive.
    func untilHeard(by second: ControlPlane, _ check: () async -> Bool) async -> Bool {
        await second.store.checkForForeignWrites()
        let deadline = ContinuousClock.now + .seconds(1)
        while ContinuousClock.now < deadline {
            if await check() { return true }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return await check()
    }

    func refusal(_ plane: ControlPlane, _ issued: IssuedToken, _ h: Harness) async -> ControlPlaneError.Code? {
        do {
            _ = try await plane.auth.require(token: issued.token, scope: .read, namespace: "team", context: h.context)
            return nil
        } catch {
            return error.kind
        }
    }

    @Test("a token revoked through one process is refused by a second on the same database within 1 s", arguments: TestDatabase.allCases)
    func revocationReachesSecondProcess(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            try await withSecond(h) { second in
                let issued = try await h.controlPlane.auth.createToken(
                    name: "ci",
                    grants: [Grant(.read, namespace: "team")],
                    expiresAt: nil,
                    context: h.context
                )
                await second.store.checkForForeignWrites()  // SQLite: the creation, heard now rather than by the poller
                _ = try await second.auth.require(token: issued.token, scope: .read, namespace: "team", context: h.context)
                #expect(second.caches.authorizations.count == 1)
                try await h.controlPlane.auth.revokeToken(id: issued.info.id, context: h.context)
                #expect(await refusal(h.controlPlane, issued, h) == .tokenRevoked)
                let refused = await untilHeard(by: second) { await refusal(second, issued, h) == .tokenRevoked }
                #expect(refused)
            }
        }
    }

    @Test("a blob GC deleted is not served from a cache afterwards, by the collecting process or another", arguments: TestDatabase.allCases)
    func collectedBlobNotServed(database: TestDatabase) async throws {
        let bytes = Array("collected soon".utf8)
        try await withBlobInTwoProcesses(database, bytes) { h, second, blob in
            for plane in [h.controlPlane, second] {
                // Warm: the fact by SHA-256 and by address, and the small blob's bytes.
                _ = try await plane.registry.blob(namespace: "team", digest: blob.sha256)
                #expect(try await h.collect(try await plane.registry.openBlob(namespace: "team", address: blob.address)) == bytes)
            }
            #expect(second.caches.blobFacts.contents.count == 1)
            h.advance(by: 3601)
            _ = try await h.controlPlane.garbageCollector.collect()  // expires the link, marks the blob
            h.advance(by: 3601)
            #expect(try await h.controlPlane.garbageCollector.collect().blobsDeleted == 1)
            for plane in [h.controlPlane, second] {
                let gone = await untilHeard(by: plane) {
                    plane.caches.blobFacts.count == 0 && plane.caches.blobFacts.contents.count == 0
                }
                #expect(gone)
                let byDigest = await #expect(throws: ControlPlaneError.self) {
                    try await plane.registry.blob(namespace: "team", digest: blob.sha256)
                }
                #expect(byDigest?.kind == .blobNotFound)
                let opened = await #expect(throws: ControlPlaneError.self) {
                    try await plane.registry.openBlob(namespace: "team", address: blob.address)
                }
                #expect(opened?.kind == .blobNotFound)
            }
        }
    }

    @Test("a GC deletion reaches a second process that still holds the fact and the bytes", arguments: TestDatabase.allCases)
    func deletionEventAlone(database: TestDatabase) async throws {
        let bytes = Array("deleted under a warm cache".utf8)
        try await withBlobInTwoProcesses(database, bytes) { h, second, blob in
            await second.store.checkForForeignWrites()
            #expect(try await h.collect(try await second.registry.openBlob(namespace: "team", address: blob.address)) == bytes)
            // Unlinked and marked behind every cache's back (no event), so on PostgreSQL only the
            // deletion's event can end what the second process holds (an SQLite poller may empty
            // it earlier: any write by another connection does).
            try await h.execute("DELETE FROM links WHERE address = \(bind: blob.address.description)")
            try await h.execute("UPDATE blobs SET unreferenced_since = 0 WHERE address = \(bind: blob.address.description)")
            if database == .postgres {
                #expect(second.caches.blobFacts.contents.count == 1)
                #expect(try await h.collect(try await second.registry.openBlob(namespace: "team", address: blob.address)) == bytes)
            }
            h.advance(by: 3601)
            #expect(try await h.controlPlane.garbageCollector.collect().blobsDeleted == 1)
            let gone = await untilHeard(by: second) { second.caches.blobFacts.contents.count == 0 && second.caches.blobFacts.count == 0 }
            #expect(gone)
            let opened = await #expect(throws: ControlPlaneError.self) {
                try await second.registry.openBlob(namespace: "team", address: blob.address)
            }
            #expect(opened?.kind == .blobNotFound)
        }
    }

    @Test("revocations racing authorisations: once revokeToken returns, no authorisation succeeds", arguments: TestDatabase.allCases)
    func revocationRace(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            let auth = h.controlPlane.auth
            for round in 0..<3 {
                let issued = try await auth.createToken(
                    name: "r\(round)",
                    grants: [Grant(.read, namespace: "team")],
                    expiresAt: nil,
                    context: h.context
                )
                let (lateSuccesses, revoked) = try await withThrowingTaskGroup(of: Int.self) { group -> (Int, Bool) in
                    let revokedAt = Flag()
                    for _ in 0..<8 {
                        group.addTask {
                            var late = 0
                            for _ in 0..<10 {
                                // Read whether the revocation had returned before asking: a success
                                // asked after it returned would be a stale grant.
                                let askedAfterRevocation = revokedAt.isSet
                                let allowed = await refusal(h.controlPlane, issued, h) == nil
                                if allowed, askedAfterRevocation { late += 1 }
                            }
                            return late
                        }
                    }
                    try await auth.revokeToken(id: issued.info.id, context: h.context)
                    revokedAt.set()
                    var late = 0
                    for try await count in group { late += count }
                    return (late, revokedAt.isSet)
                }
                #expect(revoked)
                #expect(lateSuccesses == 0)
                #expect(await refusal(h.controlPlane, issued, h) == .tokenRevoked)
            }
        }
    }

    @Test("unlinks racing blob reads: once the GC's unlink returns, no namespace sees the blob", arguments: TestDatabase.allCases)
    func unlinkRace(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            _ = try await h.registry.createNamespace("team", context: h.context)
            var blobs: [LinkedBlob] = []
            for index in 0..<6 { blobs.append(try await h.ingest(Array("racing \(index)".utf8), into: "team")) }
            let collected = Flag()
            let late = try await withThrowingTaskGroup(of: Int.self) { group -> Int in
                for blob in blobs {
                    group.addTask {
                        var late = 0
                        for _ in 0..<30 {
                            let askedAfter = collected.isSet
                            do {
                                _ = try await h.registry.blob(namespace: "team", digest: blob.sha256)
                                if askedAfter { late += 1 }
                            } catch let error as ControlPlaneError where error.kind == .blobNotFound {
                                // Collected: what every read after the unlink must see.
                            } catch {
                                Issue.record(error, "a blob read racing the unlink failed otherwise")
                            }
                        }
                        return late
                    }
                }
                h.advance(by: 3601)
                #expect(try await h.controlPlane.garbageCollector.collect().linksExpired == blobs.count)
                collected.set()
                var late = 0
                for try await count in group { late += count }
                return late
            }
            #expect(late == 0)
            #expect(h.controlPlane.caches.blobFacts.count == 0)
        }
    }

    @Test("a lost change feed empties the caches and sends every lookup to the database until it is back")
    func lostFeed() async throws {
        try await Harness.run(.sqlite) { h in
            let caches = h.controlPlane.caches
            let issued = try await h.controlPlane.auth.createToken(
                name: "ci",
                grants: [Grant(.read, namespace: "team")],
                expiresAt: nil,
                context: h.context
            )
            _ = try await h.controlPlane.auth.require(token: issued.token, scope: .read, namespace: "team", context: h.context)
            #expect(caches.authorizations.count == 1)
            caches.apply(.lost)
            #expect(caches.authorizations.count == 0)
            // Revoked behind the cache's back while nothing is heard: the database answers.
            try await h.execute("UPDATE tokens SET revoked_at = 1 WHERE id = \(bind: issued.info.id)")
            #expect(await refusal(h.controlPlane, issued, h) == .tokenRevoked)
            try await h.execute("UPDATE tokens SET revoked_at = NULL WHERE id = \(bind: issued.info.id)")
            _ = try await h.controlPlane.auth.require(token: issued.token, scope: .read, namespace: "team", context: h.context)
            #expect(caches.authorizations.count == 0)
            caches.apply(.resumed)
            _ = try await h.controlPlane.auth.require(token: issued.token, scope: .read, namespace: "team", context: h.context)
            #expect(caches.authorizations.count == 1)
            // An event nobody described empties everything; a foreign message does what it says.
            caches.apply(.undescribed)
            #expect(caches.authorizations.count == 0)
            _ = try await h.controlPlane.auth.require(token: issued.token, scope: .read, namespace: "team", context: h.context)
            caches.apply(.published("token \(issued.info.id)"))
            #expect(caches.authorizations.count == 0)
            _ = try await h.controlPlane.auth.require(token: issued.token, scope: .read, namespace: "team", context: h.context)
            caches.apply(.published("something this version does not know"))
            #expect(caches.authorizations.count == 0)
        }
    }

    @Test("a PostgreSQL store hears its notifications, and a dropped listener is told as lost, then resumed")
    func listenerDropAndResume() async throws {
        try await Harness.run(.postgres) { h in
            let store = h.controlPlane.store
            #expect(store.hearsChanges)
            let heard = Mutex<[MetadataChange]>([])
            store.subscribe { change in heard.withLock { $0.append(change) } }
            try await store.transaction { db in try await store.publish("namespace probe", in: db) }
            let published = await untilHeard(by: h.controlPlane) { heard.withLock { $0.contains(.published("namespace probe")) } }
            #expect(published)
            // Ends the listening backend from another connection, as a network failure would.
            try await store.transaction { db in
                try await db.raw(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE \(bind: "LISTEN%\(store.changeChannel)%")"
                ).run()
            }
            let lostThenBack = await untilHeard(by: h.controlPlane) {
                heard.withLock { changes in
                    guard let lost = changes.firstIndex(of: .lost) else { return false }
                    return changes[lost...].contains(.resumed)
                }
            }
            #expect(lostThenBack)
            #expect(store.hearsChanges)
        }
    }
}

/// A flag tasks of a group read while the test sets it.
final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
