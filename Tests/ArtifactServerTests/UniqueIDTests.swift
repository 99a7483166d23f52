import Testing

@testable import ArtifactServer
@testable import ArtifactStoreCore

@Suite("Unique ids (request ids)", .timeLimit(.minutes(10)))
struct UniqueIDTests {
    @Test func idsAreUUIDShapedValidAndDistinct() {
        var seen = Set<String>()
        for _ in 0..<20_000 {
            let id = UniqueID.next()
            #expect(id.utf8.count == 36)
            #expect(RequestIDMiddleware.isValid(id))
            let groups = id.split(separator: "-").map(\.count)
            #expect(groups == [8, 4, 4, 4, 12])
            #expect(id.allSatisfy { $0 == "-" || $0.isHexDigit && !$0.isUppercase })
            #expect(Array(id)[14] == "4", "version 4 layout")
            #expect("89ab".contains(Array(id)[19]), "RFC 4122 variant")
            seen.insert(id)
        }
        #expect(seen.count == 20_000)
    }

    @Test func formatPlacesEveryNibble() {
        #expect(
            UniqueID.format(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210) == "01234567-89ab-4def-bedc-ba9876543210"
        )
        #expect(UniqueID.format(high: 0, low: 0) == "00000000-0000-4000-8000-000000000000")
    }
}
