#if canImport(FoundationEssentials)
import FoundationEssentials
#else
public import Foundation
#endif

extension CBOREncoder {
    /// The deterministic CBOR encoding of an `Encodable` value.
    ///
    /// Structs become maps keyed by field name; `nil` optionals are left out (or written as
    /// `null` when a type calls `encodeNil`); `Data` and `[UInt8]` become byte strings; `Date`
    /// becomes tag 1 with integer seconds since 1970 when whole, float seconds otherwise;
    /// dictionaries with `Int` keys get integer keys, all other keyed containers text keys; enums
    /// with raw values their raw value. Map keys are sorted as ``CBOREncoder`` always does.
    public func encode<T: Encodable>(_ value: T) throws(CBORError) -> [UInt8] {
        try encode(try encodeToValue(value))
    }

    /// The ``CBORValue`` an `Encodable` value encodes to (before sorting).
    public func encodeToValue<T: Encodable>(_ value: T) throws(CBORError) -> CBORValue {
        let userInfo = self.userInfo.mapValues { $0 as Any }
        do {
            return try CBOREncodingImpl.box(value, codingPath: [], userInfo: userInfo).resolved()
        } catch let error as CBORError {
            throw error
        } catch let error as EncodingError {
            switch error {
            case .invalidValue(_, let context):
                throw CBORError(.invalidValue, codingPath: context.codingPath, context.debugDescription, underlying: error)
            @unknown default:
                throw CBORError(.invalidValue, "\(error)", underlying: error)
            }
        } catch {
            throw CBORError(.invalidValue, "\(T.self) could not be encoded: \(error)", underlying: error)
        }
    }
}

/// `[Int: V]`, whose keys become CBOR integers. Swift encodes them through a keyed container
/// whose keys also have string values, just as `[String: V]` with a key like `"1"` does; the two
/// cannot be told apart there, so integer-keyed dictionaries are caught by type before that.
/// Every other keyed container gets text keys.
protocol CBORIntKeyedDictionary {
    func cborNode(codingPath: [any CodingKey], userInfo: [CodingUserInfoKey: Any]) throws -> CBOREncodingNode
}

extension Dictionary: CBORIntKeyedDictionary where Key == Int, Value: Encodable {
    func cborNode(codingPath: [any CodingKey], userInfo: [CodingUserInfoKey: Any]) throws -> CBOREncodingNode {
        let map = CBOREncodingMap()
        for (key, value) in self {
            let node = try CBOREncodingImpl.box(value, codingPath: codingPath + [CBORCodingKey(intValue: key)], userInfo: userInfo)
            map.set(CBORValue(key), node)
        }
        return .map(map)
    }
}

/// A value being built by the `Codable` encoder; containers are references so nested containers
/// and super encoders can be filled after they were handed out.
enum CBOREncodingNode {
    case value(CBORValue)
    case map(CBOREncodingMap)
    case array(CBOREncodingArray)
    case encoder(CBOREncodingImpl)

    func resolved() -> CBORValue {
        switch self {
        case .value(let value): return value
        case .map(let map): return .map(zip(map.keys, map.values).map { CBORValue.MapEntry($0, $1.resolved()) })
        case .array(let array): return .array(array.items.map { $0.resolved() })
        case .encoder(let encoder): return encoder.storage?.resolved() ?? .map([])
        }
    }
}

final class CBOREncodingMap {
    var keys: [CBORValue] = []
    var values: [CBOREncodingNode] = []
    private var positions: [CBORValue: Int] = [:]

    /// Sets `key`; encoding the same key again replaces the value (as JSONEncoder does).
    func set(_ key: CBORValue, _ node: CBOREncodingNode) {
        if let position = positions[key] {
            values[position] = node
        } else {
            positions[key] = keys.count
            keys.append(key)
            values.append(node)
        }
    }
}

final class CBOREncodingArray {
    var items: [CBOREncodingNode] = []
}

/// The `Encoder` handed to `Encodable` types.
final class CBOREncodingImpl: Encoder {
    let codingPath: [any CodingKey]
    let userInfo: [CodingUserInfoKey: Any]
    var storage: CBOREncodingNode?

    init(codingPath: [any CodingKey], userInfo: [CodingUserInfoKey: Any]) {
        self.codingPath = codingPath
        self.userInfo = userInfo
    }

    /// The node for one value, with the codec's special cases for bytes and dates.
    static func box<T: Encodable>(
        _ value: T,
        codingPath: [any CodingKey],
        userInfo: [CodingUserInfoKey: Any]
    ) throws -> CBOREncodingNode {
        // By type, not by cast: an empty [Int] casts to [UInt8] too.
        if T.self == Data.self, let data = value as? Data { return .value(.byteString([UInt8](data))) }
        if T.self == [UInt8].self, let bytes = value as? [UInt8] { return .value(.byteString(bytes)) }
        if T.self == Date.self, let date = value as? Date { return .value(encodeDate(date)) }
        if let dictionary = value as? any CBORIntKeyedDictionary {
            return try dictionary.cborNode(codingPath: codingPath, userInfo: userInfo)
        }
        let encoder = CBOREncodingImpl(codingPath: codingPath, userInfo: userInfo)
        try value.encode(to: encoder)
        return .encoder(encoder)
    }

    /// Tag 1: integer seconds when whole and in range, float seconds otherwise.
    static func encodeDate(_ date: Date) -> CBORValue {
        let seconds = date.timeIntervalSince1970
        if seconds == seconds.rounded(.towardZero), let whole = Int64(exactly: seconds) {
            return .tagged(1, CBORValue(whole))
        }
        return .tagged(1, .float(seconds))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        let map: CBOREncodingMap
        if case .map(let existing) = storage {
            map = existing
        } else {
            map = CBOREncodingMap()
            storage = .map(map)
        }
        return KeyedEncodingContainer(CBORKeyedEncodingContainer<Key>(encoder: self, map: map, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        let array: CBOREncodingArray
        if case .array(let existing) = storage {
            array = existing
        } else {
            array = CBOREncodingArray()
            storage = .array(array)
        }
        return CBORUnkeyedEncodingContainer(encoder: self, array: array, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        CBORSingleValueEncodingContainer(encoder: self)
    }
}

struct CBORKeyedEncodingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let encoder: CBOREncodingImpl
    let map: CBOREncodingMap
    let codingPath: [any CodingKey]

    private func set(_ value: CBORValue, _ key: Key) { map.set(.textString(key.stringValue), .value(value)) }

    mutating func encodeNil(forKey key: Key) throws { set(.null, key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { set(.textString(value), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { set(.float(value), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { set(.float(Double(value)), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { set(CBORValue(value), key) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { set(CBORValue(value), key) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { set(CBORValue(value), key) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { set(CBORValue(value), key) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { set(CBORValue(value), key) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { set(CBORValue(value), key) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { set(CBORValue(value), key) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { set(CBORValue(value), key) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { set(CBORValue(value), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { set(CBORValue(value), key) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        map.set(.textString(key.stringValue), try CBOREncodingImpl.box(value, codingPath: codingPath + [key], userInfo: encoder.userInfo))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy keyType: NestedKey.Type,
        forKey key: Key
    ) -> KeyedEncodingContainer<NestedKey> {
        let nested = CBOREncodingMap()
        map.set(.textString(key.stringValue), .map(nested))
        return KeyedEncodingContainer(
            CBORKeyedEncodingContainer<NestedKey>(
                encoder: encoder,
                map: nested,
                codingPath: codingPath + [key]
            )
        )
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = CBOREncodingArray()
        map.set(.textString(key.stringValue), .array(nested))
        return CBORUnkeyedEncodingContainer(encoder: encoder, array: nested, codingPath: codingPath + [key])
    }

    mutating func superEncoder() -> any Encoder { superEncoder(key: CBORCodingKey.super) }

    mutating func superEncoder(forKey key: Key) -> any Encoder { superEncoder(key: key) }

    private func superEncoder(key: some CodingKey) -> any Encoder {
        let sub = CBOREncodingImpl(codingPath: codingPath + [key], userInfo: encoder.userInfo)
        map.set(.textString(key.stringValue), .encoder(sub))
        return sub
    }
}

struct CBORUnkeyedEncodingContainer: UnkeyedEncodingContainer {
    let encoder: CBOREncodingImpl
    let array: CBOREncodingArray
    let codingPath: [any CodingKey]

    var count: Int { array.items.count }

    private func append(_ value: CBORValue) { array.items.append(.value(value)) }
    private var nextKey: CBORCodingKey { CBORCodingKey(index: array.items.count) }

    mutating func encodeNil() throws { append(.null) }
    mutating func encode(_ value: Bool) throws { append(.bool(value)) }
    mutating func encode(_ value: String) throws { append(.textString(value)) }
    mutating func encode(_ value: Double) throws { append(.float(value)) }
    mutating func encode(_ value: Float) throws { append(.float(Double(value))) }
    mutating func encode(_ value: Int) throws { append(CBORValue(value)) }
    mutating func encode(_ value: Int8) throws { append(CBORValue(value)) }
    mutating func encode(_ value: Int16) throws { append(CBORValue(value)) }
    mutating func encode(_ value: Int32) throws { append(CBORValue(value)) }
    mutating func encode(_ value: Int64) throws { append(CBORValue(value)) }
    mutating func encode(_ value: UInt) throws { append(CBORValue(value)) }
    mutating func encode(_ value: UInt8) throws { append(CBORValue(value)) }
    mutating func encode(_ value: UInt16) throws { append(CBORValue(value)) }
    mutating func encode(_ value: UInt32) throws { append(CBORValue(value)) }
    mutating func encode(_ value: UInt64) throws { append(CBORValue(value)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        array.items.append(try CBOREncodingImpl.box(value, codingPath: codingPath + [nextKey], userInfo: encoder.userInfo))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let path = codingPath + [nextKey]
        let nested = CBOREncodingMap()
        array.items.append(.map(nested))
        return KeyedEncodingContainer(CBORKeyedEncodingContainer<NestedKey>(encoder: encoder, map: nested, codingPath: path))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let path = codingPath + [nextKey]
        let nested = CBOREncodingArray()
        array.items.append(.array(nested))
        return CBORUnkeyedEncodingContainer(encoder: encoder, array: nested, codingPath: path)
    }

    mutating func superEncoder() -> any Encoder {
        let sub = CBOREncodingImpl(codingPath: codingPath + [nextKey], userInfo: encoder.userInfo)
        array.items.append(.encoder(sub))
        return sub
    }
}

struct CBORSingleValueEncodingContainer: SingleValueEncodingContainer {
    let encoder: CBOREncodingImpl
    var codingPath: [any CodingKey] { encoder.codingPath }

    private func set(_ value: CBORValue) { encoder.storage = .value(value) }

    mutating func encodeNil() throws { set(.null) }
    mutating func encode(_ value: Bool) throws { set(.bool(value)) }
    mutating func encode(_ value: String) throws { set(.textString(value)) }
    mutating func encode(_ value: Double) throws { set(.float(value)) }
    mutating func encode(_ value: Float) throws { set(.float(Double(value))) }
    mutating func encode(_ value: Int) throws { set(CBORValue(value)) }
    mutating func encode(_ value: Int8) throws { set(CBORValue(value)) }
    mutating func encode(_ value: Int16) throws { set(CBORValue(value)) }
    mutating func encode(_ value: Int32) throws { set(CBORValue(value)) }
    mutating func encode(_ value: Int64) throws { set(CBORValue(value)) }
    mutating func encode(_ value: UInt) throws { set(CBORValue(value)) }
    mutating func encode(_ value: UInt8) throws { set(CBORValue(value)) }
    mutating func encode(_ value: UInt16) throws { set(CBORValue(value)) }
    mutating func encode(_ value: UInt32) throws { set(CBORValue(value)) }
    mutating func encode(_ value: UInt64) throws { set(CBORValue(value)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        encoder.storage = try CBOREncodingImpl.box(value, codingPath: codingPath, userInfo: encoder.userInfo)
    }
}
