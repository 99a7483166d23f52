import Logging
import ServiceLifecycle

/// Logs "shutting down" the moment a graceful shutdown begins (SIGTERM or SIGINT), with the
/// grace period requests in flight are given.
///
/// Exists because otherwise nothing is logged between the last request and "stopped", which
/// may be `shutdownGracePeriod` later: an operator reading the log could not tell a server
/// draining from one hung. Listed last in the service group, so it is told first.
struct ShutdownNotice: Service {
    let logger: Logger
    let gracePeriod: Duration

    func run() async throws {
        // Returns when a graceful shutdown is triggered; throws when the group is cancelled.
        try await gracefulShutdown()
        logger.notice("shutting down", metadata: ["grace_period_s": .stringConvertible(gracePeriod.components.seconds)])
    }
}
