import Logging
import ServiceLifecycle

/// Garbage collection as a long-running service: one collection every ``interval`` until
/// graceful shutdown.
///
/// Exists so a server runs GC beside its other services (swift-service-lifecycle). A failed run
/// is logged and the next one tries again; a run in progress finishes its current blob on
/// shutdown (every step is a transaction, so stopping between steps is safe).
public struct GarbageCollectorService: Service {
    public let collector: GarbageCollector
    public let interval: Duration
    let logger: Logger

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let report = try await collector.collect()
                    if report.ran {
                        logger.info(
                            "garbage collection",
                            metadata: ["blobsDeleted": "\(report.blobsDeleted)", "bytesDeleted": "\(report.bytesDeleted)", "linksExpired": "\(report.linksExpired)"])
                    }
                } catch {
                    logger.error("garbage collection failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
