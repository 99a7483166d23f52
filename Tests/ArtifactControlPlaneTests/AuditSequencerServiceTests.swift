import ArtifactMetadata
import ArtifactStoreTestSupport
import SQLKit
import Testing

@testable import ArtifactControlPlane

/// When the sequencer service runs a round, and what an idle store costs it: ticks that find
/// nothing pending run no round and back off; only commits that wrote a record wake it; a wake-up
/// that finds the role taken is tried again a gather later.
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
                try await Self.drainWake(h)
                let clock = ManualClock()
                let sequencer = h.controlPlane.auditSequencer
                try await Self.running({
                    sequencer.service(interval: .milliseconds(100), idleInterval: .milliseconds(400), clock: clock, onReport: $0)
                }) {
                    reports in
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
                let service = sequencer.service(interval: .milliseconds(100), idleInterval: .milliseconds(400), clock: clock)
                #expect(service.tickWait(afterIdleTicks: 0) == .milliseconds(100))
                #expect(service.tickWait(afterIdleTicks: 1) == .milliseconds(200))
                #expect(service.tickWait(afterIdleTicks: 16) == .milliseconds(400))
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
