public import NIOCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
public import Foundation
#endif

/// Turns ``CBORValue``s (and, through `Codable`, Swift values) into deterministic CBOR.
///
/// The output follows RFC 8949 §4.2.1, Core Deterministic Encoding: every argument in its
/// shortest form, definite lengths only, map keys sorted by the bytewise lexicographic order of
/// their encodings (not the length-first order of RFC 7049 §3.9), and floats in the shortest of
/// binary16/32/64 that holds the value exactly (§4.2.2; every NaN as `f97e00`). The same value
/// therefore always gives the same bytes, which the data plane's frames rely on. Bignums (tags 2
/// and 3) get their preferred serialization too: no leading zero bytes, and major type 0 or 1
/// when the value fits in 64 bits. A map with two
/// equal keys is refused (``CBORError/Kind/duplicateMapKey``) rather than silently written.
public struct CBOREncoder: Sendable {
    /// Only ``CBORLimits/maximumDepth`` applies when encoding (encoding recurses per level).
    public var limits: CBORLimits
    /// Passed to `Encodable` types as `Encoder.userInfo`.
    public var userInfo: [CodingUserInfoKey: any Sendable]

    public init(limits: CBORLimits = .default, userInfo: [CodingUserInfoKey: any Sendable] = [:]) {
        self.limits = limits
        self.userInfo = userInfo
    }

    /// The deterministic encoding of `value`.
    public func encode(_ value: CBORValue) throws(CBORError) -> [UInt8] {
        var writer = CBORWriter(maximumDepth: limits.maximumDepth)
        try writer.reserve(for: value)
        try writer.write(value, depth: 1)
        return writer.output
    }

    /// Appends the deterministic encoding of `value` to `buffer`.
    public func encode(_ value: CBORValue, into buffer: inout ByteBuffer) throws(CBORError) {
        let bytes = try encode(value)
        buffer.writeBytes(bytes)
    }
}

/// The deterministic encoding loop behind ``CBOREncoder``.
struct CBORWriter {
    private(set) var output: [UInt8] = []
    let maximumDepth: Int

    init(maximumDepth: Int) {
        self.maximumDepth = maximumDepth
    }

    /// Reserves the exact size of `value`'s encoding, so large byte strings are copied once.
    mutating func reserve(for value: CBORValue) throws(CBORError) {
        let size = try Self.encodedSize(of: value, depth: 1, maximumDepth: maximumDepth)
        output.reserveCapacity(output.count + size)
    }

    static func headSize(_ argument: UInt64) -> Int {
        switch argument {
        case 0..<24: return 1
        case 24...0xFF: return 2
        case 0x100...0xFFFF: return 3
        case 0x1_0000...0xFFFF_FFFF: return 5
        default: return 9
        }
    }

    static func encodedSize(of value: CBORValue, depth: Int, maximumDepth: Int) throws(CBORError) -> Int {
        guard depth <= maximumDepth else {
            throw CBORError(.depthLimitExceeded, "value nests deeper than the limit of \(maximumDepth)")
        }
        switch value {
        case .unsigned(let n), .negative(let n): return headSize(n)
        case .byteString(let bytes): return headSize(UInt64(bytes.count)) + bytes.count
        case .textString(let text):
            let count = text.utf8.count
            return headSize(UInt64(count)) + count
        case .array(let items):
            var total = headSize(UInt64(items.count))
            for item in items { total += try encodedSize(of: item, depth: depth + 1, maximumDepth: maximumDepth) }
            return total
        case .map(let entries):
            var total = headSize(UInt64(entries.count))
            for entry in entries {
                total += try encodedSize(of: entry.key, depth: depth + 1, maximumDepth: maximumDepth)
                total += try encodedSize(of: entry.value, depth: depth + 1, maximumDepth: maximumDepth)
            }
            return total
        case .tagged(let tag, let content):
            if let integer = bignumAsInteger(tag, content) { return headSize(integer.argument) }
            let trimmed = trimmedBignum(tag, content) ?? content
            let contentSize = try encodedSize(of: trimmed, depth: depth + 1, maximumDepth: maximumDepth)
            return headSize(tag) + contentSize
        case .simple(let n): return n < 24 ? 1 : 2
        case .bool, .null, .undefined: return 1
        case .float(let d):
            if d.isNaN || HalfFloat.exactBits(of: d) != nil { return 3 }
            return Double(Float(d)) == d ? 5 : 9
        }
    }

    /// §3.4.3 preferred serialization of bignums (tags 2 and 3 on a byte string), which core
    /// deterministic encoding requires: an integer that fits major type 0 or 1 is written as one.
    static func bignumAsInteger(_ tag: UInt64, _ content: CBORValue) -> (major: UInt8, argument: UInt64)? {
        switch CBORValue.tagged(tag, content).preferredBignum {
        case .unsigned(let n): return (0, n)
        case .negative(let n): return (1, n)
        default: return nil
        }
    }

    /// A larger bignum's byte string without leading zero bytes, if it had any.
    static func trimmedBignum(_ tag: UInt64, _ content: CBORValue) -> CBORValue? {
        guard tag == 2 || tag == 3, case .byteString(let bytes) = content, bytes.first == 0 else { return nil }
        return .byteString(Array(bytes.drop { $0 == 0 }))
    }

    mutating func writeHead(_ major: UInt8, _ argument: UInt64) {
        let type = major << 5
        switch argument {
        case 0..<24:
            output.append(type | UInt8(argument))
        case 24...0xFF:
            output.append(type | 24)
            output.append(UInt8(argument))
        case 0x100...0xFFFF:
            output.append(type | 25)
            appendBigEndian(argument, byteCount: 2)
        case 0x1_0000...0xFFFF_FFFF:
            output.append(type | 26)
            appendBigEndian(argument, byteCount: 4)
        default:
            output.append(type | 27)
            appendBigEndian(argument, byteCount: 8)
        }
    }

    private mutating func appendBigEndian(_ value: UInt64, byteCount: Int) {
        for index in stride(from: byteCount - 1, through: 0, by: -1) {
            output.append(UInt8(truncatingIfNeeded: value >> (UInt64(index) * 8)))
        }
    }

    mutating func write(_ value: CBORValue, depth: Int) throws(CBORError) {
        guard depth <= maximumDepth else {
            throw CBORError(.depthLimitExceeded, "value nests deeper than the limit of \(maximumDepth)")
        }
        switch value {
        case .unsigned(let n): writeHead(0, n)
        case .negative(let n): writeHead(1, n)
        case .byteString(let bytes):
            writeHead(2, UInt64(bytes.count))
            output.append(contentsOf: bytes)
        case .textString(let text):
            writeHead(3, UInt64(text.utf8.count))
            output.append(contentsOf: text.utf8)
        case .array(let items):
            writeHead(4, UInt64(items.count))
            for item in items { try write(item, depth: depth + 1) }
        case .map(let entries):
            try writeMap(entries, depth: depth)
        case .tagged(let tag, let content):
            if let integer = Self.bignumAsInteger(tag, content) {
                writeHead(integer.major, integer.argument)
            } else {
                writeHead(6, tag)
                try write(Self.trimmedBignum(tag, content) ?? content, depth: depth + 1)
            }
        case .simple(let n):
            switch n {
            case 0..<20: output.append(0xE0 | n)
            case 20..<32:
                throw CBORError(
                    .invalidValue,
                    "simple(\(n)) cannot be encoded: 20–23 are false, true, null and "
                        + "undefined (use those cases) and 24–31 are reserved"
                )
            default:
                output.append(0xF8)
                output.append(n)
            }
        case .bool(let b): output.append(b ? 0xF5 : 0xF4)
        case .null: output.append(0xF6)
        case .undefined: output.append(0xF7)
        case .float(let d): writeFloat(d)
        }
    }

    /// §4.2.2 preferred serialization: the shortest width that holds `value` exactly.
    mutating func writeFloat(_ value: Double) {
        if value.isNaN {
            output.append(contentsOf: [0xF9, 0x7E, 0x00])
        } else if let half = HalfFloat.exactBits(of: value) {
            output.append(0xF9)
            appendBigEndian(UInt64(half), byteCount: 2)
        } else if Double(Float(value)) == value {
            output.append(0xFA)
            appendBigEndian(UInt64(Float(value).bitPattern), byteCount: 4)
        } else {
            output.append(0xFB)
            appendBigEndian(value.bitPattern, byteCount: 8)
        }
    }

    /// Keys are encoded on their own first (they are small), sorted bytewise, checked for
    /// duplicates, then written with their values in that order; values are encoded once, in place.
    private mutating func writeMap(_ entries: [CBORValue.MapEntry], depth: Int) throws(CBORError) {
        writeHead(5, UInt64(entries.count))
        var keys: [(bytes: [UInt8], index: Int)] = []
        keys.reserveCapacity(entries.count)
        for (index, entry) in entries.enumerated() {
            var keyWriter = CBORWriter(maximumDepth: maximumDepth)
            try keyWriter.write(entry.key, depth: depth + 1)
            keys.append((keyWriter.output, index))
        }
        keys.sort { $0.bytes.lexicographicallyPrecedes($1.bytes) }
        for position in keys.indices {
            if position > 0, keys[position].bytes == keys[position - 1].bytes {
                throw CBORError(
                    .duplicateMapKey,
                    "map has the key \(CBORReader.abbreviated(entries[keys[position].index].key)) "
                        + "more than once; deterministic CBOR allows each key once"
                )
            }
            output.append(contentsOf: keys[position].bytes)
            try write(entries[keys[position].index].value, depth: depth + 1)
        }
    }
}
