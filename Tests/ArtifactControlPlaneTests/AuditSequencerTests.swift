import ArtifactMetadata
import ArtifactStoreTestSupport
import Foundation
import SQLKit
import Synchronization
import Testing

@testable import ArtifactControlPlane

/// The pending table, the sequencer and verification of what it cannot seal.
@Suite("Audit sequencer", .timeLimit(.minutes(10)))
struct AuditSequencerTests {
    struct Refusal: Error {}

    /// Writes `count` pending records (action `test.pending`, targets `r0`, `r1`, …).
    static func writePending(_ h: Harness, count: Int, from start: Int = 0) async throws {
        for index in start..<(start + count) {
            try await h.controlPlane.mutate("writing a test record") { db in
                let event = AuditEvent(action: "test.pending", namespace: nil, target: "r\(index)")
                try await AuditLog.append(event, context: h.context, at: 1, in: db)
            }
        }
    }

    static func pendingCount(_ h: Harness) async throws -> Int64 {
        try await h.controlPlane.store.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM audit_pending").first()!.decode(column: "n", as: Int64.self)
        }
    }

    /// Runs `body` while this store holds the sequencer role, so nothing is sealed meanwhile.
    static func holdingRole(_ h: Harness, _ body: @Sendable () async throws -> Void) async throws {
        let held: Bool? = try await h.controlPlane.store.withExclusiveLock(named: AuditSequencer.lockName) {
            try await body()
            return true
        }
        #expect(held != nil)
    }

    @Test("writes go to the pending table; a seal round links them into the chain in (time, id) order", arguments: TestDatabase.allCases)
    func sealsPending(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            try await Self.holdingRole(h) {
                try await Self.writePending(h, count: 5)
                #expect(try await Self.pendingCount(h) == 5)
                // Reads show sealed records only, and verification counts the pending ones.
                #expect(try await h.auditRecords(action: "test.pending").isEmpty)
                let report = try await h.controlPlane.audit.verifyChain()
                #expect(report.isIntact && report.recordsPending == 5, "\(report)")
            }
            let sealed = try await h.controlPlane.auditSequencer.sealPending()
            #expect(sealed.ran && sealed.sealed == 5 && sealed.refused == 0)
            #expect(try await Self.pendingCount(h) == 0)
            let records = try await h.auditRecords(action: "test.pending")
            #expect(records.count == 5)
            #expect(records.map(\.sequence) == records.map(\.sequence).sorted())
            let report = try await h.controlPlane.audit.verifyChain()
            #expect(report.isIntact && report.recordsPending == 0, "\(report)")
        }
    }

    @Test("a transaction that wrote a record and then rolled back leaves nothing pending", arguments: TestDatabase.allCases)
    func rolledBack(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            let before = try await Self.pendingCount(h)
            await #expect(throws: ControlPlaneError.self) {
                try await h.controlPlane.mutate("appending and refusing") { db in
                    let event = AuditEvent(action: "test.refused", namespace: nil, target: "x")
                    try await AuditLog.append(event, context: h.context, at: 1, in: db)
                    throw Refusal()
                }
            }
            #expect(try await Self.pendingCount(h) == before)
            #expect(try await h.auditRecords(action: "test.refused").isEmpty)
            #expect(try await h.controlPlane.audit.verifyChain().isIntact)
        }
    }

    @Test(
        "two sealers racing without the lock seal every pending record exactly once, in one intact chain",
        arguments: TestDatabase.allCases
    )
    func racingSealers(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            let total = 60
            try await Self.holdingRole(h) {
                try await Self.writePending(h, count: total)
                // Both bypass the lock: only the seal transaction itself keeps them apart.
                let sealer = h.controlPlane.auditSequencer
                let sealedBy = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<2 {
                        group.addTask {
                            var sealed = 0
                            while true {
                                do {
                                    let batch = try await sealer.sealBatch(limit: 7)
                                    sealed += batch.sealed
                                    if batch.sealed == 0, !batch.lostRace, !batch.more { return sealed }
                                } catch let error as ControlPlaneError where error.kind == .database {
                                    // A lost race surfacing as a conflict (SQLite busy, PostgreSQL
                                    // retries exhausted) writes nothing; try again.
                                    continue
                                }
                            }
                        }
                    }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                #expect(sealedBy.reduce(0, +) == total, "\(sealedBy)")
            }
            #expect(try await Self.pendingCount(h) == 0)
            let records = try await h.auditRecords(action: "test.pending")
            #expect(records.map(\.target).sorted() == (0..<total).map { "r\($0)" }.sorted())
            let report = try await h.controlPlane.audit.verifyChain()
            #expect(report.isIntact, "\(String(describing: report.firstFault))")
        }
    }

    @Test("a node that cannot take the sequencer role seals nothing", arguments: TestDatabase.allCases)
    func lostRole(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            let other = try await ControlPlane.open(h.location, dataPlane: h.dataPlane, logger: TestLogs.silent)
            try await withCleanup {
                try await Self.writePending(h, count: 3)
                let held: Bool? = try await other.store.withExclusiveLock(named: AuditSequencer.lockName) {
                    let report = try await h.controlPlane.auditSequencer.sealPending()
                    #expect(!report.ran && report.sealed == 0)
                    #expect(try await Self.pendingCount(h) == 3)
                    return true
                }
                #expect(held != nil)
                #expect(try await h.controlPlane.auditSequencer.sealPending().sealed == 3)
            } then: {
                await other.close()
            }
        }
    }

    enum PendingTampering: String, CaseIterable, CustomStringConvertible {
        case edit, forge
        var description: String { rawValue }
    }

    @Test(
        "a pending record edited or forged in the database before it is sealed is never sealed, and verify names it",
        arguments: TestDatabase.allCases,
        PendingTampering.allCases
    )
    func pendingTampering(database: TestDatabase, tampering: PendingTampering) async throws {
        try await Harness.run(database) { h in
            try await Self.holdingRole(h) {
                try await Self.writePending(h, count: 3)
                switch tampering {
                case .edit:
                    try await h.execute("UPDATE audit_pending SET actor = 'user:mallory' WHERE target = 'r1'")
                case .forge:
                    try await h.execute(
                        """
                        INSERT INTO audit_pending (\(unsafeRaw: AuditPendingRecord.columns))
                        VALUES ('forged', 1, 'user:mallory', 'test.pending', NULL, 'r1', '', 'success', NULL, NULL, NULL,
                                \(bind: AuditKeyring.processLocal.activeID), \(bind: String(repeating: "0", count: 64)))
                        """
                    )
                }
            }
            let round = try await h.controlPlane.auditSequencer.sealPending()
            #expect(round.refused == 1, "\(round)")
            let report = try await h.controlPlane.audit.verifyChain()
            let fault = try #require(report.firstFault)
            #expect(fault.reason == .pendingForged, "\(fault)")
            #expect(report.recordsPending == 1)
            #expect(try await h.auditRecords(action: "test.pending").allSatisfy { $0.actor == h.context.actor })
        }
    }

    @Test(
        "a record whose column does not decode is the first fault, not an error; the export ends with an error line",
        arguments: TestDatabase.allCases
    )
    func malformedRecord(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            try await AuditLogTests.populate(h)
            _ = try await h.controlPlane.auditSequencer.sealPending()
            try await h.execute("UPDATE audit_log SET time = time + 0.5 WHERE seq = 3")
            var fault = try #require(try await h.controlPlane.audit.verifyChain().firstFault)
            #expect(fault.sequence == 3)
            // PostgreSQL rounds into its BIGINT column (an edit); SQLite stores a real (malformed).
            #expect(fault.reason == (database == .sqlite ? .malformed : .contentsAltered), "\(fault)")
            guard database == .sqlite else { return }
            try await h.execute("UPDATE audit_log SET time = 'abc' WHERE seq = 3")
            fault = try #require(try await h.controlPlane.audit.verifyChain().firstFault)
            #expect(fault.sequence == 3 && fault.reason == .malformed, "\(fault)")
            let lines = Mutex<[String]>([])
            let written = try await h.controlPlane.audit.exportJSONLines(pageSize: 2) { line in lines.withLock { $0.append(line) } }
            let collected = lines.withLock { $0 }
            #expect(written == 2)
            #expect(collected.count == 3)
            let last = try JSONSerialization.jsonObject(with: Data(collected[2].utf8)) as? [String: Any]
            let error = try #require(last?["error"] as? [String: Any])
            #expect(error["code"] as? String == "auditRecordMalformed")
            #expect(error["sequence"] as? Int == 3)
        }
    }

    @Test("the service seals right after a local commit, woken by it", arguments: TestDatabase.allCases)
    func serviceWakes(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            let (reports, continuation) = AsyncStream.makeStream(of: AuditSealReport.self)
            // An hour between ticks: only the wake-up can seal within this test.
            let service = h.controlPlane.auditSequencer.service(interval: .seconds(3600), clock: ContinuousClock()) {
                continuation.yield($0)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await service.run() }
                _ = try await h.registry.createNamespace("team", context: h.context)
                var sealed = 0
                for await report in reports {
                    sealed += report.sealed
                    if sealed >= 1 { break }
                }
                #expect(try await Self.pendingCount(h) == 0)
                group.cancelAll()
            }
            #expect(try await h.auditRecords(action: "namespace.create").count == 1)
        }
    }

    @Test(
        "a wake-up is answered once the gather has passed on the injected clock, long before the next tick",
        arguments: TestDatabase.allCases
    )
    func serviceGathersAfterWake(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            let clock = ManualClock()
            let (reports, continuation) = AsyncStream.makeStream(of: AuditSealReport.self)
            // An hour between ticks: advancing the clock by the gather can only end the gather.
            let service = h.controlPlane.auditSequencer.service(interval: .seconds(3600), gather: .milliseconds(10), clock: clock) {
                continuation.yield($0)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await service.run() }
                var iterator = reports.makeAsyncIterator()
                _ = await iterator.next()  // the first round, at start
                // Two commits of this process: each wakes the sequencer, and one round seals both.
                _ = try await h.registry.createNamespace("team", context: h.context)
                _ = try await h.registry.createNamespace("crew", context: h.context)
                // The wake-up ends the hour's wait; the round waits the gather instead.
                while clock.pendingSleeps != [.milliseconds(10)] { await Task.yield() }
                #expect(try await Self.pendingCount(h) == 2)
                clock.advance(by: .milliseconds(10))
                var sealed = 0
                while sealed < 2, let report = await iterator.next() { sealed += report.sealed }
                #expect(sealed == 2)
                #expect(try await Self.pendingCount(h) == 0)
                group.cancelAll()
            }
        }
    }

    @Test(
        "records sealed before schema 5 (no key id, plain SHA-256) verify, the first keyed record links to them, and an edit is caught",
        arguments: TestDatabase.allCases
    )
    func legacyRecords(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            // As the code before schema 5 wrote it: v1 encoding, SHA-256, head moved with it.
            var legacy = AuditRecord(
                sequence: 1,
                timeMilliseconds: 1_700_000_000_000,
                actor: "user:old",
                action: "namespace.create",
                namespace: "old",
                target: "old",
                digests: [],
                outcome: "success",
                requestID: nil,
                clientAddress: nil,
                detail: nil,
                previousHash: AuditRecord.genesisHash,
                hash: ""
            )
            legacy.hash = legacy.computedHash
            try await h.execute(
                """
                INSERT INTO audit_log (seq, time, actor, action, namespace, target, digests, outcome, previous_hash, hash)
                VALUES (1, \(bind: legacy.timeMilliseconds), 'user:old', 'namespace.create', 'old', 'old', '', 'success',
                        \(bind: legacy.previousHash), \(bind: legacy.hash))
                """
            )
            try await h.execute("INSERT INTO audit_head (id, seq, hash) VALUES (1, 1, \(bind: legacy.hash))")
            _ = try await h.registry.createNamespace("team", context: h.context)
            let records = try await h.controlPlane.audit.records(page: .first(10)).items
            #expect(records.map(\.keyID) == [nil, AuditKeyring.processLocal.activeID])
            #expect(records.last?.previousHash == legacy.hash)
            #expect(try await h.controlPlane.audit.verifyChain().isIntact)
            try await h.execute("UPDATE audit_log SET actor = 'user:mallory' WHERE seq = 1")
            let fault = try #require(try await h.controlPlane.audit.verifyChain().firstFault)
            #expect(fault.sequence == 1 && fault.reason == .contentsAltered, "\(fault)")
        }
    }
}
