import HummingbirdCore
import Logging
import NIOCore

/// A server child channel whose connection task prefers its channel's event loop as executor
/// (``EventLoopTaskExecutor``), wrapping another child channel (HTTP/1).
///
/// Exists because Hummingbird starts each connection's task on the global executor: reading a
/// request, running its handler and writing its answer then take two thread hand-offs per
/// request. Bound to the loop, a small request is parsed, answered and written on one thread.
/// Work a handler starts with an explicit preference (the SHA-256 task of a large ingest) still
/// runs on the global executor.
struct EventLoopBoundChannel<Base: ServerChildChannel>: ServerChildChannel {
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
}
