@_spi(Testing) import ArtifactBLAKE3
import Foundation
import NIOCore
import Testing

/// Feeding input in pieces must give exactly the one-shot result, whatever the split and the
/// SIMD level.
@Suite("BLAKE3 incremental hashing", .timeLimit(.minutes(5)))
struct BLAKE3IncrementalTests {
    /// Piece sizes for `input` of `length`: 1-byte feeds, block and chunk boundaries, odd sizes,
    /// random cuts, and a single update.
    static func splitPatterns(length: Int, seed: UInt64) -> [[Int]] {
        var patterns: [[Int]] = [
            [length],
            Array(repeating: 1, count: length),
            pieces(length: length, size: 64),
            pieces(length: length, size: 1024),
            pieces(length: length, size: 1023),
            pieces(length: length, size: 1025),
            pieces(length: length, size: 4096),
            pieces(length: length, size: 65536),
            [0] + pieces(length: length, size: 7) + [0],
        ]
        var rng = SplitMix64(seed: seed)
        for maxPiece in [16, 300, 3000, 40000] {
            var sizes: [Int] = []
            var left = length
            while left > 0 {
                let size = min(left, Int.random(in: 0...maxPiece, using: &rng))
                sizes.append(size)
                left -= size
            }
            patterns.append(sizes)
        }
        // One big update after a partial chunk, and a partial block after a big update.
        if length > 2000 {
            patterns.append([1000, length - 1000])
            patterns.append([length - 10, 10])
            patterns.append([1024, length - 1024])
        }
        return patterns
    }

    static func pieces(length: Int, size: Int) -> [Int] {
        var sizes = Array(repeating: size, count: length / size)
        if length % size != 0 { sizes.append(length % size) }
        return sizes
    }

    static func hash(_ input: [UInt8], pieces: [Int], mode: BLAKE3Mode, level: BLAKE3.SIMDLevel, outputLength: Int = 32) -> [UInt8] {
        var hasher = mode.makeHasher(level: level)
        input.withUnsafeBytes { raw in
            var offset = 0
            for size in pieces {
                hasher.update(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + size)]))
                offset += size
            }
            precondition(offset == raw.count)
        }
        return hasher.finalize(outputLength: outputLength)
    }

    @Test("vector inputs, many split patterns, all modes", arguments: BLAKE3.supportedSIMDLevels)
    func vectorSplits(level: BLAKE3.SIMDLevel) throws {
        for vectorCase in try BLAKE3Vectors.load().cases {
            let input = TestSupport.vectorInput(length: vectorCase.inputLen)
            for mode in BLAKE3Mode.allCases {
                let expected = mode.expected(vectorCase)
                for (index, pattern) in Self.splitPatterns(length: input.count, seed: UInt64(input.count)).enumerated() {
                    #expect(
                        TestSupport.hex(Self.hash(input, pieces: pattern, mode: mode, level: level, outputLength: 131))
                            == TestSupport.hex(expected),
                        "\(mode) len \(input.count) pattern #\(index) on \(level)"
                    )
                }
            }
        }
    }

    @Test("large pseudo-random input: every level and split equals portable one-shot")
    func largeInput() {
        let input = TestSupport.randomBytes(count: 5 << 20 | 12345, seed: 42)
        let reference = Self.hash(input, pieces: [input.count], mode: .hash, level: .portable, outputLength: 200)
        let patterns = [
            [input.count],
            Self.pieces(length: input.count, size: 1 << 20),
            Self.pieces(length: input.count, size: 65536),
            Self.pieces(length: input.count, size: 16 * 1024 + 1),
            [1, 63, 1000, 3 << 20, input.count - (3 << 20) - 1064],
        ]
        for level in BLAKE3.supportedSIMDLevels {
            for mode in BLAKE3Mode.allCases {
                let modeReference = Self.hash(input, pieces: [input.count], mode: mode, level: .portable)
                for pattern in patterns {
                    #expect(
                        TestSupport.hex(Self.hash(input, pieces: pattern, mode: mode, level: level)) == TestSupport.hex(modeReference),
                        "\(mode) on \(level)"
                    )
                }
            }
            #expect(Self.hash(input, pieces: [input.count], mode: .hash, level: level, outputLength: 200) == reference)
        }
    }

    @Test("every length 0...2100 with byte feeds and one-shot agree across levels")
    func allShortLengths() {
        let input = TestSupport.randomBytes(count: 2100, seed: 7)
        for length in 0...2100 {
            let slice = Array(input.prefix(length))
            let reference = Self.hash(slice, pieces: [length], mode: .hash, level: .portable)
            for level in BLAKE3.supportedSIMDLevels where level != .portable {
                #expect(
                    TestSupport.hex(Self.hash(slice, pieces: [length], mode: .hash, level: level)) == TestSupport.hex(reference),
                    "len \(length) on \(level)"
                )
            }
            #expect(
                Self.hash(slice, pieces: Self.pieces(length: length, size: 100), mode: .keyedHash, level: .portable)
                    == Self.hash(slice, pieces: [length], mode: .keyedHash, level: BLAKE3.supportedSIMDLevels.last!)
            )
        }
    }

    @Test("all update overloads agree; ByteBuffer reader index untouched")
    func overloads() {
        let input = TestSupport.randomBytes(count: 70_000, seed: 3)
        let expected = BLAKE3.hash(input)

        var fromArray = BLAKE3Hasher()
        fromArray.update(input)
        #expect(fromArray.finalize() == expected)

        var fromData = BLAKE3Hasher()
        fromData.update(Data(input))
        #expect(fromData.finalize() == expected)

        var buffer = ByteBuffer(bytes: [9, 9, 9] + input)
        buffer.moveReaderIndex(forwardBy: 3)
        var fromBuffer = BLAKE3Hasher()
        fromBuffer.update(buffer)
        #expect(fromBuffer.finalize() == expected)
        #expect(buffer.readerIndex == 3)
        #expect(BLAKE3.hash(buffer) == expected)

        var fromPointer = BLAKE3Hasher()
        input.withUnsafeBytes { fromPointer.update($0) }
        fromPointer.update(UnsafeRawBufferPointer(start: nil, count: 0))
        #expect(fromPointer.finalize() == expected)
    }

    @Test("copying forks the state; finalize does not consume")
    func valueSemantics() {
        let input = TestSupport.randomBytes(count: 10_000, seed: 5)
        var hasher = BLAKE3Hasher()
        hasher.update(Array(input.prefix(4000)))
        let fork = hasher
        let midway = hasher.finalize()
        hasher.update(Array(input.dropFirst(4000)))
        #expect(hasher.finalize() == BLAKE3.hash(input))
        #expect(hasher.finalize() == BLAKE3.hash(input))
        #expect(fork.finalize() == midway)
        #expect(midway == BLAKE3.hash(Array(input.prefix(4000))))
    }

    @Test("long XOF output: seeks anywhere match one long read", arguments: BLAKE3.supportedSIMDLevels)
    func longOutput(level: BLAKE3.SIMDLevel) {
        var hasher = BLAKE3Mode.keyedHash.makeHasher(level: level)
        hasher.update(TestSupport.randomBytes(count: 3000, seed: 11))
        let stream = hasher.finalize(outputLength: 20_000)
        var rng = SplitMix64(seed: 99)
        for _ in 0..<200 {
            let seek = Int.random(in: 0..<20_000, using: &rng)
            let length = Int.random(in: 0...(20_000 - seek), using: &rng)
            #expect(hasher.finalize(outputLength: length, seek: UInt64(seek)) == Array(stream[seek..<(seek + length)]))
        }
        // Far seeks are fine too (the output block counter is 64-bit).
        let far = hasher.finalize(outputLength: 100, seek: UInt64.max - 99)
        #expect(far.count == 100)
        #expect(hasher.finalize(outputLength: 36, seek: UInt64.max - 99) == Array(far.prefix(36)))
    }
}
