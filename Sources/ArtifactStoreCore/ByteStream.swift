import NIOCore

/// A pull-based, type-erased stream of bytes, the currency of every layer that moves content.
///
/// Bytes flow as `ByteBuffer`s. Iteration is pull-driven: a producer does work only when the
/// consumer asks for the next buffer, so a slow consumer slows the producer down (back-pressure)
/// and nothing buffers more than the chunk in hand. A `ByteStream` may be iterated once.
public struct ByteStream: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    public typealias Failure = any Error

    private let makeNext: @Sendable () -> (() async throws -> ByteBuffer?)

    /// Wraps any sendable sequence of buffers.
    public init<Base: AsyncSequence & Sendable>(_ base: Base) where Base.Element == ByteBuffer {
        self.makeNext = {
            var iterator = base.makeAsyncIterator()
            return { try await iterator.next() }
        }
    }

    /// A stream over buffers already in memory.
    public init(buffers: [ByteBuffer]) {
        self.makeNext = {
            var remaining = buffers[...]
            return { remaining.popFirst() }
        }
    }

    /// A stream of one buffer.
    public init(_ buffer: ByteBuffer) {
        self.init(buffers: [buffer])
    }

    /// An empty stream.
    public static var empty: ByteStream { ByteStream(buffers: []) }

    public struct AsyncIterator: AsyncIteratorProtocol {
        fileprivate let nextBuffer: () async throws -> ByteBuffer?

        public mutating func next() async throws -> ByteBuffer? {
            try await nextBuffer()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(nextBuffer: makeNext())
    }
}
