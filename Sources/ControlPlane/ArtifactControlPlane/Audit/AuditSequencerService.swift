import Logging
public import ServiceLifecycle

/// The audit sequencer as a long-running service: a seal round shortly after every local commit
/// that wrote a record (``gather`` later), and a look for records other processes left pending
/// every ``interval`` while there are some (backing off to ``idleInterval`` while there are
/// none), until graceful shutdown.
///
/// Exists so acknowledged changes reach the keyed chain within the documented bound
/// (docs/control-plane.md, "Audit log") on every server, while only the one holding the
/// `audit-sequencer` lock seals. A commit's wake-up is answered ``gather`` (50 ms by default)
/// later rather than at once, so that the commits of those milliseconds are sealed by one round:
/// a round costs the same eight statements and one lock whether it seals one record or fifty,
/// and every node of a cluster runs its own rounds. A wake-up whose round finds the role taken
/// (another node, or a read of this one, is sealing) is tried again a gather later, so a node's
/// own records never wait for a tick. A tick asks first whether any record at least
/// ``orphanAge`` old is pending (one statement) and runs a round only then: the ticks exist for
/// records whose writer died before sealing them, or wrote them without a sequencer (a CLI
/// command), and a younger record is still its writer's to seal. Without the age, a node that
/// takes no writes while its peers do (a standby, or one the balancer sends only reads) found
/// their fresh records at every tick and ran a round ten times a second, competing with their
/// own rounds for the role (scripts/bench.sh cluster: two such nodes took some 4% of a core
/// while one node took 130 versions/s). If the holder dies, its lock
/// goes with its connection (or process) and the next node's round takes over. Graceful shutdown
/// interrupts the wait, then runs one last round, so what this node acknowledged is sealed before
/// it stops. Failures are logged and the next round retries.
public struct AuditSequencerService<C: Clock>: Service where C.Duration == Duration {
    public let sequencer: AuditSequencer
    /// The tick while records are found pending.
    public let interval: Duration
    /// The longest tick: each tick that finds nothing pending doubles the next, up to this.
    public let idleInterval: Duration
    /// How long after a wake-up the round starts; zero: at once.
    public let gather: Duration
    /// How old (by the control plane's clock against the record's time) a pending record must be
    /// for a tick to run a round for it.
    public let orphanAge: Duration
    let clock: C
    let logger: Logger
    /// Called with the report of every round that held the role (metrics, tests).
    let onReport: @Sendable (AuditSealReport) -> Void

    /// What started a round.
    enum Trigger: Sendable {
        /// The start, a local commit, or a retry of one: seal.
        case seal
        /// The timer: seal only what is found pending.
        case tick
    }

    /// How a round ended.
    enum Outcome: Sendable, Equatable {
        /// A round held the role and sealed this many records.
        case ran(sealed: Int)
        /// Another sealer held the role.
        case roleTaken
        /// A tick found nothing pending.
        case nothingPending
        /// The round failed (logged).
        case failed
    }

    public func run() async throws {
        let wake = sequencer.controlPlane.auditWake
        var refused = 0
        var trigger = Trigger.seal
        var idleTicks = 0
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let outcome = await round(trigger, refused: &refused)
            // A tick that found nothing, or only records it refuses (forged), counts as idle.
            let idle = trigger == .tick && (outcome == .nothingPending || outcome == .ran(sealed: 0))
            idleTicks = idle ? min(idleTicks + 1, 16) : 0
            let retry = trigger == .seal && outcome == .roleTaken
            let tick = tickWait(afterIdleTicks: idleTicks)
            trigger = await cancelWhenGracefulShutdown { await nextTrigger(retry: retry, tick: tick, wake: wake) }
        }
        if !Task.isCancelled { _ = await round(.seal, refused: &refused) }
    }

    /// The wait before the next tick: ``interval``, doubled for every tick in a row that found
    /// nothing pending, at most ``idleInterval``.
    func tickWait(afterIdleTicks idleTicks: Int) -> Duration {
        var wait = interval
        for _ in 0..<idleTicks where wait < idleInterval { wait = wait * 2 }
        return min(wait, max(idleInterval, interval))
    }

    /// Waits for a wake-up (then the gather) or the tick; a retry waits the gather only.
    private func nextTrigger(retry: Bool, tick: Duration, wake: AuditWakeSignal) async -> Trigger {
        if retry {
            try? await clock.sleep(for: gather > .zero ? gather : .milliseconds(10))
            return .seal
        }
        let woken = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                try? await clock.sleep(for: tick)
                return false
            }
            group.addTask {
                await wake.wait()
                return true
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        guard woken else { return .tick }
        if gather > .zero { try? await clock.sleep(for: gather) }
        return .seal
    }

    /// The newest record time a tick seals for: now less ``orphanAge``, in milliseconds.
    func orphanCutoff() -> Int64 {
        sequencer.controlPlane.nowMilliseconds() - orphanAge.milliseconds
    }

    /// One round. `refused` is how many records the last round refused: a change is logged (so
    /// a forged pending record is reported once, not at every round).
    private func round(_ trigger: Trigger, refused: inout Int) async -> Outcome {
        do {
            if trigger == .tick, try await !sequencer.hasPending(writtenBy: orphanCutoff()) { return .nothingPending }
            let report = try await sequencer.sealPending()
            guard report.ran else { return .roleTaken }
            onReport(report)
            if report.refused > 0, report.refused != refused {
                logger.error(
                    "pending audit records fail their writer's MAC or do not decode; they stay unsealed (audit verify names them)",
                    metadata: ["refused": "\(report.refused)"]
                )
            }
            refused = report.refused
            return .ran(sealed: report.sealed)
        } catch {
            logger.error("sealing audit records failed", metadata: ["error": "\(error)"])
            return .failed
        }
    }
}

extension AuditSequencer {
    /// A service that seals `gather` after every local commit that wrote a record, and looks for
    /// pending records at least `orphanAge` old every `interval` (backing off to `idleInterval`
    /// while it finds none) on `clock`, until shutdown, passing each round it ran to `onReport`.
    public func service<C: Clock>(
        interval: Duration = .milliseconds(100),
        idleInterval: Duration = .seconds(1),
        gather: Duration = .milliseconds(50),
        orphanAge: Duration = .milliseconds(250),
        clock: C = ContinuousClock(),
        onReport: @escaping @Sendable (AuditSealReport) -> Void = { _ in }
    ) -> AuditSequencerService<C> where C.Duration == Duration {
        AuditSequencerService(
            sequencer: self,
            interval: interval,
            idleInterval: max(idleInterval, interval),
            gather: min(gather, interval),
            orphanAge: max(orphanAge, .zero),
            clock: clock,
            logger: controlPlane.logger,
            onReport: onReport
        )
    }
}
