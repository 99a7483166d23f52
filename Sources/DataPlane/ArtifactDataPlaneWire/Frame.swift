public import ArtifactCBOR
public import NIOCore

/// One unit of the data plane wire protocol: a 4-byte big-endian length, then one CBOR data
/// item, the array `[kind, call, body]` (docs/dataplane-protocol.md).
///
/// Exists so the channel handlers, the daemon, the client and the fuzzer share one parser and
/// one writer. Data frames keep their payload as a `ByteBuffer` slice of what was read (no
/// copy, and no trip through the general CBOR decoder); every other frame's body is a
/// ``CBORValue`` that the receiver decodes with `Codable`.
public struct Frame: Sendable {
    /// What a frame is for. The raw value is the first element of the frame's array.
    public enum Kind: UInt64, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// Client → daemon, call 0: the versions the client speaks.
        case hello = 0
        /// Daemon → client, call 0: the chosen version and the daemon's limits.
        case welcome = 1
        /// Client → daemon: opens a call with one operation.
        case request = 2
        /// Daemon → client: the operation's result (for serve: the stream starts).
        case result = 3
        /// Either way: one chunk of a byte stream.
        case data = 4
        /// Either way: the byte stream of the call is complete.
        case end = 5
        /// Either way: the receiver may send this many more data frames on the call.
        case credit = 6
        /// Client → daemon: abandon the call (the client's stream failed, or it was cancelled).
        case cancel = 7
        /// Daemon → client: the call failed (call ≥ 1) or the connection is being closed (call 0).
        case error = 8

        public var description: String {
            switch self {
            case .hello: "hello"
            case .welcome: "welcome"
            case .request: "request"
            case .result: "result"
            case .data: "data"
            case .end: "end"
            case .credit: "credit"
            case .cancel: "cancel"
            case .error: "error"
            }
        }
    }

    /// A frame's third element.
    public enum Body: Sendable {
        /// A data frame's payload (a CBOR byte string on the wire).
        case bytes(ByteBuffer)
        /// Any other frame's body.
        case value(CBORValue)
    }

    public var kind: Kind
    /// The call the frame belongs to; 0 for the connection itself (hello, welcome, fatal errors).
    public var call: UInt64
    public var body: Body

    public init(_ kind: Kind, call: UInt64, body: Body) {
        self.kind = kind
        self.call = call
        self.body = body
    }

    /// A data frame carrying `payload`.
    public static func data(call: UInt64, _ payload: ByteBuffer) -> Frame {
        Frame(.data, call: call, body: .bytes(payload))
    }

    /// A frame whose body is `value`, encoded through `Codable`.
    public static func control<T: Encodable>(_ kind: Kind, call: UInt64, _ value: T) throws(CBORError) -> Frame {
        Frame(kind, call: call, body: .value(try CBOREncoder().encodeToValue(value)))
    }

    /// The frame's body decoded as `T`; `malformedFrame` naming the frame when it does not fit.
    public func decodeBody<T: Decodable>(_ type: T.Type) throws(DataPlaneWireError) -> T {
        guard case .value(let value) = body else {
            throw DataPlaneWireError(.malformedFrame, "\(kind) frame on call \(call) has a byte-string body")
        }
        do {
            return try CBORDecoder().decode(T.self, fromValue: value)
        } catch {
            throw DataPlaneWireError(.malformedFrame, "\(kind) frame on call \(call): \(error.code): \(error.message)", underlying: error)
        }
    }

    // MARK: Writing

    /// The bytes that go before a data frame's payload: length prefix, array head, kind, call
    /// and the byte-string head. Writing these and then the payload buffer is the whole frame.
    public static func dataHeader(call: UInt64, payloadLength: Int, into buffer: inout ByteBuffer) {
        let lengthIndex = buffer.writerIndex
        buffer.writeInteger(UInt32(0))
        let start = buffer.writerIndex
        buffer.writeInteger(UInt8(0x83))
        writeHead(major: 0, Kind.data.rawValue, into: &buffer)
        writeHead(major: 0, call, into: &buffer)
        writeHead(major: 2, UInt64(payloadLength), into: &buffer)
        let length = buffer.writerIndex - start + payloadLength
        buffer.setInteger(UInt32(length), at: lengthIndex)
    }

    /// Appends the whole frame (length prefix and body) to `buffer`.
    public func write(into buffer: inout ByteBuffer) throws(CBORError) {
        switch body {
        case .bytes(let payload):
            Self.dataHeader(call: call, payloadLength: payload.readableBytes, into: &buffer)
            var payload = payload
            buffer.writeBuffer(&payload)
        case .value(let value):
            let encoded = try CBOREncoder().encode(.array([.unsigned(kind.rawValue), .unsigned(call), value]))
            buffer.writeInteger(UInt32(encoded.count))
            buffer.writeBytes(encoded)
        }
    }

    /// The whole frame as one buffer.
    public func encoded() throws(CBORError) -> ByteBuffer {
        var buffer = ByteBuffer()
        try write(into: &buffer)
        return buffer
    }

    /// A CBOR head in its shortest form (RFC 8949 §4.2.1).
    static func writeHead(major: UInt8, _ argument: UInt64, into buffer: inout ByteBuffer) {
        let type = major << 5
        switch argument {
        case 0..<24: buffer.writeInteger(type | UInt8(argument))
        case 24...0xFF:
            buffer.writeInteger(type | 24)
            buffer.writeInteger(UInt8(argument))
        case 0x100...0xFFFF:
            buffer.writeInteger(type | 25)
            buffer.writeInteger(UInt16(argument))
        case 0x1_0000...0xFFFF_FFFF:
            buffer.writeInteger(type | 26)
            buffer.writeInteger(UInt32(argument))
        default:
            buffer.writeInteger(type | 27)
            buffer.writeInteger(argument)
        }
    }

    // MARK: Parsing

    /// Parses one frame body (the bytes after the length prefix).
    ///
    /// The head (`[kind, call, …]`) and a data frame's byte string are read directly, so a data
    /// payload is a slice of `body`; other bodies go through the hardened CBOR decoder with
    /// ``WireLimits/controlBodyLimits``. Anything else is `malformedFrame` (with the CBOR error
    /// when the bytes are not well-formed CBOR at all) or `unknownFrameKind`.
    public static func parse(body: ByteBuffer, limits: WireLimits = .default) throws(DataPlaneWireError) -> Frame {
        var reader = body
        guard reader.readInteger(as: UInt8.self) == 0x83,
            let rawKind = readUnsigned(&reader),
            let call = readUnsigned(&reader)
        else {
            throw notAFrame(body, limits: limits)
        }
        guard let kind = Kind(rawValue: rawKind) else {
            throw DataPlaneWireError(
                .unknownFrameKind,
                "frame kind \(rawKind) on call \(call) is not defined in protocol version \(WireProtocol.version)"
            )
        }
        if kind == .data {
            guard let head = reader.readInteger(as: UInt8.self), head >> 5 == 2, head & 0x1F < 28,
                let length = readArgument(head, &reader), length == UInt64(reader.readableBytes)
            else {
                throw DataPlaneWireError(
                    .malformedFrame,
                    "data frame on call \(call) does not end in exactly one definite-length byte string"
                )
            }
            return Frame(.data, call: call, body: .bytes(reader))
        }
        do {
            let value = try CBORDecoder(limits: limits.controlBodyLimits).decode(reader)
            return Frame(kind, call: call, body: .value(value))
        } catch {
            throw DataPlaneWireError(
                .malformedFrame,
                "\(kind) frame on call \(call) has a bad body: \(error.code): \(error.message)",
                underlying: error
            )
        }
    }

    /// Why `body` is not a frame: not CBOR at all, or CBOR of the wrong shape.
    static func notAFrame(_ body: ByteBuffer, limits: WireLimits) -> DataPlaneWireError {
        do {
            let value = try CBORDecoder(limits: limits.controlBodyLimits).decode(body)
            let shown = String(value.description.prefix(80))
            return DataPlaneWireError(
                .malformedFrame,
                "frame body \(shown) is not the array [kind, call, body] with unsigned kind and call"
            )
        } catch {
            return DataPlaneWireError(
                .malformedFrame,
                "frame body is not well-formed CBOR: \(error.code): \(error.message)",
                underlying: error
            )
        }
    }

    static func readUnsigned(_ reader: inout ByteBuffer) -> UInt64? {
        guard let head = reader.readInteger(as: UInt8.self), head >> 5 == 0 else { return nil }
        return readArgument(head, &reader)
    }

    static func readArgument(_ head: UInt8, _ reader: inout ByteBuffer) -> UInt64? {
        switch head & 0x1F {
        case 0..<24: return UInt64(head & 0x1F)
        case 24: return reader.readInteger(as: UInt8.self).map(UInt64.init)
        case 25: return reader.readInteger(as: UInt16.self).map(UInt64.init)
        case 26: return reader.readInteger(as: UInt32.self).map(UInt64.init)
        case 27: return reader.readInteger(as: UInt64.self)
        default: return nil
        }
    }
}
