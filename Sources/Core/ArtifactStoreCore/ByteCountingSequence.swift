public import NIOCore

/// Passes the buffers of `base` through unchanged and reports each one's size to `observe`, as
/// it passes.
///
/// Exists for whatever watches bytes go by without holding them: the server's bytes-in and
/// bytes-out metrics, the client's progress bars. Pull-driven like its base, so back-pressure
/// is kept and nothing is buffered.
public struct ByteCountingSequence<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    public typealias Element = ByteBuffer
    let base: Base
    let observe: @Sendable (Int) -> Void

    public init(base: Base, observe: @escaping @Sendable (Int) -> Void) {
        self.base = base
        self.observe = observe
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let observe: @Sendable (Int) -> Void

        public mutating func next() async throws -> ByteBuffer? {
            guard let buffer = try await base.next(isolation: #isolation) else { return nil }
            observe(buffer.readableBytes)
            return buffer
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), observe: observe)
    }
}
