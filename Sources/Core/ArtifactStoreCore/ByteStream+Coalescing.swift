import NIOCore

extension ByteStream {
    /// The same bytes, in buffers of at least `minimum` bytes (the last may be shorter).
    ///
    /// Exists because a network source hands over whatever each socket read returned (often
    /// 16–64 KiB), and an ingest pays per buffer: a hand-off to each hashing thread and a trip to
    /// the blocking pool for each write. Coalescing to about a mebibyte turns 16,000 of those per
    /// GiB into 1,000, at the cost of one copy of bytes already in memory. A buffer that is
    /// already large enough passes through uncopied. Memory stays bounded by `minimum` plus one
    /// source buffer; the source is pulled only as the consumer pulls.
    public func coalesced(minimum: Int) -> ByteStream {
        ByteStream(CoalescingSequence(base: self, minimum: Swift.max(1, minimum)))
    }
}

struct CoalescingSequence: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let base: ByteStream
    let minimum: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: ByteStream.AsyncIterator
        let minimum: Int
        var finished = false

        mutating func next() async throws -> ByteBuffer? {
            guard !finished else { return nil }
            var pending: ByteBuffer?
            while let buffer = try await base.next(isolation: #isolation) {
                guard buffer.readableBytes > 0 else { continue }
                if var collected = pending {
                    pending = nil  // keep `collected` uniquely referenced, so appending does not copy it
                    collected.writeImmutableBuffer(buffer)
                    if collected.readableBytes >= minimum { return collected }
                    pending = collected
                } else if buffer.readableBytes >= minimum {
                    return buffer
                } else {
                    // Room for the last source buffer to overshoot `minimum` without a reallocation.
                    var collected = ByteBufferAllocator().buffer(capacity: minimum + Swift.max(buffer.readableBytes, 65_536))
                    collected.writeImmutableBuffer(buffer)
                    pending = collected
                }
            }
            finished = true
            return pending
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), minimum: minimum)
    }
}
