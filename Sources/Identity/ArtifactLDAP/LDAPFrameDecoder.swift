import ArtifactStoreCore
import NIOCore

/// Splits the server's byte stream into whole BER elements, each at most ``limit`` bytes.
///
/// Exists so the client never buffers more than one bounded message: a length over the limit,
/// or a malformed header, fails the channel at once.
struct LDAPFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = [UInt8]

    /// The largest message accepted (a bind answer or one search entry with no attributes is a
    /// few hundred bytes).
    let limit: Int

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let view = buffer.viewBytes(at: buffer.readerIndex, length: min(buffer.readableBytes, 6)),
            let length = try BERElement.frameLength(of: view, limit: limit)
        else { return .needMoreData }
        guard buffer.readableBytes >= length, let bytes = buffer.readBytes(length: length) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(bytes))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
