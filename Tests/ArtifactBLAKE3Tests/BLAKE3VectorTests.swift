@_spi(Testing) import ArtifactBLAKE3
import Foundation
import Testing

/// The official BLAKE3 vectors (`testdata/blake3/test_vectors.json`), in all three modes, on
/// every SIMD level this CPU supports. Each level is chosen per hasher, so these tests run in
/// parallel safely.
@Suite("BLAKE3 official vectors", .timeLimit(.minutes(5)))
struct BLAKE3VectorTests {
    /// Hex, so a failure prints a readable line instead of two byte arrays.
    func hex(_ bytes: some Sequence<UInt8>) -> String { TestSupport.hex(bytes) }

    @Test("vectors file is the expected one")
    func vectorsFile() throws {
        let vectors = try BLAKE3Vectors.load()
        #expect(vectors.cases.count == 35)
        #expect(vectors.keyBytes == BLAKE3Mode.vectorKey)
        #expect(vectors.contextString == BLAKE3Mode.vectorContext)
    }

    @Test("32-byte, 131-byte and every prefix length 32...131", arguments: BLAKE3.supportedSIMDLevels, BLAKE3Mode.allCases)
    func outputLengths(level: BLAKE3.SIMDLevel, mode: BLAKE3Mode) throws {
        for vectorCase in try BLAKE3Vectors.load().cases {
            let expected = mode.expected(vectorCase)
            var hasher = mode.makeHasher(level: level)
            #expect(hasher.simdLevel == level)
            hasher.update(TestSupport.vectorInput(length: vectorCase.inputLen))
            #expect(hex(hasher.finalize()) == hex(expected.prefix(32)), "\(mode) len \(vectorCase.inputLen) on \(level)")
            for length in 32...131 {
                #expect(
                    hex(hasher.finalize(outputLength: length)) == hex(expected.prefix(length)),
                    "\(mode) len \(vectorCase.inputLen) output \(length) on \(level)"
                )
            }
            #expect(hasher.finalize(outputLength: 0) == [])
        }
    }

    @Test("XOF reads with seek match slices of the output", arguments: BLAKE3.supportedSIMDLevels, BLAKE3Mode.allCases)
    func seek(level: BLAKE3.SIMDLevel, mode: BLAKE3Mode) throws {
        for vectorCase in try BLAKE3Vectors.load().cases {
            let expected = mode.expected(vectorCase)
            var hasher = mode.makeHasher(level: level)
            hasher.update(TestSupport.vectorInput(length: vectorCase.inputLen))
            for seek in [0, 1, 7, 31, 32, 33, 63, 64, 65, 100, 127, 128, 130, 131] {
                for length in [0, 1, 5, 32, 64, 65, 131 - seek] where seek + length <= 131 {
                    let slice = Array(expected[seek..<(seek + length)])
                    #expect(
                        hex(hasher.finalize(outputLength: length, seek: UInt64(seek))) == hex(slice),
                        "\(mode) len \(vectorCase.inputLen) seek \(seek) length \(length)"
                    )
                    var into = [UInt8](repeating: 0xAA, count: length)
                    into.withUnsafeMutableBytes { hasher.finalize(into: $0, seek: UInt64(seek)) }
                    #expect(hex(into) == hex(slice))
                }
            }
        }
    }

    @Test("one-call API matches the vectors")
    func conveniences() throws {
        let vectors = try BLAKE3Vectors.load()
        for vectorCase in vectors.cases {
            let input = TestSupport.vectorInput(length: vectorCase.inputLen)
            #expect(BLAKE3.hash(input) == Array(BLAKE3Mode.hash.expected(vectorCase).prefix(32)))
            #expect(try BLAKE3.keyedHash(key: vectors.keyBytes, input) == Array(BLAKE3Mode.keyedHash.expected(vectorCase).prefix(32)))
            #expect(
                BLAKE3.deriveKey(context: vectors.contextString, material: input, outputLength: 131)
                    == BLAKE3Mode.deriveKey.expected(vectorCase)
            )
            #expect(
                BLAKE3.deriveKey(context: vectors.contextString, material: input)
                    == Array(BLAKE3Mode.deriveKey.expected(vectorCase).prefix(32))
            )
        }
    }

    @Test("the SIMD level in use is reported and honours ARTIFACTSTORE_BLAKE3_SIMD")
    func simdLevel() {
        let supported = BLAKE3.supportedSIMDLevels
        #expect(supported.first == .portable)
        let best = supported.last!
        var expected = best
        if let requested = ProcessInfo.processInfo.environment["ARTIFACTSTORE_BLAKE3_SIMD"],
            let level = BLAKE3.SIMDLevel.allCases.first(where: { $0.name == requested })
        {
            expected = min(level, best)
        }
        #expect(BLAKE3.simdLevel == expected.name)
        #expect(BLAKE3Hasher().simdLevel == expected)
        print("BLAKE3 SIMD level: \(BLAKE3.simdLevel) (CPU supports \(supported.map(\.name).joined(separator: ", ")))")
    }
}
