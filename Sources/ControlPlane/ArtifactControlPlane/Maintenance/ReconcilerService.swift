import Logging
import ServiceLifecycle

/// Reconciliation as a long-running service: one run (removing strays past the grace period)
/// every ``interval`` until graceful shutdown.
///
/// Exists so bytes a crash left without a row are reclaimed, and damage is counted in
/// `/metrics`, without an operator. A failed run is logged and the next one tries again;
/// graceful shutdown interrupts the wait between runs, never a run.
public struct ReconcilerService: Service {
    public let reconciler: Reconciler
    public let interval: Duration
    let logger: Logger
    /// Called with the report of every run that happened.
    let onReport: @Sendable (ReconcileReport) -> Void

    public func run() async throws {
        await runPeriodically(every: interval) {
            do {
                let report = try await reconciler.run(ReconcileOptions(removesStrays: true))
                guard report.ran else { return }
                onReport(report)
                logger.info(
                    "reconciliation",
                    metadata: [
                        "objectsListed": "\(report.objectsListed)", "strays": "\(report.strayCount)",
                        "straysRemoved": "\(report.straysRemoved)", "bytesRemoved": "\(report.bytesRemoved)",
                        "missing": "\(report.missingCount)",
                    ])
            } catch {
                logger.error("reconciliation failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
