import ArtifactBLAKE3
import ArtifactDataPlane
import ArtifactDataPlaneTestSupport
import ArtifactIdentity
import ArtifactStorage
import ArtifactStoreCore
import Foundation
import NIOCore
import Testing

@testable import ArtifactDataPlaneLocal

/// An ingest's BLAKE3 is its outboard builder's root (``OutboardBuilder`` as the
/// ``BLAKE3Accumulating`` of a ``DualDigestState``): the same digest as a plain BLAKE3 hasher for
/// every size and split, and what the ingest checks and stores by.
@Suite("Outboard builder as the ingest's BLAKE3", .timeLimit(.minutes(5)))
struct OutboardDigestTests {
    static let sizes = [0, 1, 1023, 1024, 1025, 16_383, 16_384, 16_385, 32_768, 32_769, 1 << 20, (1 << 20) + 1, (17 << 20) + 16_385]

    /// `bytes` as buffers of pseudo-random sizes (1 byte to a third of the whole), from `seed`.
    static func split(_ bytes: [UInt8], seed: UInt64) -> [ByteBuffer] {
        var state = seed
        var buffers: [ByteBuffer] = []
        var offset = 0
        while offset < bytes.count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let step = 1 + Int((state >> 33) % UInt64(max(1, bytes.count / 3)))
            buffers.append(ByteBuffer(bytes: bytes[offset..<min(bytes.count, offset + step)]))
            offset += step
        }
        return buffers
    }

    @Test("the builder's digest is the BLAKE3 hash for every size and split, and may be taken midway")
    func builderDigest() {
        for size in Self.sizes {
            let bytes = ProvedRangeTests.content(size, seed: UInt8(truncatingIfNeeded: size))
            var builder = OutboardBuilder()
            var fed = 0
            for buffer in Self.split(bytes, seed: UInt64(size)) {
                builder.update(buffer)
                fed += buffer.readableBytes
                if fed < size && fed % 3 == 0 {
                    // Taking the digest changes nothing: it is the hash of what was fed so far.
                    #expect(builder.blake3Digest() == Digest.blake3(of: bytes[..<fed]), "size \(size), after \(fed)")
                }
            }
            #expect(builder.blake3Digest() == Digest.blake3(of: bytes), "size \(size)")
            if let (_, root) = builder.finish() { #expect(root == builder.blake3Digest()) }
        }
    }

    @Test(
        "a dual digest fed through the builder equals the plain one, concurrent or in line, resumed across sessions",
        arguments: [true, false]
    )
    func dualDigest(concurrent: Bool) async throws {
        let configuration = DualDigester.Configuration(concurrent: concurrent)
        for size in [0, 16_385, (3 << 20) + 7] {
            let bytes = ProvedRangeTests.content(size, seed: 3)
            let buffers = Self.split(bytes, seed: 11)
            let plain = try await DualDigester.digest(ByteStream(buffers: buffers), configuration: configuration)
            let state = DualDigestState(blake3: OutboardBuilder())
            // Two sessions on one state, as two PATCHes of a staged upload.
            let half = buffers.count / 2
            for part in [buffers[..<half], buffers[half...]] {
                try await DualDigester.withSession(resuming: state, configuration: configuration) { session in
                    for buffer in part { try await session.update(buffer) }
                }
            }
            #expect(state.digest() == plain, "size \(size)")
            let builder = try #require(state.blake3Accumulator as? OutboardBuilder)
            #expect(builder.size == UInt64(size))
            #expect(DualDigestState().blake3Accumulator == nil)
        }
    }

    @Test("an ingest through the builder checks a promised BLAKE3, stores nothing on a mismatch, and stores a proving outboard")
    func ingestChecksTheTreeDigest() async throws {
        let disk = try ProvedRangeTests.Disk()
        defer { disk.remove() }
        let size = (2 << 20) + 12_345
        let bytes = ProvedRangeTests.content(size, seed: 21)
        let blake3 = Digest.blake3(of: bytes)
        var wrong = bytes
        wrong[size / 2] ^= 1
        do {
            _ = try await disk.dataPlane.ingest(
                ByteStream(ByteBuffer(bytes: bytes)),
                hints: IngestHints(expectedDigest: Digest.blake3(of: wrong), expectedSize: UInt64(size))
            )
            Issue.record("bytes with another BLAKE3 were stored")
        } catch {
            #expect(error.kind == .digestMismatch)
        }
        #expect((FileManager.default.subpaths(atPath: disk.root + "/blobs") ?? []).isEmpty)
        let result = try await disk.dataPlane.ingest(
            ByteStream(ByteBuffer(bytes: bytes)),
            hints: IngestHints(expectedDigest: blake3, expectedSize: UInt64(size))
        )
        #expect(result.blake3Digest == blake3)
        #expect(result.sha256Digest == Digest.sha256(of: bytes))
        // The outboard written beside it proves a range in the middle.
        #expect(FileManager.default.fileExists(atPath: disk.outboardPath(result.address)))
        var served: [UInt8] = []
        for try await buffer in try await disk.dataPlane.serve(
            result.address,
            range: ByteRange(first: 1 << 20, last: (1 << 20) + 99),
            backendID: nil
        ) {
            served += buffer.readableBytesView
        }
        #expect(served == Array(bytes[(1 << 20)..<((1 << 20) + 100)]))
    }
}
