import ArtifactCBOR
import ArtifactStoreTestSupport
import Foundation

/// Shared helpers: locating `../shared/testdata`, hex, a seeded generator and a small JSON reader
/// that keeps numbers as text (so 2^64 and friends stay exact) and object keys in order.
enum TestSupport {
    static let packageRoot = SharedTestData.packageRoot

    static let cborTestData = SharedTestData.url("cbor")

    static func loadJSON(_ name: String) throws -> JSON {
        let data = try Data(contentsOf: cborTestData.appendingPathComponent(name))
        var parser = JSONParser(bytes: [UInt8](data))
        return try parser.parseDocument()
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return out
    }
}

/// SplitMix64: small, fast and seedable, so every random test is reproducible.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// JSON with numbers kept as their text.
indirect enum JSON: Equatable {
    case number(String)
    case string(String)
    case bool(Bool)
    case null
    case array([JSON])
    case object([String], [JSON])

    subscript(key: String) -> JSON? {
        guard case .object(let keys, let values) = self, let index = keys.firstIndex(of: key) else { return nil }
        return values[index]
    }

    var string: String? { if case .string(let s) = self { return s } else { return nil } }
    var array: [JSON]? { if case .array(let a) = self { return a } else { return nil } }
    var bool: Bool? { if case .bool(let b) = self { return b } else { return nil } }
}

struct JSONParseError: Error { let offset: Int }

struct JSONParser {
    let bytes: [UInt8]
    var offset = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func parseDocument() throws -> JSON {
        let value = try parseValue()
        skipSpace()
        guard offset == bytes.count else { throw JSONParseError(offset: offset) }
        return value
    }

    private mutating func skipSpace() {
        while offset < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[offset]) { offset += 1 }
    }

    private mutating func expect(_ literal: String) throws {
        for byte in literal.utf8 {
            guard offset < bytes.count, bytes[offset] == byte else { throw JSONParseError(offset: offset) }
            offset += 1
        }
    }

    private mutating func parseValue() throws -> JSON {
        skipSpace()
        guard offset < bytes.count else { throw JSONParseError(offset: offset) }
        switch bytes[offset] {
        case UInt8(ascii: "{"):
            offset += 1
            var keys: [String] = []
            var values: [JSON] = []
            skipSpace()
            if bytes[offset] == UInt8(ascii: "}") {
                offset += 1
                return .object([], [])
            }
            while true {
                skipSpace()
                keys.append(try parseString())
                skipSpace()
                try expect(":")
                values.append(try parseValue())
                skipSpace()
                if bytes[offset] == UInt8(ascii: ",") {
                    offset += 1
                    continue
                }
                try expect("}")
                return .object(keys, values)
            }
        case UInt8(ascii: "["):
            offset += 1
            var items: [JSON] = []
            skipSpace()
            if bytes[offset] == UInt8(ascii: "]") {
                offset += 1
                return .array([])
            }
            while true {
                items.append(try parseValue())
                skipSpace()
                if bytes[offset] == UInt8(ascii: ",") {
                    offset += 1
                    continue
                }
                try expect("]")
                return .array(items)
            }
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try expect("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expect("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expect("null")
            return .null
        default:
            let start = offset
            while offset < bytes.count, "+-0123456789.eE".utf8.contains(bytes[offset]) { offset += 1 }
            guard offset > start else { throw JSONParseError(offset: offset) }
            return .number(String(decoding: bytes[start..<offset], as: UTF8.self))
        }
    }

    private mutating func hex4() throws -> UInt32 {
        guard offset + 4 <= bytes.count,
            let value = UInt32(String(decoding: bytes[offset..<(offset + 4)], as: UTF8.self), radix: 16)
        else { throw JSONParseError(offset: offset) }
        offset += 4
        return value
    }

    private mutating func parseString() throws -> String {
        try expect("\"")
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        func flush() {
            scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
            raw = []
        }
        while true {
            guard offset < bytes.count else { throw JSONParseError(offset: offset) }
            let byte = bytes[offset]
            offset += 1
            if byte == UInt8(ascii: "\"") { break }
            guard byte == UInt8(ascii: "\\") else {
                raw.append(byte)
                continue
            }
            flush()
            let escape = bytes[offset]
            offset += 1
            switch escape {
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "b"): scalars.append("\u{8}")
            case UInt8(ascii: "f"): scalars.append("\u{C}")
            case UInt8(ascii: "u"):
                var code = try hex4()
                if (0xD800..<0xDC00).contains(code) {
                    try expect("\\u")
                    let low = try hex4()
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let scalar = Unicode.Scalar(code) else { throw JSONParseError(offset: offset) }
                scalars.append(scalar)
            default: scalars.append(Unicode.Scalar(escape))
            }
        }
        flush()
        return String(scalars)
    }
}

extension JSON {
    /// The CBOR value a test-vector JSON value stands for. Integers beyond 64 bits become
    /// bignums (tags 2 and 3), as in RFC 8949 Appendix A.
    func cborValue() throws -> CBORValue {
        switch self {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .string(let s): return .textString(s)
        case .array(let items): return .array(try items.map { try $0.cborValue() })
        case .object(let keys, let values):
            return .map(try zip(keys, values).map { CBORValue.MapEntry(.textString($0), try $1.cborValue()) })
        case .number(let text):
            if text.contains(where: { ".eE".contains($0) }) { return .float(Double(text)!) }
            let negative = text.hasPrefix("-")
            let digits = negative ? String(text.dropFirst()) : text
            // Big-endian magnitude, in base 256.
            var magnitude: [UInt8] = [0]
            for digit in digits.utf8 {
                var carry = UInt(digit - UInt8(ascii: "0"))
                for index in magnitude.indices.reversed() {
                    let value = UInt(magnitude[index]) * 10 + carry
                    magnitude[index] = UInt8(value & 0xFF)
                    carry = value >> 8
                }
                while carry > 0 {
                    magnitude.insert(UInt8(carry & 0xFF), at: 0)
                    carry >>= 8
                }
            }
            while magnitude.count > 1, magnitude[0] == 0 { magnitude.removeFirst() }
            if negative {
                // -1 - n = value, so n = magnitude - 1.
                var n = magnitude
                var index = n.count - 1
                while n[index] == 0 {
                    n[index] = 0xFF
                    index -= 1
                }
                n[index] -= 1
                while n.count > 1, n[0] == 0 { n.removeFirst() }
                if n.count <= 8 { return .negative(n.reduce(0) { $0 << 8 | UInt64($1) }) }
                return .tagged(3, .byteString(n))
            }
            if magnitude.count <= 8 { return .unsigned(magnitude.reduce(0) { $0 << 8 | UInt64($1) }) }
            return .tagged(2, .byteString(magnitude))
        }
    }
}

extension CBORValue {
    /// The same value with every map's pairs in core deterministic order and bignums in preferred
    /// form: what a value looks like after a trip through the deterministic encoder.
    func sortedMaps() -> CBORValue {
        switch self {
        case .array(let items): return .array(items.map { $0.sortedMaps() })
        case .tagged(let tag, .byteString(let bytes)) where tag == 2 || tag == 3:
            // Bignums in preferred serialization: no leading zeros; 64-bit values as integers.
            let significant = Array(bytes.drop { $0 == 0 })
            if significant.count > 8 { return .tagged(tag, .byteString(significant)) }
            let value = significant.reduce(0) { $0 << 8 | UInt64($1) }
            return tag == 2 ? .unsigned(value) : .negative(value)
        case .tagged(let tag, let content): return .tagged(tag, content.sortedMaps())
        case .map(let entries):
            let sorted = entries.map { CBORValue.MapEntry($0.key.sortedMaps(), $0.value.sortedMaps()) }
                .map { (key: (try? CBOREncoder().encode($0.key)) ?? [], entry: $0) }
                .sorted { $0.key.lexicographicallyPrecedes($1.key) }
            return .map(sorted.map(\.entry))
        default: return self
        }
    }
}
