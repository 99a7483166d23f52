public import NIOCore

/// Writes ``Frame``s to a connection (NIO outbound handler).
///
/// Not a `MessageToByteEncoder`: that would copy every data payload into a fresh buffer. A data
/// frame is written as a small header buffer followed by the payload buffer as it is, so bytes
/// read from storage reach the socket without a copy; other frames are encoded whole.
public final class FrameEncoder: ChannelOutboundHandler, Sendable {
    public typealias OutboundIn = Frame
    public typealias OutboundOut = ByteBuffer

    public init() {}

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let frame = unwrapOutboundIn(data)
        switch frame.body {
        case .bytes(let payload):
            var header = context.channel.allocator.buffer(capacity: 24)
            Frame.dataHeader(call: frame.call, payloadLength: payload.readableBytes, into: &header)
            context.write(wrapOutboundOut(header), promise: nil)
            context.write(wrapOutboundOut(payload), promise: promise)
        case .value:
            do {
                var buffer = context.channel.allocator.buffer(capacity: 128)
                try frame.write(into: &buffer)
                context.write(wrapOutboundOut(buffer), promise: promise)
            } catch {
                promise?.fail(error)
            }
        }
    }
}
