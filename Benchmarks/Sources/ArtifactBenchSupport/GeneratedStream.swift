public import NIOCore

/// The benchmark input: `count` buffers of 1 MiB cycling through a small pool of distinct
/// pseudo-random buffers.
///
/// Exists so a benchmark measures the code under test, not its input: memory holds the pool,
/// never the stream, buffers are shared without copying, and the same seed gives the same bytes
/// in every tool and every run (so references can hash and copy exactly what was ingested).
public struct GeneratedStream: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    public static let chunkSize = 1 << 20
    public let pool: [ByteBuffer]
    public let count: Int

    public init(pool: [ByteBuffer] = GeneratedStream.makePool(), count: Int) {
        self.pool = pool
        self.count = count
    }

    /// `buffers` distinct 1 MiB buffers of xorshift output from `seed`.
    public static func makePool(buffers: Int = 8, seed: UInt64 = 0x5EED_1234_ABCD_0001) -> [ByteBuffer] {
        var state = seed
        return (0..<buffers).map { _ in
            var buffer = ByteBuffer()
            buffer.reserveCapacity(chunkSize)
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: chunkSize) { raw in
                for offset in stride(from: 0, to: chunkSize, by: 8) {
                    state ^= state << 13
                    state ^= state >> 7
                    state ^= state << 17
                    raw.storeBytes(of: state, toByteOffset: offset, as: UInt64.self)
                }
                return chunkSize
            }
            return buffer
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let pool: [ByteBuffer]
        let count: Int
        var index = 0

        public mutating func next() async throws -> ByteBuffer? {
            guard index < count else { return nil }
            defer { index += 1 }
            return pool[index % pool.count]
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(pool: pool, count: count) }
}
