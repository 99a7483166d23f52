import ArtifactCBOR
import Foundation
import Testing

/// RFC 8949 Appendix F.1 from `rfc8949_not_well_formed.json`, plus "too much data".
@Suite("RFC 8949 Appendix F not-well-formed inputs", .timeLimit(.minutes(5)))
struct NotWellFormedTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let hex: String
        let tooLittleData: Bool
        let group: String
        var testDescription: String { "\(hex) (\(group))" }
    }

    static let cases: [Case] = {
        guard let groups = (try? TestSupport.loadJSON("rfc8949_not_well_formed.json"))?["groups"]?.array else { return [] }
        return groups.flatMap { group in
            group["hex"]!.array!.map {
                Case(
                    hex: $0.string!,
                    tooLittleData: group["error_kind"]!.string! == "too little data",
                    group: group["description"]!.string!
                )
            }
        }
    }()

    @Test("the file has 94 cases")
    func count() throws {
        // Loaded again with `try`, so a missing or unreadable file fails here with its cause.
        _ = try TestSupport.loadJSON("rfc8949_not_well_formed.json")
        #expect(Self.cases.count == 94)
    }

    @Test("every case is rejected with the matching error kind", arguments: cases)
    func rejected(testCase: Case) {
        let bytes = TestSupport.bytes(hex: testCase.hex)
        for duplicates in [CBORDecoder.DuplicateKeyPolicy.reject, .keepAll] {
            do {
                let value = try CBORDecoder(duplicateKeys: duplicates).decode(bytes)
                Issue.record("\(testCase.hex) decoded to \(value)")
            } catch {
                #expect(error.kind == (testCase.tooLittleData ? .truncated : .malformed), "\(error)")
                #expect(error.offset != nil)
                #expect(error.message.contains("byte offset"))
            }
        }
    }

    @Test("a byte after a well-formed item is trailingBytes")
    func tooMuchData() throws {
        let vectors = try #require(TestSupport.loadJSON("appendix_a.json").array)
        for entry in vectors {
            let hex = entry["hex"]!.string!
            if hex == "f818" { continue }
            let bytes = TestSupport.bytes(hex: hex)
            for extra: UInt8 in [0x00, 0xFF, 0x18] {
                #expect(throws: CBORError.self) { try CBORDecoder().decode(bytes + [extra]) }
                do {
                    _ = try CBORDecoder().decode(bytes + [extra])
                } catch {
                    #expect(error.kind == .trailingBytes, "\(hex)+\(extra): \(error)")
                    #expect(error.offset == bytes.count)
                }
            }
            // decodePrefix reads the item and says where it ended.
            let (value, count) = try CBORDecoder().decodePrefix(bytes + [0x01])
            #expect(count == bytes.count)
            #expect(value == (try CBORDecoder().decode(bytes)))
        }
    }

    @Test("empty input is truncated")
    func empty() {
        #expect(throws: CBORError(.truncated, at: 0, "input ends where a data item or break code was expected")) {
            try CBORDecoder().decode([UInt8]())
        }
    }

    @Test("invalid UTF-8 in text strings is refused", arguments: ["62c328", "61ff", "7f61c3ff", "63eda080"])
    func invalidUTF8(hex: String) {
        do {
            _ = try CBORDecoder().decode(TestSupport.bytes(hex: hex))
            Issue.record("\(hex) decoded")
        } catch {
            #expect(error.kind == .invalidUTF8)
        }
    }

    @Test("validity errors (duplicate keys, bad UTF-8) give way to well-formedness errors found later")
    func validityAfterWellFormedness() {
        for (hex, kind) in [
            ("9fa2010001", CBORError.Kind.truncated), ("82a201000100ff", .malformed),
            ("8261ff", .truncated), ("8261ff00", .invalidUTF8), ("8261ff0000", .trailingBytes),
            ("82a2010001006180", .duplicateMapKey),
        ] {
            do {
                _ = try CBORDecoder().decode(TestSupport.bytes(hex: hex))
                Issue.record("\(hex) decoded")
            } catch {
                #expect(error.kind == kind, "\(hex): \(error)")
            }
        }
    }

    @Test("duplicate map keys are refused by default and kept when asked")
    func duplicateKeys() throws {
        let bytes = TestSupport.bytes(hex: "a2616101616102")  // {"a": 1, "a": 2}
        do {
            _ = try CBORDecoder().decode(bytes)
            Issue.record("duplicate keys accepted")
        } catch {
            #expect(error.kind == .duplicateMapKey)
            #expect(error.offset == 4)
        }
        let value = try CBORDecoder(duplicateKeys: .keepAll).decode(bytes)
        #expect(value == .map([CBORValue.MapEntry("a", 1), CBORValue.MapEntry("a", 2)]))
        // 1.0 as half and as double are the same key; 1 and 1.0 are not.
        #expect(throws: CBORError.self) { try CBORDecoder().decode(TestSupport.bytes(hex: "a2f93c0000fb3ff000000000000001")) }
        #expect(try CBORDecoder().decode(TestSupport.bytes(hex: "a2f93c00000101")) != .null)
        // A bignum and the integer it stands for are the same key (they encode alike).
        #expect(throws: CBORError.self) { try CBORDecoder().decode(TestSupport.bytes(hex: "a2c2400100f6")) }
        #expect(throws: CBORError.self) { try CBORDecoder().decode(TestSupport.bytes(hex: "a2c3420001f62101")) }
    }
}
