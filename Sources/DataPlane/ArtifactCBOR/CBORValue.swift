/// One CBOR data item (RFC 8949 §2), as a value.
///
/// The model covers everything a well-formed input can carry, so the decoder never has to refuse
/// or approximate a well-formed item:
/// - integers as ``unsigned(_:)`` (major type 0) and ``negative(_:)`` (major type 1, holding the
///   argument `n` of the value `-1 - n`), so the whole range -2^64 … 2^64-1 is exact;
/// - tags, including bignums (tags 2 and 3), are kept as tag number and content;
/// - floats of every width are held as the `Double` they denote (binary16 and binary32 values are
///   exactly representable); the deterministic encoder writes the shortest width that preserves
///   the value, so the width seen on the wire is not part of the value;
/// - maps are ordered lists of pairs, exactly as they appeared (the encoder sorts).
///
/// Equality and hashing follow the CBOR data model rather than Swift's defaults: text strings
/// compare by their UTF-8 bytes (not by Unicode canonical equivalence), floats by bit pattern
/// (so `0.0 != -0.0`) except that every NaN equals every other NaN (all NaNs encode as `f97e00`).
/// Bignums (tags 2 and 3 on a byte string) equal the integer they stand for, as in RFC 8949's
/// extended generic data model (§3.4.3): `2(h'01')` equals `1`, and leading zero bytes do not
/// matter. This makes `==` agree with the deterministic encoding (equal values, equal bytes), so
/// it is usable for duplicate-key detection, and keeps `Hashable` lawful.
public enum CBORValue: Sendable {
    /// Major type 0: the integer itself.
    case unsigned(UInt64)
    /// Major type 1: the argument `n`; the integer is `-1 - n` (so `.negative(0)` is -1 and
    /// `.negative(UInt64.max)` is -2^64).
    case negative(UInt64)
    /// Major type 2.
    case byteString([UInt8])
    /// Major type 3 (always valid UTF-8).
    case textString(String)
    /// Major type 4.
    case array([CBORValue])
    /// Major type 5: pairs in order.
    case map([MapEntry])
    /// Major type 6: tag number and content.
    indirect case tagged(UInt64, CBORValue)
    /// Major type 7, simple values other than false, true, null and undefined: 0–19 and 32–255.
    case simple(UInt8)
    /// `false` (`f4`) and `true` (`f5`).
    case bool(Bool)
    /// `null` (`f6`).
    case null
    /// `undefined` (`f7`).
    case undefined
    /// A binary16, binary32 or binary64 float.
    case float(Double)

    /// One key/value pair of a map.
    public struct MapEntry: Sendable, Hashable {
        public var key: CBORValue
        public var value: CBORValue

        public init(_ key: CBORValue, _ value: CBORValue) {
            self.key = key
            self.value = value
        }
    }
}

extension CBORValue {
    /// An integer from any Swift integer. Like Swift's own conversions it traps for values
    /// outside -2^64 … 2^64-1, which only 128-bit types can hold.
    public init(_ value: some BinaryInteger) {
        if value >= 0 {
            self = .unsigned(UInt64(value))
        } else {
            // n = -1 - value = |value| - 1, without overflow for Int64.min.
            self = .negative(UInt64(value.magnitude - 1))
        }
    }

    /// A text string.
    public init(_ text: String) { self = .textString(text) }

    /// A map from pairs, in the order given.
    public static func map(_ pairs: KeyValuePairs<CBORValue, CBORValue>) -> CBORValue {
        .map(pairs.map { MapEntry($0.key, $0.value) })
    }

    /// The integer as an `Int64`, if it is an integer (major type 0 or 1) in range.
    public var int64Value: Int64? {
        switch self {
        case .unsigned(let n): return n <= UInt64(Int64.max) ? Int64(n) : nil
        case .negative(let n): return n <= UInt64(Int64.max) ? -1 - Int64(n) : nil
        default: return nil
        }
    }

    /// The value of a map entry with key `key`, the first if there are several.
    public subscript(key: CBORValue) -> CBORValue? {
        guard case .map(let entries) = self else { return nil }
        return entries.first { $0.key == key }?.value
    }

    /// The value of a map entry with a text key.
    public subscript(key: String) -> CBORValue? { self[.textString(key)] }
}

extension CBORValue {
    /// A bignum in preferred form (an integer when it fits in 64 bits, else without leading zero
    /// bytes); any other value unchanged.
    var preferredBignum: CBORValue {
        guard case .tagged(let tag, .byteString(let bytes)) = self, tag == 2 || tag == 3 else { return self }
        let significant = bytes.drop { $0 == 0 }
        if significant.count <= 8 {
            let value = significant.reduce(0) { $0 << 8 | UInt64($1) }
            return tag == 2 ? .unsigned(value) : .negative(value)
        }
        return significant.count == bytes.count ? self : .tagged(tag, .byteString(Array(significant)))
    }
}

extension CBORValue: Hashable {
    public static func == (lhs: CBORValue, rhs: CBORValue) -> Bool {
        if case .tagged = lhs { return equal(lhs.preferredBignum, rhs.preferredBignum) }
        if case .tagged = rhs { return equal(lhs.preferredBignum, rhs.preferredBignum) }
        return equal(lhs, rhs)
    }

    private static func equal(_ lhs: CBORValue, _ rhs: CBORValue) -> Bool {
        switch (lhs, rhs) {
        case (.unsigned(let a), .unsigned(let b)): return a == b
        case (.negative(let a), .negative(let b)): return a == b
        case (.byteString(let a), .byteString(let b)): return a == b
        case (.textString(let a), .textString(let b)): return a.utf8.elementsEqual(b.utf8)
        case (.array(let a), .array(let b)): return a == b
        case (.map(let a), .map(let b)): return a == b
        case (.tagged(let t, let a), .tagged(let u, let b)): return t == u && a == b
        case (.simple(let a), .simple(let b)): return a == b
        case (.bool(let a), .bool(let b)): return a == b
        case (.null, .null), (.undefined, .undefined): return true
        case (.float(let a), .float(let b)):
            if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
            return a.bitPattern == b.bitPattern
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        preferredBignum.hashContent(into: &hasher)
    }

    private func hashContent(into hasher: inout Hasher) {
        switch self {
        case .unsigned(let n):
            hasher.combine(0 as UInt8)
            hasher.combine(n)
        case .negative(let n):
            hasher.combine(1 as UInt8)
            hasher.combine(n)
        case .byteString(let b):
            hasher.combine(2 as UInt8)
            hasher.combine(b)
        case .textString(let s):
            hasher.combine(3 as UInt8)
            hasher.combine(s.utf8.count)
            for byte in s.utf8 { hasher.combine(byte) }
        case .array(let a):
            hasher.combine(4 as UInt8)
            hasher.combine(a)
        case .map(let m):
            hasher.combine(5 as UInt8)
            hasher.combine(m)
        case .tagged(let t, let v):
            hasher.combine(6 as UInt8)
            hasher.combine(t)
            hasher.combine(v)
        case .simple(let s):
            hasher.combine(7 as UInt8)
            hasher.combine(s)
        case .bool(let b):
            hasher.combine(8 as UInt8)
            hasher.combine(b)
        case .null: hasher.combine(9 as UInt8)
        case .undefined: hasher.combine(10 as UInt8)
        case .float(let d):
            hasher.combine(11 as UInt8)
            hasher.combine(d.isNaN ? Double.nan.bitPattern : d.bitPattern)
        }
    }
}
