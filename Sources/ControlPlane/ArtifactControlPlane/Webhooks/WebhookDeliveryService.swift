import Logging
public import ServiceLifecycle

/// Webhook delivery as a long-running service: a round every ``interval`` (at once again while
/// rounds come back full; one read when nothing is due), old deliveries removed after the first
/// round and then once a minute (``PruneSchedule``), until graceful shutdown, which interrupts
/// the wait, never a round.
///
/// Exists so `artifactstore serve` delivers from its one ServiceGroup; every node of a shared
/// database may run it (``WebhookDispatcher`` leases each delivery to one of them).
public struct WebhookDeliveryService<C: Clock>: Service where C.Duration == Duration {
    public let dispatcher: WebhookDispatcher
    public let interval: Duration
    let clock: C
    let onReport: @Sendable (WebhookRoundReport) -> Void

    public init(
        dispatcher: WebhookDispatcher,
        interval: Duration = .seconds(1),
        clock: C = ContinuousClock(),
        onReport: @escaping @Sendable (WebhookRoundReport) -> Void = { _ in }
    ) {
        self.dispatcher = dispatcher
        self.interval = interval
        self.clock = clock
        self.onReport = onReport
    }

    public func run() async throws {
        let logger = dispatcher.controlPlane.logger
        var pruning = PruneSchedule(clock: clock)
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            var full = false
            do {
                let report = try await dispatcher.deliverDue()
                onReport(report)
                if report.dead > 0 {
                    logger.warning(
                        "webhook deliveries gave up (dead letters; see webhook deliveries)",
                        metadata: ["dead": "\(report.dead)"]
                    )
                }
                full = report.claimed == dispatcher.settings.batchSize
            } catch {
                logger.error("a webhook delivery round failed", metadata: ["error": "\(error.message)"])
            }
            if full { continue }
            await pruning.runIfDue(
                { () throws(ControlPlaneError) in try await dispatcher.prune() },
                failed: { logger.error("removing old webhook deliveries failed", metadata: ["error": "\($0.message)"]) }
            )
            await cancelWhenGracefulShutdown { try? await clock.sleep(for: interval) }
        }
    }
}
