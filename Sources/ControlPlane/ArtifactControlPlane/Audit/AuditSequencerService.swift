import Logging
public import ServiceLifecycle

/// The audit sequencer as a long-running service: a seal round shortly after every local commit
/// (``gather`` later) and at least every ``interval``, until graceful shutdown.
///
/// Exists so acknowledged changes reach the keyed chain within the documented bound
/// (docs/control-plane.md, "Audit log": one interval plus one round, 100 ms by default) on every
/// server, while only the one holding the `audit-sequencer` lock seals. A commit's wake-up is
/// answered ``gather`` (10 ms by default, well inside the interval) later rather than at once, so
/// that the commits of those milliseconds are sealed by one round: a round costs the same nine
/// statements and one lock whether it seals one record or fifty, and under a steady stream of
/// pushes rounds taken at once sealed one or two records each. The others' rounds take
/// the lock, find it held and do nothing; if the holder dies, its lock goes with its connection
/// (or process) and the next node to tick takes over. Graceful shutdown interrupts the wait, then
/// runs one last round, so what this node acknowledged is sealed before it stops. Failures are
/// logged and the next round retries.
public struct AuditSequencerService<C: Clock>: Service where C.Duration == Duration {
    public let sequencer: AuditSequencer
    public let interval: Duration
    /// How long after a wake-up the round starts; zero: at once.
    public let gather: Duration
    let clock: C
    let logger: Logger
    /// Called with the report of every round that held the role (metrics, tests).
    let onReport: @Sendable (AuditSealReport) -> Void

    public func run() async throws {
        let wake = sequencer.controlPlane.auditWake
        var refusedBefore = 0
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            refusedBefore = await round(refusedBefore: refusedBefore)
            await cancelWhenGracefulShutdown {
                let woken = await withTaskGroup(of: Bool.self) { group in
                    group.addTask {
                        try? await clock.sleep(for: interval)
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
                if woken, gather > .zero { try? await clock.sleep(for: gather) }
            }
        }
        if !Task.isCancelled { _ = await round(refusedBefore: refusedBefore) }
    }

    /// One round; returns how many records it refused (logged only when that number changes, so
    /// a forged pending record is reported once, not ten times a second).
    private func round(refusedBefore: Int) async -> Int {
        do {
            let report = try await sequencer.sealPending()
            guard report.ran else { return refusedBefore }
            onReport(report)
            if report.refused > 0, report.refused != refusedBefore {
                logger.error(
                    "pending audit records fail their writer's MAC or do not decode; they stay unsealed (audit verify names them)",
                    metadata: ["refused": "\(report.refused)"]
                )
            }
            return report.refused
        } catch {
            logger.error("sealing audit records failed", metadata: ["error": "\(error)"])
            return refusedBefore
        }
    }
}

extension AuditSequencer {
    /// A service that seals `gather` after every local commit and every `interval` on `clock`,
    /// until shutdown, passing each round it ran to `onReport`.
    public func service<C: Clock>(
        interval: Duration = .milliseconds(100),
        gather: Duration = .milliseconds(10),
        clock: C = ContinuousClock(),
        onReport: @escaping @Sendable (AuditSealReport) -> Void = { _ in }
    ) -> AuditSequencerService<C> where C.Duration == Duration {
        AuditSequencerService(
            sequencer: self,
            interval: interval,
            gather: min(gather, interval),
            clock: clock,
            logger: controlPlane.logger,
            onReport: onReport
        )
    }
}
