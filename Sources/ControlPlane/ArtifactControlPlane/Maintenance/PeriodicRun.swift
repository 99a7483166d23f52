import ServiceLifecycle

/// The loop both control-plane services share: run `body`, then wait `interval`, until graceful
/// shutdown or cancellation.
///
/// Graceful shutdown interrupts only the wait, never a run, so a run in progress always finishes.
package func runPeriodically(every interval: Duration, _ body: () async -> Void) async {
    while !Task.isShuttingDownGracefully, !Task.isCancelled {
        await body()
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
    }
}
