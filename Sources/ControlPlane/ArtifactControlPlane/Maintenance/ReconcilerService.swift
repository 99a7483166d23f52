import Logging
public import ServiceLifecycle

/// Reconciliation as a long-running service: one run (removing strays past the grace period)
/// every ``interval`` until graceful shutdown.
///
/// Exists so bytes a crash left without a row are reclaimed, and damage is counted in
/// `/metrics`, without an operator. A run that finds the `gc` lock taken (a collection, which
/// `serve` also starts at start-up, or another server's reconciler) is tried again after
/// ``retryInterval`` rather than a whole interval later. A failed run is logged and the next one
/// tries again; graceful shutdown interrupts the wait between runs, never a run.
public struct ReconcilerService<C: Clock<Duration>>: Service {
    public let reconciler: Reconciler
    public let interval: Duration
    /// What ``interval`` and ``retryInterval`` are measured on.
    let clock: C
    /// The wait after a run that found the lock taken (at most ``interval``).
    public var retryInterval: Duration = .seconds(60)
    let logger: Logger
    /// Called with the report of every run that happened.
    let onReport: @Sendable (ReconcileReport) -> Void

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            let ran = await runOnce()
            try? await cancelWhenGracefulShutdown { try await clock.sleep(for: ran ? interval : min(interval, retryInterval)) }
        }
    }

    /// One run; `false` when another held the lock.
    func runOnce() async -> Bool {
        do {
            let report = try await reconciler.run(ReconcileOptions(removesStrays: true))
            guard report.ran else { return false }
            onReport(report)
            logger.info(
                "reconciliation",
                metadata: [
                    "objectsListed": "\(report.objectsListed)", "strays": "\(report.strayCount)",
                    "straysRemoved": "\(report.straysRemoved)", "bytesRemoved": "\(report.bytesRemoved)",
                    "missing": "\(report.missingCount)",
                ]
            )
        } catch {
            logger.error("reconciliation failed", metadata: ["error": "\(error)"])
        }
        return true
    }
}
