import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's per-connection handling, run with the connection's event loop as its preferred
/// task executor (``EventLoopTaskExecutor``), so reading a request, routing it and writing the
/// answer stay on one thread.
///
/// Work that must not hold an event loop opts out where it is: blocking calls already run on
/// NIO's thread pool, and the SHA-256 half of ingest hashing runs on the global executor
/// (`DualDigester`), in parallel with the BLAKE3 half. `ARTIFACTSTORE_EVENT_LOOP_TASKS=0` turns
/// this off (Swift's global pool, as before).
struct EventLoopBoundChildChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        base.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor(value.channel.eventLoop)) {
            await base.handle(value: value, logger: logger)
        }
    }

    /// Whether the environment leaves it on (anything but `0`, `false`, `no` or `off`).
    static func isWanted(environment: [String: String]) -> Bool {
        guard let value = environment["ARTIFACTSTORE_EVENT_LOOP_TASKS"]?.lowercased() else { return true }
        return !["0", "false", "no", "off"].contains(value)
    }
}
