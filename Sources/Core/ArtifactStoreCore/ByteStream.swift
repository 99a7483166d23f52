public import NIOCore

/// A pull-based, type-erased stream of bytes, the currency of every layer that moves content.
///
/// Bytes flow as `ByteBuffer`s. Iteration is pull-driven: a producer does work only when the
/// consumer asks for the next buffer, so a slow consumer slows the producer down (back-pressure)
/// and nothing buffers more than the chunk in hand. A `ByteStream` may be iterated once.
///
/// A stream that reads a local file may also offer the file itself (``fileSlice``), so a
/// consumer that writes to a socket can have the kernel send the bytes. A consumer uses either
/// the iteration or the slice, never both.
public struct ByteStream: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    public typealias Failure = any Error

    private let makeNext: @Sendable () -> (() async throws -> ByteBuffer?)

    /// The same bytes as a region of an open file, when the producer can offer one.
    public let fileSlice: ByteStreamFileSlice?

    /// All the bytes, as one buffer already in memory, when the stream was made from one: a
    /// consumer can then write them at once (an HTTP answer and its body in one write) instead
    /// of iterating.
    public let wholeBuffer: ByteBuffer?

    /// Wraps any sendable sequence of buffers; `fileSlice`, when given, must be the same bytes.
    public init<Base: AsyncSequence & Sendable>(_ base: Base, fileSlice: ByteStreamFileSlice? = nil) where Base.Element == ByteBuffer {
        self.makeNext = {
            var iterator = base.makeAsyncIterator()
            return { try await iterator.next(isolation: #isolation) }
        }
        self.fileSlice = fileSlice
        self.wholeBuffer = nil
    }

    /// A stream over buffers already in memory.
    public init(buffers: [ByteBuffer]) {
        self.makeNext = {
            var remaining = buffers[...]
            return { remaining.popFirst() }
        }
        self.fileSlice = nil
        self.wholeBuffer = buffers.count == 1 ? buffers[0] : nil
    }

    /// A stream of one buffer, offered as ``wholeBuffer`` too.
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
