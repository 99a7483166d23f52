import ArtifactCBOR
import Foundation
import Testing

/// `Codable` through ``CBOREncoder`` and ``CBORDecoder``.
@Suite("Codable", .timeLimit(.minutes(5)))
struct CodableTests {
    enum Kind: String, Codable, Equatable { case blob, manifest }
    enum Priority: Int, Codable, Equatable {
        case low = 1
        case high = 9
    }
    enum Payload: Codable, Equatable {
        case chunk(index: Int, bytes: Data)
        case end
    }

    struct Digest: Codable, Equatable {
        var algorithm: String
        var bytes: [UInt8]
    }

    struct Receipt: Codable, Equatable {
        var id: UUID
        var kind: Kind
        var priority: Priority
        var size: UInt64
        var offset: Int64
        var small: Int8
        var tiny: UInt8
        var ratio: Double
        var weight: Float
        var created: Date
        var modified: Date?
        var note: String?
        var content: Data
        var digests: [Digest]
        var labels: [String: String]
        var counts: [Int: Int]
        var nested: [[Int?]]
        var payloads: [Payload]
        var flag: Bool
    }

    static let receipt = Receipt(
        id: UUID(uuidString: "E621E1F8-C36C-495A-93FC-0C247A3E6E5F")!,
        kind: .manifest,
        priority: .high,
        size: .max,
        offset: .min,
        small: -128,
        tiny: 255,
        ratio: 0.1,
        weight: 1.5,
        created: Date(timeIntervalSince1970: 1_363_896_240),
        modified: Date(timeIntervalSince1970: 1_363_896_240.5),
        note: nil,
        content: Data([0, 1, 2, 255]),
        digests: [Digest(algorithm: "blake3", bytes: Array(repeating: 7, count: 32))],
        labels: ["zeta": "z", "alpha": "a", "é": "e", "1": "one"],
        counts: [10: 1, -1: 2, 100: 3],
        nested: [[1, nil, 3], [], [nil]],
        payloads: [.chunk(index: 0, bytes: Data([9, 9])), .end],
        flag: true
    )

    @Test("a representative struct round-trips")
    func roundTrip() throws {
        let bytes = try CBOREncoder().encode(Self.receipt)
        let decoded = try CBORDecoder().decode(Receipt.self, from: bytes)
        #expect(decoded == Self.receipt)
        // Encoding is deterministic: the same value, the same bytes, whatever the dictionary order.
        #expect(try CBOREncoder().encode(decoded) == bytes)
    }

    @Test("the CBOR shape: field-name keys, nil left out, bytes as bstr, dates as tag 1, Int keys as integers")
    func shape() throws {
        let value = try CBORDecoder().decode(try CBOREncoder().encode(Self.receipt))
        #expect(value["note"] == nil)
        #expect(value["content"] == .byteString([0, 1, 2, 255]))
        #expect(value["created"] == .tagged(1, 1_363_896_240))
        #expect(value["modified"] == .tagged(1, .float(1_363_896_240.5)))
        #expect(value["kind"] == "manifest")
        #expect(value["priority"] == 9)
        #expect(value["size"] == .unsigned(.max))
        #expect(value["counts"] == [10: 1, 100: 3, -1: 2])  // core order: 0a, 1864, 20
        #expect(value["labels"] == (["zeta": "z", "alpha": "a", "é": "e", "1": "one"] as CBORValue).sortedMaps())
        #expect(value["digests"]?[0]?["bytes"] == .byteString(Array(repeating: 7, count: 32)))
        #expect(value["nested"] == [[1, .null, 3], [], [.null]])
    }

    @Test("String-keyed dictionaries keep text keys even when a key looks like an integer")
    func numericStringKeys() throws {
        let value: [String: Int] = ["1": 1, "-2": 2, "01": 3]
        let bytes = try CBOREncoder().encode(value)
        #expect(try CBORDecoder().decode(bytes) == (["1": 1, "-2": 2, "01": 3] as CBORValue).sortedMaps())
        #expect(try CBORDecoder().decode([String: Int].self, from: bytes) == value)
        let ints: [Int: String] = [1: "a", -2: "b", Int.min: "c"]
        let intBytes = try CBOREncoder().encode(ints)
        #expect(try CBORDecoder().decode(intBytes) == ([1: "a", -2: "b", .negative(UInt64(Int64.max)): "c"] as CBORValue).sortedMaps())
        #expect(try CBORDecoder().decode([Int: String].self, from: intBytes) == ints)
        // Text keys that spell integers are accepted for Int-keyed dictionaries.
        let mixed = try CBOREncoder().encode(["5": 1, 6: 2] as CBORValue)
        #expect(try CBORDecoder().decode([Int: Int].self, from: mixed) == [5: 1, 6: 2])
    }

    @Test("top-level values of every kind round-trip")
    func topLevel() throws {
        try roundTrip(42)
        try roundTrip(-42)
        try roundTrip(Int64.min)
        try roundTrip(UInt64.max)
        try roundTrip("text ☃")
        try roundTrip(true)
        try roundTrip(Double.pi)
        try roundTrip(Float(0.1))
        try roundTrip([1, 2, 3])
        try roundTrip(["b": 1, "a": 2])
        try roundTrip([UInt8]([1, 2, 3]))
        try roundTrip(Data())
        try roundTrip(Optional<Int>.none)
        try roundTrip(Optional<Int>.some(3))
        try roundTrip(Date(timeIntervalSince1970: -1.25))
        #expect(try CBOREncoder().encode([UInt8]([1, 2, 3])) == [0x43, 1, 2, 3])
        #expect(try CBOREncoder().encode(Data([1])) == [0x41, 1])
        #expect(try CBOREncoder().encode(Optional<Int>.none) == [0xF6])
    }

    func roundTrip<T: Codable & Equatable>(_ value: T) throws {
        let bytes = try CBOREncoder().encode(value)
        #expect(try CBORDecoder().decode(T.self, from: bytes) == value, "\(value)")
    }

    @Test("Data and [UInt8] accept arrays of bytes too; Date accepts a bare number")
    func tolerantDecoding() throws {
        #expect(try CBORDecoder().decode(Data.self, from: [0x82, 0x01, 0x18, 0xFF]) == Data([1, 255]))
        #expect(try CBORDecoder().decode([UInt8].self, from: [0x42, 0x01, 0x02]) == [1, 2])
        #expect(try CBORDecoder().decode(Date.self, from: [0x18, 0x64]) == Date(timeIntervalSince1970: 100))
        #expect(try CBORDecoder().decode(Date.self, from: [0xC1, 0xF9, 0x3E, 0x00]) == Date(timeIntervalSince1970: 1.5))
        // Unknown tags are looked through.
        #expect(
            try CBORDecoder().decode(String.self, from: TestSupport.bytes(hex: "d82076687474703a2f2f7777772e6578616d706c652e636f6d"))
                == "http://www.example.com"
        )
        // undefined is nil too.
        #expect(try CBORDecoder().decode(Int?.self, from: [0xF7]) == nil)
        // A null field and a missing field are both nil.
        struct Maybe: Codable, Equatable { var a: Int? }
        #expect(try CBORDecoder().decode(Maybe.self, from: [0xA1, 0x61, 0x61, 0xF6]) == Maybe(a: nil))
        #expect(try CBORDecoder().decode(Maybe.self, from: [0xA0]) == Maybe(a: nil))
    }

    struct Inner: Codable { var count: UInt8 }
    struct Outer: Codable { var items: [Inner] }

    func error(_ body: () throws -> Void) -> CBORError? {
        do {
            try body()
            return nil
        } catch let error as CBORError {
            return error
        } catch {
            Issue.record("not a CBORError: \(error)")
            return nil
        }
    }

    @Test("decoding 300 into UInt8 is a typeMismatch naming the coding path")
    func rangeCheck() throws {
        let bytes = try CBOREncoder().encode(["items": [["count": 1], ["count": 2], ["count": 300]]] as CBORValue)
        let failure = try #require(error { _ = try CBORDecoder().decode(Outer.self, from: bytes) })
        #expect(failure.kind == .typeMismatch)
        #expect(failure.code == "typeMismatch")
        #expect(failure.message.contains("items[2].count"), "\(failure.message)")
        #expect(failure.message.contains("300"))
        #expect(CBORError.describe(failure.codingPath) == "items[2].count")
    }

    @Test("every integer width is range-checked")
    func widths() throws {
        #expect(try CBORDecoder().decode(Int8.self, from: [0x38, 0x7F]) == -128)
        #expect(error { _ = try CBORDecoder().decode(Int8.self, from: [0x38, 0x80]) }?.kind == .typeMismatch)
        #expect(error { _ = try CBORDecoder().decode(UInt.self, from: [0x20]) }?.kind == .typeMismatch)
        #expect(
            error { _ = try CBORDecoder().decode(Int64.self, from: TestSupport.bytes(hex: "1b8000000000000000")) }?.kind == .typeMismatch
        )
        #expect(
            error { _ = try CBORDecoder().decode(Int64.self, from: TestSupport.bytes(hex: "3bffffffffffffffff")) }?.kind == .typeMismatch
        )
        #expect(try CBORDecoder().decode(Int64.self, from: TestSupport.bytes(hex: "3b7fffffffffffffff")) == .min)
        #expect(error { _ = try CBORDecoder().decode(Int.self, from: [0xF9, 0x3C, 0x00]) }?.kind == .typeMismatch)
        #expect(
            error { _ = try CBORDecoder().decode(Float.self, from: TestSupport.bytes(hex: "fb7e37e43c8800759c")) }?.kind == .typeMismatch
        )
        #expect(try CBORDecoder().decode(Double.self, from: [0x18, 0x64]) == 100)
    }

    @Test("missing keys, wrong types and bad enum raw values name the path")
    func errors() throws {
        let missing = try #require(
            error { _ = try CBORDecoder().decode(Digest.self, from: try CBOREncoder().encode(["algorithm": "x"] as CBORValue)) }
        )
        #expect(missing.kind == .keyNotFound)
        #expect(missing.message.contains("bytes"))

        let wrongType = try #require(
            error {
                _ = try CBORDecoder().decode(
                    Digest.self,
                    from: try CBOREncoder().encode(["algorithm": 1, "bytes": .byteString([])] as CBORValue)
                )
            }
        )
        #expect(wrongType.kind == .typeMismatch)
        #expect(wrongType.message.contains("algorithm"))

        struct HasKind: Codable { var kinds: [Kind] }
        let badRaw = try #require(
            error { _ = try CBORDecoder().decode(HasKind.self, from: try CBOREncoder().encode(["kinds": ["blob", "nope"]] as CBORValue)) }
        )
        #expect(badRaw.kind == .dataCorrupted)
        #expect(badRaw.message.contains("kinds[1]"), "\(badRaw.message)")

        let nullValue = try #require(error { _ = try CBORDecoder().decode(Inner.self, from: [0xA1, 0x65] + Array("count".utf8) + [0xF6]) })
        #expect(nullValue.kind == .valueNotFound)

        let shortArray = try #require(error { _ = try CBORDecoder().decode([Int].self, from: [0x82, 0x01, 0x61, 0x61]) })
        #expect(shortArray.kind == .typeMismatch)
        #expect(shortArray.message.contains("[1]"))

        // Malformed bytes surface the low-level error.
        #expect(error { _ = try CBORDecoder().decode(Inner.self, from: [0xA1]) }?.kind == .truncated)
        // Strict by default: duplicate keys are refused before any field is read.
        #expect(
            error {
                _ = try CBORDecoder().decode(
                    Inner.self,
                    from: [0xA2, 0x65] + Array("count".utf8) + [0x01, 0x65] + Array("count".utf8) + [0x02]
                )
            }?.kind == .duplicateMapKey
        )
    }

    class Base: Codable {
        var name: String
        init(name: String) { self.name = name }
    }

    final class Derived: Base {
        var extra: Int
        init(name: String, extra: Int) {
            self.extra = extra
            super.init(name: name)
        }
        enum CodingKeys: String, CodingKey { case extra }
        required init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            extra = try container.decode(Int.self, forKey: .extra)
            try super.init(from: container.superDecoder())
        }
        override func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(extra, forKey: .extra)
            try super.encode(to: container.superEncoder())
        }
    }

    @Test("superEncoder and superDecoder nest the superclass under \"super\"")
    func superclass() throws {
        let bytes = try CBOREncoder().encode(Derived(name: "n", extra: 5))
        #expect(try CBORDecoder().decode(bytes) == ["extra": 5, "super": ["name": "n"]])
        let decoded = try CBORDecoder().decode(Derived.self, from: bytes)
        #expect(decoded.name == "n")
        #expect(decoded.extra == 5)
    }

    struct Manual: Codable, Equatable {
        var a: Int
        var b: [String]
        var c: [String: Int]
        init(a: Int, b: [String], c: [String: Int]) {
            self.a = a
            self.b = b
            self.c = c
        }
        enum Keys: String, CodingKey { case a, inner }
        enum InnerKeys: String, CodingKey { case b, c }
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Keys.self)
            a = try container.decode(Int.self, forKey: .a)
            var unkeyed = try container.nestedUnkeyedContainer(forKey: .inner)
            let inner = try unkeyed.nestedContainer(keyedBy: InnerKeys.self)
            b = try inner.decode([String].self, forKey: .b)
            c = try inner.decode([String: Int].self, forKey: .c)
            #expect(unkeyed.isAtEnd)
        }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            try container.encode(a, forKey: .a)
            var unkeyed = container.nestedUnkeyedContainer(forKey: .inner)
            var inner = unkeyed.nestedContainer(keyedBy: InnerKeys.self)
            try inner.encode(b, forKey: .b)
            try inner.encode(c, forKey: .c)
        }
    }

    @Test("nested containers round-trip")
    func nested() throws {
        let value = Manual(a: 1, b: ["x"], c: ["k": 2])
        let bytes = try CBOREncoder().encode(value)
        #expect(try CBORDecoder().decode(bytes) == ["a": 1, "inner": [["b": ["x"], "c": ["k": 2]]]])
        #expect(try CBORDecoder().decode(Manual.self, from: bytes) == value)
    }
}

extension CBORValue {
    subscript(index: Int) -> CBORValue? {
        guard case .array(let items) = self, items.indices.contains(index) else { return nil }
        return items[index]
    }
}
