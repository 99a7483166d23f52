import Logging
public import ServiceLifecycle

/// Garbage collection as a long-running service: one collection every ``interval`` until
/// graceful shutdown, waiting on the clock it is given (`serve` gives `ContinuousClock`).
///
/// Exists so a server runs GC beside its other services (swift-service-lifecycle). A failed run
/// is logged and the next one tries again. Graceful shutdown interrupts the wait between runs,
/// never a run: a collection in progress finishes, so no blob is left half-collected
/// (`deleting`) by a shutdown. Cancellation stops it at once; a blob left `deleting` is
/// finished by the next run.
public struct GarbageCollectorService<C: Clock<Duration>>: Service {
    public let collector: GarbageCollector
    public let interval: Duration
    /// What ``interval`` is measured on.
    let clock: C
    let logger: Logger
    /// Called with the report of every run that happened (a server counts them in its metrics).
    let onReport: @Sendable (GarbageCollectionReport) -> Void

    public func run() async throws {
        await runPeriodically(every: interval, on: clock) {
            do {
                let report = try await collector.collect()
                if report.ran {
                    onReport(report)
                    logger.info(
                        "garbage collection",
                        metadata: [
                            "blobsDeleted": "\(report.blobsDeleted)", "bytesDeleted": "\(report.bytesDeleted)",
                            "linksExpired": "\(report.linksExpired)", "deletionsFailed": "\(report.deletionsFailed)",
                        ]
                    )
                }
            } catch {
                logger.error("garbage collection failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
