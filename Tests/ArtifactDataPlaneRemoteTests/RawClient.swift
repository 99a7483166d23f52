import ArtifactDataPlaneWire
import NIOCore
import NIOPosix

/// A client that speaks bytes, not frames: what a hostile or broken peer sends, and everything
/// the daemon answers until it closes the connection.
struct RawClient {
    /// What came back: the frames the daemon sent, and whether it then closed the connection.
    struct Answer {
        var frames: [Frame]
        var bytes: Int

        /// The error frames' bodies, in order.
        var errors: [WireFailure] { frames.filter { $0.kind == .error }.compactMap { try? $0.decodeBody(WireFailure.self) } }
    }

    let socketPath: String

    /// The hello a well-behaved client sends, as bytes.
    static func hello(versions: [UInt64] = [1]) throws -> ByteBuffer {
        try Frame.control(.hello, call: 0, Hello(versions: versions, client: "raw test client")).encoded()
    }

    /// A frame with a 4-byte length prefix around `body`, whatever `body` is.
    static func frame(body: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(body.count))
        buffer.writeBytes(body)
        return buffer
    }

    /// Connects, writes `chunks`, closes the sending side if `halfClose`, and reads until the
    /// daemon closes the connection. `whileConnected` runs after the writes, before reading.
    func exchange(
        _ chunks: [ByteBuffer],
        halfClose: Bool = false,
        whileConnected: () async throws -> Void = {}
    ) async throws -> Answer {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(unixDomainSocketPath: socketPath) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                        wrappingChannelSynchronously: channel,
                        configuration: .init(
                            backPressureStrategy: .init(lowWatermark: 1, highWatermark: 2),
                            isOutboundHalfClosureEnabled: true
                        )
                    )
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            // The daemon may answer and end the stream before reading what is still to be
            // sent (a refused peer), which closes this side: its answer is still received.
            do {
                for chunk in chunks { try await outbound.write(chunk) }
            } catch ChannelError.ioOnClosedChannel {}
            if halfClose { outbound.finish() }
            try await whileConnected()
            var received = ByteBuffer()
            var total = 0
            do {
                for try await buffer in inbound {
                    var buffer = buffer
                    total += buffer.readableBytes
                    received.writeBuffer(&buffer)
                }
            } catch {
                // A reset after the daemon's last frame still ends the exchange.
            }
            var frames: [Frame] = []
            while let frame = try? FrameDecoder.nextFrame(from: &received, limits: .default) {
                frames.append(frame)
            }
            return Answer(frames: frames, bytes: total)
        }
    }
}
