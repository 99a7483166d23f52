import ArtifactCBOR
import Foundation
import Testing

/// RFC 8949 §4.2 from `rfc8949_deterministic.json`, and the encoder's other promises.
@Suite("Deterministic encoding (RFC 8949 §4.2.1)", .timeLimit(.minutes(5)))
struct DeterministicEncodingTests {
    static func keys(_ section: String) throws -> [[UInt8]] {
        let file = try TestSupport.loadJSON("rfc8949_deterministic.json")
        return try #require(file[section]?["keys"]?.array).map { TestSupport.bytes(hex: $0["hex"]!.string!) }
    }

    @Test("a map of the RFC's keys, in any order, encodes in core order to the derived example")
    func coreOrder() throws {
        let file = try TestSupport.loadJSON("rfc8949_deterministic.json")
        let expected = try #require(file["derived_examples"]?["map_with_sorted_keys"]?["hex"]?.string)
        let coreKeys = try Self.keys("core_deterministic_map_key_order").map { try CBORDecoder().decode($0) }
        var rng = SplitMix64(seed: 8949)
        var orders: [[CBORValue]] = [
            coreKeys, coreKeys.reversed(), try Self.keys("length_first_map_key_order").map { try CBORDecoder().decode($0) },
        ]
        for _ in 0..<50 { orders.append(coreKeys.shuffled(using: &rng)) }
        for keys in orders {
            let map = CBORValue.map(keys.map { CBORValue.MapEntry($0, 0) })
            let encoded = try CBOREncoder().encode(map)
            #expect(TestSupport.hex(encoded) == expected)
        }
        // Each key's own encoding is the one the RFC lists.
        for (key, bytes) in zip(coreKeys, try Self.keys("core_deterministic_map_key_order")) {
            #expect(try CBOREncoder().encode(key) == bytes)
        }
    }

    @Test("the length-first (RFC 7049 canonical) order is not what we produce")
    func notLengthFirst() throws {
        let lengthFirst = try Self.keys("length_first_map_key_order")
        let lengthFirstMap: [UInt8] = [0xA8] + lengthFirst.flatMap { $0 + [UInt8(0)] }
        let value = try CBORDecoder().decode(lengthFirstMap)
        let encoded = try CBOREncoder().encode(value)
        #expect(encoded != lengthFirstMap)
        #expect(encoded.count == lengthFirstMap.count)
    }

    @Test("preferred float examples")
    func preferredFloats() throws {
        let file = try TestSupport.loadJSON("rfc8949_deterministic.json")
        let values = try #require(file["preferred_float_examples"]?["values"]?.array)
        #expect(values.count == 2)
        for entry in values {
            let value = try #require(Double(entry["value"]!.string!))
            #expect(TestSupport.hex(try CBOREncoder().encode(.float(value))) == entry["hex"]!.string!)
        }
    }

    @Test(
        "floats take the shortest width that keeps the value",
        arguments: [
            (0.0, "f90000"), (-0.0, "f98000"), (1.0, "f93c00"), (65504.0, "f97bff"), (65505.0, "fa477fe100"),
            (0x1p-24, "f90001"), (0x1p-25, "fa33000000"), (0x1p-14, "f90400"), (100000.0, "fa47c35000"),
            (1.1, "fb3ff199999999999a"), (Double.infinity, "f97c00"), (-Double.infinity, "f9fc00"),
            (Double.nan, "f97e00"), (-Double.nan, "f97e00"), (Double(Float.greatestFiniteMagnitude), "fa7f7fffff"),
            (Double(Float.leastNonzeroMagnitude), "fa00000001"), (Double.leastNonzeroMagnitude, "fb0000000000000001"),
            (1.0009765625, "f93c01"), (1.00048828125, "fa3f801000"),
        ] as [(Double, String)]
    )
    func floatWidths(value: Double, hex: String) throws {
        #expect(TestSupport.hex(try CBOREncoder().encode(.float(value))) == hex)
    }

    @Test("every binary16 pattern decodes and re-encodes to itself (NaNs to f97e00)")
    func allHalfFloats() throws {
        for bits in 0...UInt16.max {
            let bytes: [UInt8] = [0xF9, UInt8(bits >> 8), UInt8(bits & 0xFF)]
            let value = try CBORDecoder().decode(bytes)
            let encoded = try CBOREncoder().encode(value)
            let isNaN = bits & 0x7C00 == 0x7C00 && bits & 0x03FF != 0
            #expect(encoded == (isNaN ? [0xF9, 0x7E, 0x00] : bytes), "\(bits)")
        }
    }

    @Test(
        "integers use the shortest head",
        arguments: [
            (CBORValue.unsigned(23), "17"), (.unsigned(24), "1818"), (.unsigned(255), "18ff"), (.unsigned(256), "190100"),
            (.unsigned(65535), "19ffff"), (.unsigned(65536), "1a00010000"), (.unsigned(UInt64(UInt32.max)), "1affffffff"),
            (.unsigned(UInt64(UInt32.max) + 1), "1b0000000100000000"), (.unsigned(.max), "1bffffffffffffffff"),
            (.negative(.max), "3bffffffffffffffff"), (CBORValue(Int64.min), "3b7fffffffffffffff"), (CBORValue(-24), "37"),
            (CBORValue(-25), "3818"),
        ] as [(CBORValue, String)]
    )
    func integers(value: CBORValue, hex: String) throws {
        #expect(TestSupport.hex(try CBOREncoder().encode(value)) == hex)
        #expect(try CBORDecoder().decode(TestSupport.bytes(hex: hex)) == value)
    }

    @Test("non-shortest integer heads decode and re-encode shortest")
    func longHeads() throws {
        #expect(try CBOREncoder().encode(try CBORDecoder().decode(TestSupport.bytes(hex: "1b0000000000000001"))) == [0x01])
        #expect(try CBOREncoder().encode(try CBORDecoder().decode(TestSupport.bytes(hex: "5900024142"))) == [0x42, 0x41, 0x42])
    }

    @Test(
        "bignums get their preferred serialization",
        arguments: [
            ("c240", "00"), ("c34100", "20"), ("c2420100", "190100"), ("c2480102030405060708", "1b0102030405060708"),
            ("c348ffffffffffffffff", "3bffffffffffffffff"), ("c249010000000000000000", "c249010000000000000000"),
            ("c24b0000010000000000000000", "c249010000000000000000"), ("c34a00010000000000000000", "c349010000000000000000"),
            ("c2a0", "c2a0"), ("c3820102", "c3820102"),
        ]
    )
    func bignums(input: String, output: String) throws {
        let value = try CBORDecoder().decode(TestSupport.bytes(hex: input))
        #expect(TestSupport.hex(try CBOREncoder().encode(value)) == output)
        #expect(try CBORDecoder().decode(try CBOREncoder().encode(value)) == value.sortedMaps())
    }

    @Test("bignums equal the integers they stand for, in == and in hashing")
    func bignumEquality() {
        let pairs: [(CBORValue, CBORValue)] = [
            (.tagged(2, .byteString([])), 0), (.tagged(2, .byteString([0, 1])), 1), (.tagged(3, .byteString([0x01, 0x00])), -257),
            (
                .tagged(2, .byteString([0] + [1] + [UInt8](repeating: 0, count: 8))),
                .tagged(2, .byteString([1] + [UInt8](repeating: 0, count: 8)))
            ),
        ]
        for (a, b) in pairs {
            #expect(a == b)
            #expect(b == a)
            #expect(a.hashValue == b.hashValue)
            #expect(Set([a, b]).count == 1)
        }
        #expect(CBORValue.tagged(2, .byteString([1])) != CBORValue.tagged(3, .byteString([1])))
        #expect(CBORValue.tagged(4, .byteString([1])) != 1)
    }

    @Test("duplicate keys are refused at encode time")
    func duplicateKeys() {
        let maps: [CBORValue] = [
            ["a": 1, "a": 2],
            [1: "x", 1: "y"],
            [.float(1.0): 0, .float(1.0): 1],
            [.float(.nan): 0, .float(-.nan): 1],
        ]
        for map in maps {
            do {
                _ = try CBOREncoder().encode(map)
                Issue.record("\(map) encoded")
            } catch {
                #expect(error.kind == .duplicateMapKey)
            }
        }
        // 1 and 1.0 are different keys; so are 0.0 and -0.0.
        #expect(throws: Never.self) { try CBOREncoder().encode([1: 0, .float(1.0): 1, .float(0.0): 2, .float(-0.0): 3]) }
    }

    @Test("simple values 20–31 cannot be encoded as simple(n)")
    func reservedSimple() {
        for n: UInt8 in 20...31 {
            #expect(throws: CBORError.self) { try CBOREncoder().encode(.simple(n)) }
        }
        #expect(try! CBOREncoder().encode(.simple(19)) == [0xF3])
        #expect(try! CBOREncoder().encode(.simple(32)) == [0xF8, 0x20])
    }

    @Test("text strings compare by bytes: composed and decomposed é are different values and keys")
    func textByBytes() throws {
        let composed = CBORValue.textString("\u{E9}")
        let decomposed = CBORValue.textString("e\u{301}")
        #expect(composed != decomposed)
        #expect(Set([composed, decomposed]).count == 2)
        let map: CBORValue = [composed: 1, decomposed: 2]
        let bytes = try CBOREncoder().encode(map)
        #expect(try CBORDecoder().decode(bytes) == [composed: 1, decomposed: 2])
    }

    @Test("ByteBuffer in and out")
    func byteBuffer() throws {
        var buffer = ByteBufferHelper.make()
        try CBOREncoder().encode(["k": .byteString([1, 2, 3])], into: &buffer)
        #expect(try CBORDecoder().decode(buffer) == ["k": .byteString([1, 2, 3])])
    }
}
