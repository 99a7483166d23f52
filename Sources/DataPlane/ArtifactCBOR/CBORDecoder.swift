public import NIOCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
public import Foundation
#endif

/// Turns bytes into ``CBORValue``s (and, through `Codable`, into Swift types).
///
/// It accepts every well-formed RFC 8949 data item (all major types, indefinite lengths, tags,
/// every simple value, half floats) and refuses everything else with a ``CBORError`` naming the
/// byte offset. It is meant for input from another process: it never traps, checks every length
/// against the bytes left and against ``limits`` before allocating, and bounds nesting depth and
/// total item count (see ``CBORLimits``).
public struct CBORDecoder: Sendable {
    /// What to do when a map has the same key twice.
    public enum DuplicateKeyPolicy: Sendable, Hashable {
        /// Refuse the input with ``CBORError/Kind/duplicateMapKey`` (strict; the default).
        case reject
        /// Keep every pair, in order, as the input had them.
        case keepAll
    }

    public var limits: CBORLimits
    public var duplicateKeys: DuplicateKeyPolicy
    /// Passed to `Decodable` types as `Decoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable]

    public init(
        limits: CBORLimits = .default,
        duplicateKeys: DuplicateKeyPolicy = .reject,
        userInfo: [CodingUserInfoKey: any Sendable] = [:]
    ) {
        self.limits = limits
        self.duplicateKeys = duplicateKeys
        self.userInfo = userInfo
    }

    /// Decodes exactly one data item that fills `bytes`.
    public func decode(_ bytes: some Collection<UInt8>) throws(CBORError) -> CBORValue {
        let result = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(CBORError) -> CBORValue in try decode(UnsafeRawBufferPointer(buffer)) }
        }
        if let result { return try result.get() }
        let copy = Array(bytes)
        return try copy.withUnsafeBytes { raw in
            Result { () throws(CBORError) -> CBORValue in try decode(raw) }
        }.get()
    }

    /// Decodes exactly one data item that fills the readable bytes of `buffer`.
    public func decode(_ buffer: ByteBuffer) throws(CBORError) -> CBORValue {
        try buffer.withUnsafeReadableBytes { raw in
            Result { () throws(CBORError) -> CBORValue in try decode(raw) }
        }.get()
    }

    /// Decodes exactly one data item that fills `raw`.
    public func decode(_ raw: UnsafeRawBufferPointer) throws(CBORError) -> CBORValue {
        var reader = CBORReader(raw, limits: limits, rejectDuplicateKeys: duplicateKeys == .reject)
        let value = try reader.readItem(depth: 1)
        if reader.offset != raw.count {
            throw CBORError(
                .trailingBytes,
                at: reader.offset,
                "\(raw.count - reader.offset) bytes after the end of the data item"
            )
        }
        if let error = reader.deferredError { throw error }
        return value
    }

    /// Decodes the first data item of `bytes` and says how many bytes it took (for CBOR
    /// sequences, RFC 8742).
    public func decodePrefix(_ bytes: some Collection<UInt8>) throws(CBORError) -> (value: CBORValue, byteCount: Int) {
        let copy = Array(bytes)
        return try copy.withUnsafeBytes { raw in
            Result { () throws(CBORError) -> (value: CBORValue, byteCount: Int) in
                var reader = CBORReader(raw, limits: limits, rejectDuplicateKeys: duplicateKeys == .reject)
                let value = try reader.readItem(depth: 1)
                if let error = reader.deferredError { throw error }
                return (value, reader.offset)
            }
        }.get()
    }
}
