import ArtifactMetadata
import ArtifactStoreTestSupport
import SQLKit
import Testing

@testable import ArtifactControlPlane

/// When the sequencer service runs a round, and what an idle store costs it: ticks that find
/// nothing pending (or only records younger than the orphan age) run no round and back off; only
/// commits that wrote a record wake it; a wake-up that finds the role taken is tried again a
/// gather later.
@Suite("Audit sequencer service", .timeLimit(.minutes(10)))
struct AuditSequencerServiceTests {
    /// Takes a wake-up left by what opening the harness wrote, so a service started next begins
    /// with its tick, and seals what that left.
    static func drainWake(_ h: Harness) async throws {
        if h.controlPlane.auditWake.isSignalled { await h.controlPlane.auditWake.wait() }
        _ = try await h.controlPlane.auditSequencer.sealPending()
    }

    /// Runs the service `make` builds (handing it where to report) beside `body`, which reads the
    /// reports of its rounds (the first is the round at start); cancels the service when `body`
    /// returns.
    static func running<C: Clock>(
        _ make: (@escaping @Sendable (AuditSealReport) -> Void) -> AuditSequencerService<C>,
        _ body: (AsyncStream<AuditSealReport>) async throws -> Void
    ) async throws where C.Duration == Duration {
        let (reports, continuation) = AsyncStream.makeStream(of: AuditSealReport.self)
        let service = make { continuation.yield($0) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await service.run() }
            try await body(reports)
            group.cancelAll()
        }
    }

    /// Runs, beside `body`, a service of `h` that ticks every 100 ms (backing off to 400 ms) on
    /// `clock` and leaves records younger than `orphanAge` alone, after taking the wake-up opening
    /// left (so the service begins with its tick).
    static func ticking(
        _ h: Harness,
        orphanAge: Duration,
        clock: ManualClock,
        _ body: (AsyncStream<AuditSealReport>) async throws -> Void
    ) async throws {
        try await drainWake(h)
        let sequencer = h.controlPlane.auditSequencer
        try await running(
            {
                sequencer.service(
                    interval: .milliseconds(100),
                    idleInterval: .milliseconds(400),
                    orphanAge: orphanAge,
                    clock: clock,
                    onReport: $0
                )
            },
            body
        )
    }

    @Test("only a commit that appended an audit record wakes the sequencer", arguments: TestDatabase.allCases)
    func wakesOnRecordsOnly(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            let wake = h.controlPlane.auditWake
            try await Self.drainWake(h)
            // A transaction that writes no record: a claim, a prune, lease bookkeeping.
            try await h.controlPlane.mutate("writing no audit record") { db in
                try await db.raw("DELETE FROM webhook_deliveries WHERE id = 'none'").run()
            }
            #expect(!wake.isSignalled)
            // A refused change appends nothing either (it rolled back).
            await #expect(throws: ControlPlaneError.self) {
                try await h.controlPlane.mutate("refusing a change") { db in
                    let event = AuditEvent(action: "test.pending", namespace: nil, target: "refused")
                    try await AuditLog.append(event, context: h.context, at: 1, in: db)
                    throw ControlPlaneError(.invalidName, "refused on purpose")
                }
            }
            #expect(!wake.isSignalled)
            try await AuditSequencerTests.writePending(h, count: 1)
            #expect(wake.isSignalled)
        }
    }

    @Test(
        "ticks that find nothing pending run no round and back off; the next seals what another node wrote, and resets them",
        arguments: TestDatabase.allCases
    )
    func idleTicksBackOff(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            let other = try await ControlPlane.open(h.location, dataPlane: h.dataPlane, logger: TestLogs.silent)
            try await withCleanup {
                let clock = ManualClock()
                // Orphan age zero: every pending record is the ticks' to seal.
                try await Self.ticking(h, orphanAge: .zero, clock: clock) { reports in
                    var iterator = reports.makeAsyncIterator()
                    _ = await iterator.next()  // the round at start
                    for wait in [100, 200, 400] {
                        while clock.pendingSleeps != [.milliseconds(wait)] { await Task.yield() }
                        clock.advance(by: .milliseconds(wait))
                    }
                    while clock.pendingSleeps != [.milliseconds(400)] { await Task.yield() }
                    // Written through another control plane: this process's sequencer is not woken,
                    // and the next (idle-length) tick finds it.
                    _ = try await other.registry.createNamespace("team", context: h.context)
                    clock.advance(by: .milliseconds(400))
                    // The idle ticks ran no round: the next report is the one that sealed the record.
                    let report = await iterator.next()
                    #expect(report?.sealed == 1)
                    while clock.pendingSleeps != [.milliseconds(100)] { await Task.yield() }
                    #expect(try await AuditSequencerTests.pendingCount(h) == 0)
                }
                let service = h.controlPlane.auditSequencer.service(
                    interval: .milliseconds(100),
                    idleInterval: .milliseconds(400),
                    clock: clock
                )
                #expect(service.tickWait(afterIdleTicks: 0) == .milliseconds(100))
                #expect(service.tickWait(afterIdleTicks: 1) == .milliseconds(200))
                #expect(service.tickWait(afterIdleTicks: 16) == .milliseconds(400))
            } then: {
                await other.close()
            }
        }
    }

    @Test(
        "ticks leave a peer's records younger than the orphan age to it and back off; an orphaned record is sealed, the young with it",
        arguments: TestDatabase.allCases
    )
    func ticksLeaveYoungRecords(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            // On this harness's clock: its records are as young as the ones this process writes.
            let other = try await ControlPlane.open(h.location, dataPlane: h.dataPlane, clock: { h.clock.now }, logger: TestLogs.silent)
            try await withCleanup {
                let clock = ManualClock()
                // An hour: the record written now below stays younger for the whole test.
                try await Self.ticking(h, orphanAge: .seconds(3600), clock: clock) { reports in
                    var iterator = reports.makeAsyncIterator()
                    _ = await iterator.next()  // the round at start
                    // A peer's record, written now: this process's sequencer is not woken.
                    _ = try await other.registry.createNamespace("team", context: h.context)
                    for wait in [100, 200, 400] {
                        while clock.pendingSleeps != [.milliseconds(wait)] { await Task.yield() }
                        clock.advance(by: .milliseconds(wait))
                    }
                    while clock.pendingSleeps != [.milliseconds(400)] { await Task.yield() }
                    // Three ticks found no record old enough: they ran no round and backed off.
                    #expect(try await AuditSequencerTests.pendingCount(h) == 1)
                    // A record stamped in 1970, as one whose writer died before sealing it.
                    try await other.mutate("writing an orphaned record") { db in
                        let event = AuditEvent(action: "test.pending", namespace: nil, target: "orphan")
                        try await AuditLog.append(event, context: h.context, at: 1, in: db)
                    }
                    clock.advance(by: .milliseconds(400))
                    let report = await iterator.next()
                    #expect(report?.sealed == 2)
                    #expect(try await AuditSequencerTests.pendingCount(h) == 0)
                }
            } then: {
                await other.close()
            }
        }
    }

    @Test(
        "a wake-up whose round finds the role taken is tried again a gather later, not at the next tick",
        arguments: TestDatabase.allCases
    )
    func retriesWhenRoleTaken(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            try await Self.drainWake(h)
            let clock = ManualClock()
            let sequencer = h.controlPlane.auditSequencer
            try await Self.running({ sequencer.service(interval: .seconds(3600), gather: .milliseconds(10), clock: clock, onReport: $0) }) {
                reports in
                var iterator = reports.makeAsyncIterator()
                _ = await iterator.next()  // the round at start
                try await AuditSequencerTests.holdingRole(h) {
                    try await AuditSequencerTests.writePending(h, count: 1)
                    while clock.pendingSleeps != [.milliseconds(10)] { await Task.yield() }
                    clock.advance(by: .milliseconds(10))
                    // The round found the role taken: the service waits a gather again, not an hour.
                    while clock.pendingSleeps != [.milliseconds(10)] { await Task.yield() }
                    #expect(try await AuditSequencerTests.pendingCount(h) == 1)
                }
                clock.advance(by: .milliseconds(10))
                let report = await iterator.next()
                #expect(report?.sealed == 1)
                #expect(try await AuditSequencerTests.pendingCount(h) == 0)
            }
        }
    }
}
