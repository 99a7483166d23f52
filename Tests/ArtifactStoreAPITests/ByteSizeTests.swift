import ArtifactStoreAPI
import Foundation
import Testing

@Suite("Byte sizes as people write them", .timeLimit(.minutes(5)))
struct ByteSizeTests {
    @Test("binary and decimal units, decimals before a unit, bare bytes")
    func parses() {
        #expect(ByteSize.parse("10GiB") == 10 << 30)
        #expect(ByteSize.parse("10G") == 10 << 30)
        #expect(ByteSize.parse("500MB") == 500_000_000)
        #expect(ByteSize.parse("1.5KiB") == 1536)
        #expect(ByteSize.parse("2 TiB") == 2 << 40)
        #expect(ByteSize.parse("4096") == 4096)
        #expect(ByteSize.parse("0") == 0)
        #expect(ByteSize.parse("7B") == 7)
    }

    @Test("empty, negative, malformed, unknown units and overflow are refused")
    func refuses() {
        for text in ["", "GiB", "-1", "-1GiB", "1.5", "10XB", "1e3", "ten", "1.2.3MiB", "9999999999TiB", "99999999999999999999"] {
            #expect(ByteSize.parse(text) == nil, "\(text)")
        }
    }

    @Test("printed with one decimal in binary units")
    func describes() {
        #expect(ByteSize.describe(UInt64(512)) == "512 B")
        #expect(ByteSize.describe(UInt64(1536)) == "1.5 KiB")
        #expect(ByteSize.describe(Int64(10) << 30) == "10.0 GiB")
        #expect(ByteSize.describe(Int64(-5)) == "0 B")
    }
}
