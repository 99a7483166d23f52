import ServiceLifecycle

/// The loop the periodic services share: run `body`, then wait `interval` on `clock`, until
/// graceful shutdown or cancellation.
///
/// Graceful shutdown interrupts only the wait, never a run, so a run in progress always finishes.
/// The wait is measured on the service's own clock (`ContinuousClock` in `serve`), so a test
/// moves a manual clock on instead of sleeping.
package func runPeriodically<C: Clock<Duration>>(every interval: Duration, on clock: C, _ body: () async -> Void) async {
    while !Task.isShuttingDownGracefully, !Task.isCancelled {
        await body()
        try? await cancelWhenGracefulShutdown { try await clock.sleep(for: interval) }
    }
}
