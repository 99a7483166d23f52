#if canImport(FoundationEssentials)
import FoundationEssentials
#else
public import Foundation
#endif

extension CBORDecoder {
    /// Decodes a `Decodable` value from one CBOR data item filling `bytes`.
    ///
    /// The bytes are decoded with this decoder's limits and duplicate-key policy (strict by
    /// default), then mapped onto `T`: the inverse of ``CBOREncoder/encode(_:)-(Encodable)``,
    /// plus some tolerance: `Data` and `[UInt8]` accept byte strings or arrays of bytes, `Date`
    /// accepts tag 1 or a plain number, and tags the codec does not interpret are looked through.
    /// Every failure is a ``CBORError`` whose message names the coding path.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>) throws(CBORError) -> T {
        try decode(type, fromValue: try decode(bytes))
    }

    /// Decodes a `Decodable` value from an already decoded ``CBORValue``.
    public func decode<T: Decodable>(_ type: T.Type, fromValue value: CBORValue) throws(CBORError) -> T {
        let userInfo = self.userInfo.mapValues { $0 as Any }
        do {
            return try CBORDecodingImpl.unbox(value, as: type, codingPath: [], userInfo: userInfo)
        } catch let error as CBORError {
            throw error
        } catch let error as DecodingError {
            throw CBORError(error)
        } catch {
            throw CBORError(.dataCorrupted, "\(T.self) could not be decoded: \(error)", underlying: error)
        }
    }
}

extension CBORError {
    /// A `DecodingError` thrown by a type's own `init(from:)`, as a ``CBORError``.
    init(_ error: DecodingError) {
        switch error {
        case .typeMismatch(_, let context):
            self.init(.typeMismatch, codingPath: context.codingPath, context.debugDescription, underlying: error)
        case .valueNotFound(_, let context):
            self.init(.valueNotFound, codingPath: context.codingPath, context.debugDescription, underlying: error)
        case .keyNotFound(let key, let context):
            self.init(
                .keyNotFound,
                codingPath: context.codingPath + [key],
                "no value for key \"\(key.stringValue)\"",
                underlying: error
            )
        case .dataCorrupted(let context):
            self.init(.dataCorrupted, codingPath: context.codingPath, context.debugDescription, underlying: error)
        @unknown default:
            self.init(.dataCorrupted, "\(error)", underlying: error)
        }
    }
}

/// The `Decoder` handed to `Decodable` types: a view of one ``CBORValue``.
final class CBORDecodingImpl: Decoder {
    let codingPath: [any CodingKey]
    let userInfo: [CodingUserInfoKey: Any]
    let value: CBORValue

    init(value: CBORValue, codingPath: [any CodingKey], userInfo: [CodingUserInfoKey: Any]) {
        self.value = value
        self.codingPath = codingPath
        self.userInfo = userInfo
    }

    /// `value` without the tags the `Codable` layer does not interpret.
    static func untagged(_ value: CBORValue) -> CBORValue {
        var current = value
        while case .tagged(_, let content) = current { current = content }
        return current
    }

    static func mismatch(_ expected: String, _ value: CBORValue, _ codingPath: [any CodingKey]) -> CBORError {
        if case .null = value {
            return CBORError(.valueNotFound, codingPath: codingPath, "expected \(expected), found null")
        }
        if case .undefined = value {
            return CBORError(.valueNotFound, codingPath: codingPath, "expected \(expected), found undefined")
        }
        return CBORError(.typeMismatch, codingPath: codingPath, "expected \(expected), found \(value.kindDescription)")
    }

    static func unbox<T: Decodable>(
        _ value: CBORValue,
        as type: T.Type,
        codingPath: [any CodingKey],
        userInfo: [CodingUserInfoKey: Any]
    ) throws -> T {
        if type == Data.self {
            return try Data(bytes(value, codingPath)) as! T
        }
        if type == [UInt8].self {
            return try bytes(value, codingPath) as! T
        }
        if type == Date.self {
            return try date(value, codingPath) as! T
        }
        return try T(from: CBORDecodingImpl(value: value, codingPath: codingPath, userInfo: userInfo))
    }

    /// A byte string, or an array of integers 0…255.
    static func bytes(_ value: CBORValue, _ codingPath: [any CodingKey]) throws -> [UInt8] {
        switch untagged(value) {
        case .byteString(let bytes): return bytes
        case .array(let items):
            var bytes: [UInt8] = []
            bytes.reserveCapacity(items.count)
            for (index, item) in items.enumerated() {
                guard case .unsigned(let n) = item, let byte = UInt8(exactly: n) else {
                    throw mismatch("a byte (0…255)", item, codingPath + [CBORCodingKey(index: index)])
                }
                bytes.append(byte)
            }
            return bytes
        default:
            throw mismatch("a byte string", value, codingPath)
        }
    }

    /// Tag 1 (or a bare number): seconds since 1970.
    static func date(_ value: CBORValue, _ codingPath: [any CodingKey]) throws -> Date {
        var content = value
        if case .tagged(let tag, let inner) = value {
            guard tag == 1 else { throw mismatch("a date (tag 1)", value, codingPath) }
            content = inner
        }
        switch content {
        case .unsigned, .negative:
            guard let seconds = content.int64Value else { throw mismatch("a date in range", content, codingPath) }
            return Date(timeIntervalSince1970: Double(seconds))
        case .float(let seconds) where seconds.isFinite:
            return Date(timeIntervalSince1970: seconds)
        default:
            throw mismatch("a date (epoch seconds)", content, codingPath)
        }
    }

    static func integer<T: FixedWidthInteger>(
        _ value: CBORValue,
        as type: T.Type,
        _ codingPath: [any CodingKey]
    ) throws -> T {
        let plain = untagged(value)
        switch plain {
        case .unsigned(let n):
            if let result = T(exactly: n) { return result }
        case .negative(let n):
            if n <= UInt64(Int64.max), let result = T(exactly: -1 - Int64(n)) { return result }
        default:
            throw mismatch("\(T.self)", plain, codingPath)
        }
        throw CBORError(
            .typeMismatch,
            codingPath: codingPath,
            "expected \(T.self), found \(plain), which is outside \(T.min)…\(T.max)"
        )
    }

    static func double(_ value: CBORValue, _ codingPath: [any CodingKey]) throws -> Double {
        let plain = untagged(value)
        switch plain {
        case .float(let d): return d
        case .unsigned, .negative:
            if let int = plain.int64Value, let d = Double(exactly: int) { return d }
            if case .unsigned(let n) = plain, let d = Double(exactly: n) { return d }
            throw CBORError(.typeMismatch, codingPath: codingPath, "integer \(plain) has no exact Double value")
        default:
            throw mismatch("a number", plain, codingPath)
        }
    }

    static func float(_ value: CBORValue, _ codingPath: [any CodingKey]) throws -> Float {
        let d = try double(value, codingPath)
        let f = Float(d)
        if f.isInfinite, d.isFinite {
            throw CBORError(.typeMismatch, codingPath: codingPath, "\(d) does not fit in Float")
        }
        return f
    }

    static func bool(_ value: CBORValue, _ codingPath: [any CodingKey]) throws -> Bool {
        guard case .bool(let b) = untagged(value) else { throw mismatch("Bool", untagged(value), codingPath) }
        return b
    }

    static func string(_ value: CBORValue, _ codingPath: [any CodingKey]) throws -> String {
        guard case .textString(let s) = untagged(value) else { throw mismatch("a text string", untagged(value), codingPath) }
        return s
    }

    static func isNil(_ value: CBORValue) -> Bool {
        switch untagged(value) {
        case .null, .undefined: return true
        default: return false
        }
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .map(let entries) = Self.untagged(value) else {
            throw Self.mismatch("a map", Self.untagged(value), codingPath)
        }
        return KeyedDecodingContainer(CBORKeyedDecodingContainer<Key>(decoder: self, entries: entries))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let items) = Self.untagged(value) else {
            throw Self.mismatch("an array", Self.untagged(value), codingPath)
        }
        return CBORUnkeyedDecodingContainer(decoder: self, items: items)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        CBORSingleValueDecodingContainer(decoder: self)
    }
}

struct CBORKeyedDecodingContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: CBORDecodingImpl
    let lookup: [CBORValue: CBORValue]
    let allKeys: [Key]

    init(decoder: CBORDecodingImpl, entries: [CBORValue.MapEntry]) {
        self.decoder = decoder
        var lookup: [CBORValue: CBORValue] = [:]
        var keys: [Key] = []
        for entry in entries where lookup[entry.key] == nil {
            lookup[entry.key] = entry.value
            switch entry.key {
            case .textString(let text):
                if let key = Key(stringValue: text) { keys.append(key) }
            case .unsigned, .negative:
                if let int = entry.key.int64Value.flatMap({ Int(exactly: $0) }),
                    let key = Key(intValue: int) ?? Key(stringValue: String(int))
                {
                    keys.append(key)
                }
            default:
                break
            }
        }
        self.lookup = lookup
        self.allKeys = keys
    }

    var codingPath: [any CodingKey] { decoder.codingPath }

    private func find(_ key: Key) -> CBORValue? {
        let cborKey = key.cborKey
        if let value = lookup[cborKey] { return value }
        if case .textString = cborKey { return nil }
        return lookup[.textString(key.stringValue)]
    }

    private func value(_ key: Key) throws -> CBORValue {
        guard let value = find(key) else {
            throw CBORError(.keyNotFound, codingPath: codingPath + [key], "no value for key \"\(key.stringValue)\"")
        }
        return value
    }

    func contains(_ key: Key) -> Bool { find(key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool { CBORDecodingImpl.isNil(try value(key)) }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
        try CBORDecodingImpl.bool(try value(key), codingPath + [key])
    }
    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        try CBORDecodingImpl.string(try value(key), codingPath + [key])
    }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
        try CBORDecodingImpl.double(try value(key), codingPath + [key])
    }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float {
        try CBORDecodingImpl.float(try value(key), codingPath + [key])
    }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try integer(key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try integer(key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try integer(key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try integer(key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try integer(key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try integer(key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try integer(key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try integer(key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try integer(key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try integer(key) }

    private func integer<T: FixedWidthInteger>(_ key: Key) throws -> T {
        try CBORDecodingImpl.integer(try value(key), as: T.self, codingPath + [key])
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try CBORDecodingImpl.unbox(try value(key), as: type, codingPath: codingPath + [key], userInfo: decoder.userInfo)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try CBORDecodingImpl(value: try value(key), codingPath: codingPath + [key], userInfo: decoder.userInfo)
            .container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try CBORDecodingImpl(value: try value(key), codingPath: codingPath + [key], userInfo: decoder.userInfo)
            .unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        let key = CBORCodingKey.super
        return CBORDecodingImpl(value: lookup[key.cborKey] ?? .null, codingPath: codingPath + [key], userInfo: decoder.userInfo)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        CBORDecodingImpl(value: find(key) ?? .null, codingPath: codingPath + [key], userInfo: decoder.userInfo)
    }
}

struct CBORUnkeyedDecodingContainer: UnkeyedDecodingContainer {
    let decoder: CBORDecodingImpl
    let items: [CBORValue]
    private(set) var currentIndex = 0

    init(decoder: CBORDecodingImpl, items: [CBORValue]) {
        self.decoder = decoder
        self.items = items
    }

    var codingPath: [any CodingKey] { decoder.codingPath }
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private var currentPath: [any CodingKey] { codingPath + [CBORCodingKey(index: currentIndex)] }

    private mutating func next() throws -> (CBORValue, [any CodingKey]) {
        guard !isAtEnd else {
            throw CBORError(
                .valueNotFound,
                codingPath: currentPath,
                "array has only \(items.count) elements"
            )
        }
        let result = (items[currentIndex], currentPath)
        currentIndex += 1
        return result
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd else {
            throw CBORError(.valueNotFound, codingPath: currentPath, "array has only \(items.count) elements")
        }
        if CBORDecodingImpl.isNil(items[currentIndex]) {
            currentIndex += 1
            return true
        }
        return false
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool {
        let (v, p) = try next()
        return try CBORDecodingImpl.bool(v, p)
    }
    mutating func decode(_ type: String.Type) throws -> String {
        let (v, p) = try next()
        return try CBORDecodingImpl.string(v, p)
    }
    mutating func decode(_ type: Double.Type) throws -> Double {
        let (v, p) = try next()
        return try CBORDecodingImpl.double(v, p)
    }
    mutating func decode(_ type: Float.Type) throws -> Float {
        let (v, p) = try next()
        return try CBORDecodingImpl.float(v, p)
    }
    mutating func decode(_ type: Int.Type) throws -> Int { try integer() }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try integer() }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try integer() }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try integer() }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try integer() }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try integer() }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try integer() }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try integer() }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try integer() }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try integer() }

    private mutating func integer<T: FixedWidthInteger>() throws -> T {
        let (value, path) = try next()
        return try CBORDecodingImpl.integer(value, as: T.self, path)
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (value, path) = try next()
        return try CBORDecodingImpl.unbox(value, as: type, codingPath: path, userInfo: decoder.userInfo)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let (value, path) = try next()
        return try CBORDecodingImpl(value: value, codingPath: path, userInfo: decoder.userInfo).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (value, path) = try next()
        return try CBORDecodingImpl(value: value, codingPath: path, userInfo: decoder.userInfo).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (value, path) = try next()
        return CBORDecodingImpl(value: value, codingPath: path, userInfo: decoder.userInfo)
    }
}

struct CBORSingleValueDecodingContainer: SingleValueDecodingContainer {
    let decoder: CBORDecodingImpl
    var codingPath: [any CodingKey] { decoder.codingPath }
    private var value: CBORValue { decoder.value }

    func decodeNil() -> Bool { CBORDecodingImpl.isNil(value) }
    func decode(_ type: Bool.Type) throws -> Bool { try CBORDecodingImpl.bool(value, codingPath) }
    func decode(_ type: String.Type) throws -> String { try CBORDecodingImpl.string(value, codingPath) }
    func decode(_ type: Double.Type) throws -> Double { try CBORDecodingImpl.double(value, codingPath) }
    func decode(_ type: Float.Type) throws -> Float { try CBORDecodingImpl.float(value, codingPath) }
    func decode(_ type: Int.Type) throws -> Int { try integer() }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer() }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer() }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer() }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer() }
    func decode(_ type: UInt.Type) throws -> UInt { try integer() }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer() }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer() }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer() }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer() }

    private func integer<T: FixedWidthInteger>() throws -> T {
        try CBORDecodingImpl.integer(value, as: T.self, codingPath)
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try CBORDecodingImpl.unbox(value, as: type, codingPath: codingPath, userInfo: decoder.userInfo)
    }
}
