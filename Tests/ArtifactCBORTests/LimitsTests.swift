import ArtifactCBOR
import Foundation
import Testing

/// Hostile inputs against ``CBORLimits``.
@Suite("Decoder limits", .timeLimit(.minutes(5)))
struct LimitsTests {
    func kind(_ bytes: [UInt8], _ decoder: CBORDecoder = CBORDecoder()) -> CBORError.Kind? {
        do {
            _ = try decoder.decode(bytes)
            return nil
        } catch {
            return error.kind
        }
    }

    @Test("10,000 nested arrays fail with depthLimitExceeded, not a stack overflow")
    func deepArrays() {
        #expect(kind([UInt8](repeating: 0x81, count: 10_000) + [0x00]) == .depthLimitExceeded)
        #expect(kind([UInt8](repeating: 0x9F, count: 10_000)) == .depthLimitExceeded)
        #expect(kind([UInt8](repeating: 0xA1, count: 10_000)) == .depthLimitExceeded)
        // Tags nest too.
        #expect(kind([UInt8](repeating: 0xC6, count: 10_000) + [0x00]) == .depthLimitExceeded)
        // Exactly at the limit is fine; one more is not.
        #expect(kind([UInt8](repeating: 0x81, count: 63) + [0x00]) == nil)
        #expect(kind([UInt8](repeating: 0x81, count: 64) + [0x00]) == .depthLimitExceeded)
        let shallow = CBORDecoder(limits: CBORLimits(maximumDepth: 2, maximumItemCount: 100, maximumLength: 100))
        #expect(kind([0x81, 0x00], shallow) == nil)
        #expect(kind([0x81, 0x81, 0x00], shallow) == .depthLimitExceeded)
        // A configured depth beyond what recursion supports is lowered.
        let huge = CBORLimits(maximumDepth: 1_000_000, maximumItemCount: 1_000_000, maximumLength: 100)
        #expect(huge.maximumDepth == CBORLimits.supportedMaximumDepth)
        #expect(kind([UInt8](repeating: 0x81, count: 100_000) + [0x00], CBORDecoder(limits: huge)) == .depthLimitExceeded)
    }

    @Test("the encoder refuses values nested deeper than its limit")
    func deepEncode() {
        var value: CBORValue = 0
        for _ in 0..<100 { value = [value] }
        #expect(throws: CBORError.self) { try CBOREncoder().encode(value) }
    }

    @Test("a head claiming a 2^63-byte string fails fast as truncated, allocating nothing")
    func hugeLengths() {
        // Had the decoder reserved the claimed length first, these would trap, not return.
        #expect(kind([0x5B, 0x80, 0, 0, 0, 0, 0, 0, 0, 0x41]) == .truncated)
        #expect(kind([0x7B, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]) == .truncated)
        #expect(kind([0x9B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00]) == .truncated)
        #expect(kind([0xBB, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00]) == .truncated)
        // A chunk of an indefinite string claiming 2^64-1 bytes.
        #expect(kind([0x5F, 0x5B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]) == .truncated)
    }

    @Test("strings, arrays and maps longer than maximumLength are refused")
    func lengths() {
        let small = CBORDecoder(limits: CBORLimits(maximumDepth: 8, maximumItemCount: 1000, maximumLength: 4))
        #expect(kind([0x44, 1, 2, 3, 4], small) == nil)
        #expect(kind([0x45, 1, 2, 3, 4, 5], small) == .lengthLimitExceeded)
        #expect(kind([0x65] + Array("abcde".utf8), small) == .lengthLimitExceeded)
        #expect(kind([0x85, 1, 2, 3, 4, 5], small) == .lengthLimitExceeded)
        #expect(kind([0xA5, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5], small) == .lengthLimitExceeded)
        // Indefinite forms count all chunks and all elements.
        #expect(kind([0x5F, 0x43, 1, 2, 3, 0x42, 4, 5, 0xFF], small) == .lengthLimitExceeded)
        #expect(kind([0x7F, 0x62, 0x61, 0x62, 0x63, 0x63, 0x64, 0x65, 0xFF], small) == .lengthLimitExceeded)
        #expect(kind([0x9F, 1, 2, 3, 4, 5, 0xFF], small) == .lengthLimitExceeded)
        #expect(kind([0xBF, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 0xFF], small) == .lengthLimitExceeded)
        #expect(kind([0x9F, 1, 2, 3, 4, 0xFF], small) == nil)
    }

    @Test("more items than maximumItemCount are refused")
    func itemCount() {
        let limited = CBORDecoder(limits: CBORLimits(maximumDepth: 8, maximumItemCount: 10, maximumLength: 1000))
        #expect(kind([0x89] + [UInt8](repeating: 0, count: 9), limited) == nil)
        #expect(kind([0x8A] + [UInt8](repeating: 0, count: 10), limited) == .itemCountLimitExceeded)
        #expect(kind([0x9F] + [UInt8](repeating: 0, count: 10) + [0xFF], limited) == .itemCountLimitExceeded)
        // A million one-byte items in nested arrays, against the default limit.
        let million = [0x9F] + [UInt8](repeating: 0x00, count: 1_000_001) + [0xFF]
        let big = CBORDecoder(limits: CBORLimits(maximumDepth: 8, maximumItemCount: 1_000_000, maximumLength: 10_000_000))
        #expect(kind(million, big) == .itemCountLimitExceeded)
    }
}
