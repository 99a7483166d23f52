import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A plain TCP client that records what the server sends and when the server closed the
/// connection, for tests that hold hundreds of connections open (slowloris, silent, oversized
/// heads) and must see each one end.
final class RawClient: Sendable {
    let channel: any Channel
    let opened: ContinuousClock.Instant
    private let state: NIOLockedValueBox<(received: String, closedAt: ContinuousClock.Instant?)>

    private init(channel: any Channel, state: NIOLockedValueBox<(received: String, closedAt: ContinuousClock.Instant?)>) {
        self.channel = channel
        self.state = state
        self.opened = .now
    }

    /// Connects to 127.0.0.1:`port`.
    static func connect(port: Int) async throws -> RawClient {
        let state = NIOLockedValueBox<(received: String, closedAt: ContinuousClock.Instant?)>(("", nil))
        // Half-closure allowed: the server's FIN does not make this side close (as a client that
        // never closes its socket); it is recorded as the end of the connection.
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(state: state)) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        channel.closeFuture.whenComplete { _ in state.withLockedValue { $0.closedAt = $0.closedAt ?? .now } }
        return RawClient(channel: channel, state: state)
    }

    /// Everything received so far, as text.
    var received: String { state.withLockedValue { $0.received } }
    /// When the connection ended: the server closed its side or reset it, or ``close()`` was called.
    var closedAt: ContinuousClock.Instant? { state.withLockedValue { $0.closedAt } }

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text)).get()
    }

    func send(_ buffer: ByteBuffer) async throws {
        try await channel.writeAndFlush(buffer).get()
    }

    func close() async {
        try? await channel.close().get()
    }

    /// Waits until `condition` holds or `deadline` passes; whether it held.
    static func poll(until deadline: ContinuousClock.Instant, _ condition: () -> Bool) async -> Bool {
        while !condition() {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return true
    }

    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let state: NIOLockedValueBox<(received: String, closedAt: ContinuousClock.Instant?)>

        init(state: NIOLockedValueBox<(received: String, closedAt: ContinuousClock.Instant?)>) {
            self.state = state
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let text = String(buffer: unwrapInboundIn(data))
            state.withLockedValue { $0.received += text }
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let event = event as? ChannelEvent, event == .inputClosed {
                state.withLockedValue { $0.closedAt = $0.closedAt ?? .now }
            }
            context.fireUserInboundEventTriggered(event)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
