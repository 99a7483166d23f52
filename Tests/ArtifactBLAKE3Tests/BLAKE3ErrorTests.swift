import ArtifactBLAKE3
import Testing

@Suite("BLAKE3 bad input", .timeLimit(.minutes(5)))
struct BLAKE3ErrorTests {
    @Test("keys that are not 32 bytes are rejected with invalidKeyLength", arguments: [0, 1, 16, 31, 33, 64])
    func wrongKeyLength(length: Int) {
        let key = [UInt8](repeating: 7, count: length)
        #expect(throws: BLAKE3Error.invalidKeyLength(length)) { try BLAKE3Hasher(key: key) }
        do {
            _ = try BLAKE3.keyedHash(key: key, [1, 2, 3] as [UInt8])
            Issue.record("expected a throw")
        } catch {
            #expect(error.code == "invalidKeyLength")
            #expect(error.message.contains("key"))
            #expect(error.message.contains("\(length) bytes"))
            #expect(error.description.hasPrefix("invalidKeyLength: "))
        }
    }

    @Test("a 32-byte key from any collection works")
    func keyCollections() throws {
        let key = Array(0..<32).map(UInt8.init)
        let expected = try BLAKE3.keyedHash(key: key, [1, 2, 3] as [UInt8])
        #expect(try BLAKE3.keyedHash(key: key[...], [1, 2, 3] as [UInt8]) == expected)
        #expect(try BLAKE3.keyedHash(key: 0..<32 as Range<UInt8>, [1, 2, 3] as [UInt8]) == expected)
        #expect(expected != BLAKE3.hash([1, 2, 3] as [UInt8]))
    }
}
