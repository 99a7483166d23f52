import NIOCore

/// Splits the bytes of a connection into ``Frame``s (NIO `ByteToMessageDecoder`).
///
/// The length prefix is checked against ``WireLimits/maximumFrameLength`` as soon as its four
/// bytes are in, so an oversized frame is refused (`frameTooLarge`) before its body is read or
/// any memory is reserved for it; the connection then holds at most one frame's worth of input.
/// At end of input, bytes of an incomplete frame are `truncatedFrame`. Errors go down the
/// pipeline as `errorCaught`, and decoding stops.
public struct FrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = Frame

    public let limits: WireLimits

    public init(limits: WireLimits = .default) {
        self.limits = limits
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try Self.nextFrame(from: &buffer, limits: limits) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while let frame = try Self.nextFrame(from: &buffer, limits: limits) {
            context.fireChannelRead(wrapInboundOut(frame))
        }
        if seenEOF && buffer.readableBytes > 0 {
            let announced = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self).map { "\($0) bytes announced" } ?? "the length prefix itself is incomplete"
            let have = buffer.readableBytes
            buffer.moveReaderIndex(forwardBy: have)
            throw DataPlaneWireError(.truncatedFrame, "the connection ended inside a frame: \(have) bytes received, \(announced)")
        }
        return .needMoreData
    }

    /// The next complete frame at the start of `buffer`, consuming it; `nil` when more bytes are
    /// needed. Shared by the channel handler and the fuzzer.
    public static func nextFrame(from buffer: inout ByteBuffer, limits: WireLimits) throws(DataPlaneWireError) -> Frame? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        guard length > 0 else {
            throw DataPlaneWireError(.malformedFrame, "a frame has length 0; every frame holds one CBOR data item")
        }
        guard length <= limits.maximumFrameLength else {
            throw DataPlaneWireError(.frameTooLarge, "a frame announces \(length) bytes; the limit is \(limits.maximumFrameLength)")
        }
        guard buffer.readableBytes >= 4 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        let body = buffer.readSlice(length: Int(length))!
        return try Frame.parse(body: body, limits: limits)
    }
}
