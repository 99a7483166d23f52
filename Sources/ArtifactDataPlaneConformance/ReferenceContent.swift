import ArtifactBLAKE3
import ArtifactIdentity
import ArtifactStoreCore
import Crypto
import NIOCore

typealias Digest = ArtifactIdentity.Digest

/// Deterministic test content, generated in chunks so large objects never sit in memory whole,
/// with reference digests computed independently of any data plane: swift-crypto SHA-256 and
/// the one-shot/incremental `BLAKE3Hasher`, chunk by chunk, never the dual digester.
struct ReferenceContent: Sendable {
    let seed: UInt64
    let size: Int
    let chunkSize: Int

    init(seed: UInt64, size: Int, chunkSize: Int = 1024 * 1024 - 7) {
        self.seed = seed
        self.size = size
        self.chunkSize = chunkSize
    }

    /// One block of pseudo-random bytes per seed; each chunk is the block with its index
    /// stamped over its first bytes, so chunks differ and generation is a copy.
    private static func block(seed: UInt64, length: Int) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        var bytes = [UInt8](repeating: 0, count: length)
        bytes.withUnsafeMutableBytes { raw in
            var index = 0
            while index + 8 <= length {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                raw.storeBytes(of: state, toByteOffset: index, as: UInt64.self)
                index += 8
            }
            while index < length {
                raw[index] = UInt8(truncatingIfNeeded: state >> (8 * (index % 8)))
                index += 1
            }
        }
        return bytes
    }

    struct ChunkIterator {
        let content: ReferenceContent
        let block: [UInt8]
        var produced = 0
        var index: UInt64 = 0

        init(content: ReferenceContent) {
            self.content = content
            self.block = ReferenceContent.block(seed: content.seed, length: Swift.max(1, Swift.min(content.chunkSize, content.size)))
        }

        mutating func nextChunk() -> ByteBuffer? {
            guard produced < content.size else { return nil }
            let length = Swift.min(block.count, content.size - produced)
            var buffer = ByteBuffer()
            buffer.reserveCapacity(length)
            buffer.writeBytes(block[0..<length])
            withUnsafeBytes(of: index.littleEndian) { stamp in
                for (offset, byte) in stamp.enumerated() where offset < length {
                    buffer.setInteger(block[offset] ^ byte, at: offset)
                }
            }
            produced += length
            index += 1
            return buffer
        }
    }

    struct Chunks: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let content: ReferenceContent

        struct AsyncIterator: AsyncIteratorProtocol {
            var base: ChunkIterator
            mutating func next() async throws -> ByteBuffer? { base.nextChunk() }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: ChunkIterator(content: content)) }
    }

    var stream: ByteStream { ByteStream(Chunks(content: self)) }

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
            blake3: try! Digest(algorithm: .blake3, bytes: blake3.finalize()),
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
        self.blake3 = try! Digest(algorithm: .blake3, bytes: blake3.finalize())
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
    return ReferenceDigests(blake3: try! Digest(algorithm: .blake3, bytes: blake3.finalize()), sha256: Digest(sha256.finalize()), size: size)
}

/// Reads a stream whole (small objects only).
func collect(_ stream: ByteStream) async throws -> [UInt8] {
    var bytes: [UInt8] = []
    for try await chunk in stream { bytes.append(contentsOf: chunk.readableBytesView) }
    return bytes
}

/// A stream that yields `chunks` and then fails, as a dropped upload would.
struct FailingStream: AsyncSequence, Sendable {
    struct Cut: Error, CustomStringConvertible {
        var description: String { "the client went away" }
    }

    typealias Element = ByteBuffer
    let chunks: [ByteBuffer]

    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: ArraySlice<ByteBuffer>
        mutating func next() async throws -> ByteBuffer? {
            if let chunk = remaining.popFirst() { return chunk }
            throw Cut()
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(remaining: chunks[...]) }
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
