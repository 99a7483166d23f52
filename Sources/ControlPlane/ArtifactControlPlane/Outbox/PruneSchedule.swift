/// When a leased outbox's poller next removes old rows: at its first round, then once every
/// ``interval``, and again at the next round while a removal finds a full batch.
///
/// Exists so an idle node does not run the removal's transaction every round (every second):
/// the rows it removes are days old, so a minute later is as good, and a backlog still drains
/// a batch a round.
package struct PruneSchedule<C: Clock<Duration>>: Sendable {
    let clock: C
    let interval: Duration
    private var next: C.Instant?

    package init(clock: C, interval: Duration = .seconds(60)) {
        self.clock = clock
        self.interval = interval
    }

    /// Whether this round should remove old rows.
    package var isDue: Bool {
        guard let next else { return true }
        return clock.now >= next
    }

    /// Runs `prune` if it is due and records what it removed; a failure goes to `failed` and
    /// waits the interval like an empty removal.
    package mutating func runIfDue(
        _ prune: () async throws(ControlPlaneError) -> Int,
        failed: (ControlPlaneError) -> Void
    ) async {
        guard isDue else { return }
        do {
            removed(try await prune())
        } catch {
            removed(0)
            failed(error)
        }
    }

    /// Records a removal of `removed` rows (0 when it failed).
    package mutating func removed(_ removed: Int) {
        next = removed >= LeasedRows.pruneBatch ? clock.now : clock.now.advanced(by: interval)
    }
}
