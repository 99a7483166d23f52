public import NIOCore

/// Splits the bytes of a connection into ``Frame``s (NIO `ByteToMessageDecoder`).
///
/// The length prefix is checked against ``WireLimits/maximumFrameLength`` as soon as its four
/// bytes are in, so an oversized frame is refused (`frameTooLarge`) before its body is read or
/// any memory is reserved for it. At end of input, bytes of an incomplete frame are
/// `truncatedFrame`. Errors go down the pipeline as `errorCaught`, and decoding stops.
///
/// A data frame is not gathered whole before it is parsed: once its header (kind, call and the
/// byte string's length) is in, its payload is copied straight from each read into a buffer of
/// exactly its size. So every payload handed on owns just its bytes (a slice of a read would
/// keep the whole, larger, read buffer alive while it waits in an ingest's window), the bytes
/// are copied once, and the decoder's own buffer never grows past a header or a control frame.
public struct FrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = Frame

    /// A data frame whose payload is still arriving.
    private struct PendingData {
        var call: UInt64
        var payload: ByteBuffer
        var remaining: Int
    }

    public let limits: WireLimits
    private let allocator: ByteBufferAllocator
    private var pending: PendingData?

    public init(limits: WireLimits = .default, allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        self.limits = limits
        self.allocator = allocator
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try next(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while let frame = try next(from: &buffer) {
            context.fireChannelRead(wrapInboundOut(frame))
        }
        try finish(buffer: &buffer, seenEOF: seenEOF)
        return .needMoreData
    }

    /// At the end of input: an incomplete frame (partly buffered or partly received) is
    /// `truncatedFrame`.
    public mutating func finish(buffer: inout ByteBuffer, seenEOF: Bool = true) throws(DataPlaneWireError) {
        guard seenEOF else { return }
        if let pending {
            self.pending = nil
            throw DataPlaneWireError(
                .truncatedFrame,
                "the connection ended inside a data frame on call \(pending.call): \(pending.remaining) payload bytes missing"
            )
        }
        guard buffer.readableBytes > 0 else { return }
        let announced =
            buffer.getInteger(at: buffer.readerIndex, as: UInt32.self).map { "\($0) bytes announced" }
            ?? "the length prefix itself is incomplete"
        let have = buffer.readableBytes
        buffer.moveReaderIndex(forwardBy: have)
        throw DataPlaneWireError(.truncatedFrame, "the connection ended inside a frame: \(have) bytes received, \(announced)")
    }

    /// The next complete frame from the bytes received so far, consuming what it used; `nil`
    /// when more bytes are needed. Bytes may arrive in any pieces.
    public mutating func next(from buffer: inout ByteBuffer) throws(DataPlaneWireError) -> Frame? {
        if var data = pending {
            let count = min(buffer.readableBytes, data.remaining)
            var piece = buffer.readSlice(length: count)!
            data.payload.writeBuffer(&piece)
            data.remaining -= count
            guard data.remaining == 0 else {
                pending = data
                return nil
            }
            pending = nil
            return .data(call: data.call, data.payload)
        }
        guard let length = try Self.frameLength(in: buffer, limits: limits) else { return nil }
        switch Self.dataHeader(in: buffer, frameLength: length) {
        case .needMore:
            return nil
        case .data(let call, let headerLength, let payloadLength):
            guard payloadLength <= limits.maximumChunkLength else {
                throw DataPlaneWireError(
                    .protocolViolation,
                    "data frame on call \(call) carries \(payloadLength) bytes; the limit is \(limits.maximumChunkLength)"
                )
            }
            buffer.moveReaderIndex(forwardBy: 4 + headerLength)
            pending = PendingData(call: call, payload: allocator.buffer(capacity: payloadLength), remaining: payloadLength)
            return try next(from: &buffer)
        case .other:
            guard buffer.readableBytes >= 4 + length else { return nil }
            buffer.moveReaderIndex(forwardBy: 4)
            return try Frame.parse(body: buffer.readSlice(length: length)!, limits: limits)
        }
    }

    /// The next complete frame at the start of `buffer`, consuming it; `nil` when more bytes are
    /// needed. Data payloads are slices of `buffer`. For whole inputs (tests, raw clients).
    public static func nextFrame(from buffer: inout ByteBuffer, limits: WireLimits) throws(DataPlaneWireError) -> Frame? {
        guard let length = try frameLength(in: buffer, limits: limits), buffer.readableBytes >= 4 + length else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        return try Frame.parse(body: buffer.readSlice(length: length)!, limits: limits)
    }

    /// The announced body length, checked; `nil` until the 4 prefix bytes are in.
    static func frameLength(in buffer: ByteBuffer, limits: WireLimits) throws(DataPlaneWireError) -> Int? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return nil }
        guard length > 0 else {
            throw DataPlaneWireError(.malformedFrame, "a frame has length 0; every frame holds one CBOR data item")
        }
        guard length <= limits.maximumFrameLength else {
            throw DataPlaneWireError(.frameTooLarge, "a frame announces \(length) bytes; the limit is \(limits.maximumFrameLength)")
        }
        return Int(length)
    }

    enum DataHeader {
        /// The header is not all in yet.
        case needMore
        /// A well-formed data frame header: `[4, call, bytes(payloadLength)]` filling the frame.
        case data(call: UInt64, headerLength: Int, payloadLength: Int)
        /// Anything else: parsed (or refused) once the whole frame is in.
        case other
    }

    /// Looks at the start of the frame body for a data frame's header.
    static func dataHeader(in buffer: ByteBuffer, frameLength: Int) -> DataHeader {
        let available = buffer.readableBytes - 4
        var reader = buffer.getSlice(at: buffer.readerIndex + 4, length: min(available, frameLength))!
        let complete = available >= frameLength
        guard let first = reader.readInteger(as: UInt8.self) else { return complete ? .other : .needMore }
        guard first == 0x83 else { return .other }
        guard let kind = Frame.readUnsigned(&reader) else { return complete ? .other : .needMore }
        guard kind == Frame.Kind.data.rawValue else { return .other }
        guard let call = Frame.readUnsigned(&reader),
            let head = reader.readInteger(as: UInt8.self)
        else {
            return complete ? .other : .needMore
        }
        guard head >> 5 == 2, head & 0x1F < 28 else { return .other }
        guard let payloadLength = Frame.readArgument(head, &reader) else { return complete ? .other : .needMore }
        let headerLength = reader.readerIndex
        guard UInt64(headerLength) + payloadLength == UInt64(frameLength) else { return .other }
        return .data(call: call, headerLength: headerLength, payloadLength: Int(payloadLength))
    }
}
