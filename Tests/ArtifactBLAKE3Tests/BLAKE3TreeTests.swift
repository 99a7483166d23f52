@_spi(Testing) import ArtifactBLAKE3
import Foundation
import Testing

/// The tree pieces (`BLAKE3Tree`): subtrees hashed alone at their chunk index, parents and
/// merges give back the official vectors' hashes and Python blake3's, for every group size.
@Suite("BLAKE3 tree pieces", .timeLimit(.minutes(10)))
struct BLAKE3TreeTests {
    /// The hash of `input` rebuilt from subtrees of `groupChunks` chunks each (the last shorter).
    static func rootFromGroups(_ input: [UInt8], groupChunks: Int) -> [UInt8] {
        let groupBytes = groupChunks * BLAKE3Tree.chunkByteCount
        return input.withUnsafeBytes { raw in
            guard raw.count > groupBytes else {
                return BLAKE3Tree.chainingValue(of: raw, chunkIndex: 0, isRoot: true).bytes
            }
            var subtrees: [(cv: BLAKE3ChainingValue, chunks: UInt64)] = []
            var offset = 0
            while offset < raw.count {
                let end = min(offset + groupBytes, raw.count)
                let cv = BLAKE3Tree.chainingValue(
                    of: UnsafeRawBufferPointer(rebasing: raw[offset..<end]),
                    chunkIndex: UInt64(offset / BLAKE3Tree.chunkByteCount)
                )
                subtrees.append((cv, UInt64(groupChunks)))
                offset = end
            }
            return BLAKE3Tree.root(of: subtrees).bytes
        }
    }

    @Test("groups of 1, 2, 4 and 16 chunks rebuild every vector's hash")
    func vectors() throws {
        for vectorCase in try BLAKE3Vectors.load().cases {
            let input = TestSupport.vectorInput(length: vectorCase.inputLen)
            let expected = String(vectorCase.hash.prefix(64))
            for groupChunks in [1, 2, 4, 16] {
                #expect(
                    TestSupport.hex(Self.rootFromGroups(input, groupChunks: groupChunks)) == expected,
                    "length \(vectorCase.inputLen), groups of \(groupChunks) chunks"
                )
            }
        }
    }

    @Test("merge of 2^k equal subtrees equals the tree's node, as root and as CV", arguments: [2, 4, 64, 512, 1024, 2048])
    func merge(count: Int) {
        let input = TestSupport.randomBytes(count: count * BLAKE3Tree.chunkByteCount, seed: UInt64(count))
        input.withUnsafeBytes { raw in
            var cvs: [UInt8] = []
            for index in 0..<count {
                let chunk = UnsafeRawBufferPointer(rebasing: raw[(index * 1024)..<((index + 1) * 1024)])
                cvs += BLAKE3Tree.chainingValue(of: chunk, chunkIndex: UInt64(index)).bytes
            }
            let merged = cvs.withUnsafeBytes { BLAKE3Tree.merge($0, isRoot: true) }
            #expect(merged.bytes == BLAKE3.hash(input))
            // As a CV it is the CV of the whole input as a subtree at chunk 0.
            let asCV = cvs.withUnsafeBytes { BLAKE3Tree.merge($0) }
            #expect(asCV == BLAKE3Tree.chainingValue(of: raw, chunkIndex: 0))
        }
    }

    @Test(
        "many subtrees hashed at once equal each hashed alone",
        arguments: [(1, 37), (2, 5), (16, 1), (16, 31), (16, 32), (16, 33), (16, 100), (512, 2), (1024, 3)]
    )
    func manySubtrees(subtreeChunks: Int, count: Int) {
        let bytes = subtreeChunks * BLAKE3Tree.chunkByteCount
        let input = TestSupport.randomBytes(count: count * bytes, seed: UInt64(subtreeChunks * 1000 + count))
        for start in [UInt64(0), UInt64(subtreeChunks) * 4097] {
            let many = input.withUnsafeBytes { BLAKE3Tree.chainingValues(of: $0, subtreeChunks: subtreeChunks, chunkIndex: start) }
            let alone = input.withUnsafeBytes { raw in
                (0..<count).map { index in
                    BLAKE3Tree.chainingValue(
                        of: UnsafeRawBufferPointer(rebasing: raw[(index * bytes)..<((index + 1) * bytes)]),
                        chunkIndex: start + UInt64(index * subtreeChunks)
                    )
                }
            }
            #expect(many == alone, "\(count) subtrees of \(subtreeChunks) chunks at chunk \(start)")
        }
        #expect([UInt8]().withUnsafeBytes { BLAKE3Tree.chainingValues(of: $0, subtreeChunks: 16, chunkIndex: 0) }.isEmpty)
    }

    @Test("a subtree far into an input hashes with its chunk index")
    func chunkIndex() {
        // Two inputs differing only in where the second half is placed give different CVs.
        let half = TestSupport.randomBytes(count: 16 * 1024, seed: 9)
        let cvAt16 = half.withUnsafeBytes { BLAKE3Tree.chainingValue(of: $0, chunkIndex: 16) }
        let cvAt32 = half.withUnsafeBytes { BLAKE3Tree.chainingValue(of: $0, chunkIndex: 32) }
        #expect(cvAt16 != cvAt32)
        let left = TestSupport.randomBytes(count: 16 * 1024, seed: 10)
        let cvLeft = left.withUnsafeBytes { BLAKE3Tree.chainingValue(of: $0, chunkIndex: 0) }
        #expect(BLAKE3Tree.parent(cvLeft, cvAt16, isRoot: true).bytes == BLAKE3.hash(left + half))
        #expect(BLAKE3ChainingValue(bytes: cvLeft.bytes) == cvLeft)
    }

    @Test(
        "rebuilt hashes of random inputs match Python blake3",
        .enabled(if: BLAKE3CrossCheckTests.pythonBlake3Available, "python3 with the 'blake3' package is missing (pip install blake3)")
    )
    func crossCheck() throws {
        var rng = SplitMix64(seed: 77)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("blake3-tree-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var lengths = [16 * 1024 + 1, 32 * 1024, 48 * 1024 - 1, 1 << 20, (1 << 20) + 1]
        for _ in 0..<10 { lengths.append(Int.random(in: 1...(3 << 20), using: &rng)) }
        var cases: [BLAKE3CrossCheckTests.Case] = []
        var ours: [String] = []
        for (index, length) in lengths.enumerated() {
            let input = TestSupport.randomBytes(count: length, seed: rng.next())
            let path = directory.appendingPathComponent("\(index).bin").path
            try Data(input).write(to: URL(fileURLWithPath: path))
            cases.append(.init(path: path, mode: "hash", key: nil, context: nil, length: 32, seek: 0))
            ours.append(TestSupport.hex(Self.rootFromGroups(input, groupChunks: 16)))
        }
        let theirs = try BLAKE3CrossCheckTests.runPython(cases: cases)
        #expect(theirs == ours)
    }
}
