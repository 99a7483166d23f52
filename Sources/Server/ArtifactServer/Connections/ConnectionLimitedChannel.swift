import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// A server child channel that puts a ``ConnectionGate`` first in each connection's pipeline (or
/// first after the TLS handler), before the wrapped channel (HTTP/1, or under TLS the
/// ``NegotiatedHTTPChannel`` choosing HTTP/1.1 or HTTP/2) sets up its own handlers.
struct ConnectionLimitedChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let limits: ConnectionLimits
    /// Shared by every connection of the server.
    let counter: ConnectionCounter

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            // Under TLS, just after the TLS handler: the gate then counts decrypted bytes and its
            // `503` is encrypted like any answer. Its timer still runs from acceptance, so a
            // handshake that never ends is closed after the header timeout too.
            let tls = try? pipeline.handler(type: NIOSSLServerHandler.self)
            let gate = ConnectionGate(limits: limits, counter: counter, logger: logger, underTLS: tls != nil)
            try pipeline.addHandler(gate, position: tls.map { .after($0) } ?? .first)
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
