import ArtifactStorage
public import ArtifactStoreCore
import Crypto
public import NIOCore
import Synchronization

/// Deterministic test content, generated in chunks so large objects never sit in memory whole.
///
/// Public so every conformance suite (storage, data plane) generates its content one way.
public struct PatternedContent: Sendable {
    public let seed: UInt64
    public let size: Int
    public let chunkSize: Int

    public init(seed: UInt64, size: Int, chunkSize: Int = 1024 * 1024 - 7) {
        self.seed = seed
        self.size = size
        self.chunkSize = chunkSize
    }

    /// One block of pseudo-random bytes per seed, varied per chunk by stamping the chunk index
    /// in, so generation is cheap even in debug builds.
    private static func block(seed: UInt64, length: Int) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        var bytes = [UInt8](repeating: 0, count: length)
        var index = 0
        while index < length {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            withUnsafeBytes(of: state) { word in
                for byte in word where index < length {
                    bytes[index] = byte
                    index += 1
                }
            }
        }
        return bytes
    }

    public func chunks() -> [ByteBuffer] {
        var result: [ByteBuffer] = []
        var iterator = ChunkIterator(content: self)
        while let chunk = iterator.nextChunk() { result.append(chunk) }
        return result
    }

    public var stream: ByteStream { ByteStream(Sequence(content: self)) }

    /// The SHA-256 of the content, computed from the generator, independently of any backend.
    public var sha256: [UInt8] {
        var hasher = SHA256()
        var iterator = ChunkIterator(content: self)
        while let chunk = iterator.nextChunk() {
            chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
        }
        return Array(hasher.finalize())
    }

    /// Yields the content chunk by chunk, synchronously.
    public struct ChunkIterator {
        let content: PatternedContent
        let block: [UInt8]
        var produced = 0
        var index: UInt64 = 0

        public init(content: PatternedContent) {
            self.content = content
            self.block = PatternedContent.block(seed: content.seed, length: Swift.max(1, Swift.min(content.chunkSize, content.size)))
        }

        public mutating func nextChunk() -> ByteBuffer? {
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

    struct Sequence: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let content: PatternedContent

        struct AsyncIterator: AsyncIteratorProtocol {
            var base: ChunkIterator
            mutating func next() async throws -> ByteBuffer? { base.nextChunk() }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: ChunkIterator(content: content)) }
    }
}

/// A stream that yields `chunks` and then fails, as a dropped upload would.
public struct FailingStream: AsyncSequence, Sendable {
    public struct Cut: Error, CustomStringConvertible {
        public var description: String { "the client went away" }
    }

    public typealias Element = ByteBuffer
    let chunks: [ByteBuffer]

    public init(chunks: [ByteBuffer]) {
        self.chunks = chunks
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: ArraySlice<ByteBuffer>
        public mutating func next() async throws -> ByteBuffer? {
            if let chunk = remaining.popFirst() { return chunk }
            throw Cut()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(remaining: chunks[...]) }
}

/// An endless stream that reports when it has been pulled from and stops only by throwing
/// `CancellationError` once its task is cancelled.
struct EndlessStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let started: AsyncStream<Void>.Continuation

    struct AsyncIterator: AsyncIteratorProtocol {
        let started: AsyncStream<Void>.Continuation
        var count = 0
        mutating func next() async throws -> ByteBuffer? {
            try Task.checkCancellation()
            count += 1
            if count == 2 { started.yield() }
            await Task.yield()
            try Task.checkCancellation()
            return ByteBuffer(repeating: 0x5A, count: 64 * 1024)
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(started: started) }
}

/// Reads a stream whole (for small objects).
public func collect(_ stream: ByteStream) async throws -> [UInt8] {
    var bytes: [UInt8] = []
    for try await chunk in stream {
        bytes.append(contentsOf: chunk.readableBytesView)
    }
    return bytes
}

/// Hashes a stream chunk by chunk, never holding more than one chunk; returns digest and size.
func hash(_ stream: ByteStream) async throws -> ([UInt8], Int) {
    var hasher = SHA256()
    var size = 0
    for try await chunk in stream {
        size += chunk.readableBytes
        chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
    }
    return (Array(hasher.finalize()), size)
}

extension Array where Element == UInt8 {
    var stream: ByteStream { ByteStream(ByteBuffer(bytes: self)) }
}

func path(_ text: String) throws -> StoragePath {
    try StoragePath(text)
}
