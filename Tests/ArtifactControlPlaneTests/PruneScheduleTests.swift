import ArtifactStoreTestSupport
import Testing

@testable import ArtifactControlPlane

/// When the outbox pollers remove old rows (webhook deliveries, replication items).
@Suite("Prune schedule", .timeLimit(.minutes(5)))
struct PruneScheduleTests {
    @Test("due at the first round, then once an interval, and at once again after a full batch")
    func schedule() {
        let clock = ManualClock()
        var schedule = PruneSchedule(clock: clock, interval: .seconds(60))
        #expect(schedule.isDue)
        schedule.removed(3)
        #expect(!schedule.isDue)
        clock.advance(by: .seconds(59))
        #expect(!schedule.isDue)
        clock.advance(by: .seconds(1))
        #expect(schedule.isDue)
        // A full batch: more may be waiting, so the next round removes again.
        schedule.removed(LeasedRows.pruneBatch)
        #expect(schedule.isDue)
        // A failed removal (0) waits the interval like an empty one.
        schedule.removed(0)
        #expect(!schedule.isDue)
    }
}
