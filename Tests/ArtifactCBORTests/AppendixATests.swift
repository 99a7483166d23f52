import ArtifactCBOR
import Foundation
import Testing

/// RFC 8949 Appendix A (the examples table) from `appendix_a.json`.
@Suite("RFC 8949 Appendix A vectors", .timeLimit(.minutes(5)))
struct AppendixATests {
    struct Vector: CustomTestStringConvertible, Sendable {
        let hex: String
        let roundtrip: Bool
        /// From `decoded` (converted to a CBORValue), if the entry has one.
        let decoded: CBORValue?
        let diagnostic: String?
        var testDescription: String { hex }
    }

    static let vectors: [Vector] = {
        guard let array = try? TestSupport.loadJSON("appendix_a.json").array else { return [] }
        return array.map { entry in
            Vector(
                hex: entry["hex"]!.string!,
                roundtrip: entry["roundtrip"]!.bool!,
                decoded: try? entry["decoded"]?.cborValue(),
                diagnostic: entry["diagnostic"]?.string
            )
        }
    }()

    /// Diagnostic notation our printer cannot reproduce (indefinite lengths are not kept).
    static let indefiniteDiagnostics: [String: CBORValue] = [
        "(_ h'0102', h'030405')": .byteString([1, 2, 3, 4, 5])
    ]

    @Test("the file has the 82 entries the README describes")
    func count() throws {
        // Loaded again with `try`, so a missing or unreadable file fails here with its cause.
        _ = try TestSupport.loadJSON("appendix_a.json")
        #expect(Self.vectors.count == 82)
        #expect(Self.vectors.filter { !$0.roundtrip }.count == 17)
    }

    @Test("every entry but f818 decodes to its decoded/diagnostic value", arguments: vectors.filter { $0.hex != "f818" })
    func decodes(vector: Vector) throws {
        let value = try CBORDecoder().decode(TestSupport.bytes(hex: vector.hex))
        if let expected = vector.decoded {
            #expect(value == expected)
            // The value model keeps int and float apart; the JSON text cannot always.
            if case .float = expected { #expect(["f9", "fa", "fb"].contains(String(vector.hex.prefix(2)))) }
        } else {
            let diagnostic = try #require(vector.diagnostic)
            if let expected = Self.indefiniteDiagnostics[diagnostic] {
                #expect(value == expected)
            } else {
                #expect(value.description == diagnostic)
            }
        }
    }

    @Test("f818 (simple(24) in the two-byte form) is rejected as malformed, as RFC 8949 requires")
    func f818Rejected() {
        #expect(Self.vectors.contains { $0.hex == "f818" })
        #expect(throws: CBORError.self) { try CBORDecoder().decode([0xF8, 0x18]) }
        do {
            _ = try CBORDecoder().decode([0xF8, 0x18])
        } catch {
            #expect(error.kind == .malformed)
            #expect(error.offset == 0)
        }
    }

    @Test(
        "roundtrip: true entries re-encode to exactly their bytes",
        arguments: vectors.filter { $0.roundtrip && $0.hex != "f818" }
    )
    func roundTrips(vector: Vector) throws {
        let bytes = TestSupport.bytes(hex: vector.hex)
        let value = try CBORDecoder().decode(bytes)
        #expect(TestSupport.hex(try CBOREncoder().encode(value)) == vector.hex)
        // And from the independent expectation in the file, where there is one.
        if let expected = vector.decoded {
            #expect(TestSupport.hex(try CBOREncoder().encode(expected)) == vector.hex)
        }
    }

    @Test("roundtrip: false entries re-encode to the deterministic form", arguments: vectors.filter { !$0.roundtrip })
    func deterministicForm(vector: Vector) throws {
        let value = try CBORDecoder().decode(TestSupport.bytes(hex: vector.hex))
        let encoded = try CBOREncoder().encode(value)
        #expect(TestSupport.hex(encoded) != vector.hex)
        // Same value, and the encoding is a fixed point (definite, shortest, sorted).
        #expect(try CBORDecoder().decode(encoded) == value.sortedMaps())
        #expect(try CBOREncoder().encode(try CBORDecoder().decode(encoded)) == encoded)
        // No indefinite-length heads anywhere (0x5f, 0x7f, 0x9f, 0xbf) in these small items.
        #expect(!encoded.contains { [0x5F, 0x7F, 0x9F, 0xBF].contains($0) })
        if let expected = vector.decoded {
            #expect(try CBOREncoder().encode(expected) == encoded)
        }
    }

    @Test("the deterministic forms of the non-shortest and indefinite examples are the expected bytes")
    func specificDeterministicForms() throws {
        let expectations: [String: String] = [
            "fa7f800000": "f97c00", "fa7fc00000": "f97e00", "faff800000": "f9fc00",
            "fb7ff0000000000000": "f97c00", "fb7ff8000000000000": "f97e00", "fbfff0000000000000": "f9fc00",
            "5f42010243030405ff": "450102030405",
            "7f657374726561646d696e67ff": "6973747265616d696e67",
            "9fff": "80",
            "9f018202039f0405ffff": "8301820203820405",
            "bf61610161629f0203ffff": "a26161016162820203",
            "826161bf61626163ff": "826161a161626163",
            "bf6346756ef563416d7421ff": "a263416d74216346756ef5",
        ]
        for (input, output) in expectations {
            let value = try CBORDecoder().decode(TestSupport.bytes(hex: input))
            #expect(TestSupport.hex(try CBOREncoder().encode(value)) == output, "\(input)")
        }
    }
}
