import ArtifactBLAKE3
import ArtifactIdentity
import ArtifactStorageConformance
import ArtifactStoreCore
import Crypto
import NIOCore

typealias Digest = ArtifactIdentity.Digest

/// The data plane suite's test content: the storage suite's generator, with reference digests
/// computed independently of any data plane (swift-crypto SHA-256 and `BLAKE3Hasher`, chunk by
/// chunk, never the dual digester).
typealias ReferenceContent = PatternedContent

extension PatternedContent {
    /// The whole content in memory (small contents only).
    var bytes: [UInt8] {
        var result: [UInt8] = []
        result.reserveCapacity(size)
        var iterator = ChunkIterator(content: self)
        while let chunk = iterator.nextChunk() { result.append(contentsOf: chunk.readableBytesView) }
        return result
    }

    /// Reference digests.
    var digests: ReferenceDigests {
        var blake3 = BLAKE3Hasher()
        var sha256 = SHA256()
        var iterator = ChunkIterator(content: self)
        while let chunk = iterator.nextChunk() {
            chunk.withUnsafeReadableBytes { pointer in
                blake3.update(pointer)
                sha256.update(bufferPointer: pointer)
            }
        }
        return ReferenceDigests(
            blake3: Digest(blake3),
            sha256: Digest(sha256.finalize()),
            size: UInt64(size)
        )
    }
}

struct ReferenceDigests: Sendable, Hashable {
    let blake3: Digest
    let sha256: Digest
    let size: UInt64

    /// Digests of `bytes` in memory.
    init(of bytes: [UInt8]) {
        var blake3 = BLAKE3Hasher()
        blake3.update(bytes)
        self.blake3 = Digest(blake3)
        self.sha256 = Digest(SHA256.hash(data: bytes))
        self.size = UInt64(bytes.count)
    }

    init(blake3: Digest, sha256: Digest, size: UInt64) {
        self.blake3 = blake3
        self.sha256 = sha256
        self.size = size
    }
}

/// Reference-digests a served stream chunk by chunk, never holding more than one chunk.
func referenceDigests(of stream: ByteStream) async throws -> ReferenceDigests {
    var blake3 = BLAKE3Hasher()
    var sha256 = SHA256()
    var size: UInt64 = 0
    for try await chunk in stream {
        size += UInt64(chunk.readableBytes)
        chunk.withUnsafeReadableBytes { pointer in
            blake3.update(pointer)
            sha256.update(bufferPointer: pointer)
        }
    }
    return ReferenceDigests(blake3: Digest(blake3), sha256: Digest(sha256.finalize()), size: size)
}

/// A long stream that signals once it has been pulled from, and keeps going until its task is
/// cancelled; bounded (`limit` chunks) so an implementation that ignores cancellation makes the
/// check fail instead of hang.
struct SlowStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let started: AsyncStream<Void>.Continuation
    let limit: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        let started: AsyncStream<Void>.Continuation
        let limit: Int
        var count = 0
        mutating func next() async throws -> ByteBuffer? {
            guard count < limit else { return nil }
            count += 1
            if count == 3 { started.yield() }
            await Task.yield()
            if Task.isCancelled { throw CancellationError() }
            return ByteBuffer(repeating: UInt8(truncatingIfNeeded: count), count: 64 * 1024)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(started: started, limit: limit) }
}
