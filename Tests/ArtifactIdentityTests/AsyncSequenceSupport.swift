import NIOCore
import Synchronization

/// Test streams: in-memory buffers, a stream that fails part-way, and one that never ends.
struct BufferSequence: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let buffers: [ByteBuffer]
    var failAfter: Int? = nil

    struct TestStreamFailure: Error, Equatable {}

    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: ArraySlice<ByteBuffer>
        var failAfter: Int?
        var delivered = 0

        mutating func next() async throws -> ByteBuffer? {
            if let failAfter, delivered >= failAfter { throw TestStreamFailure() }
            delivered += 1
            return remaining.popFirst()
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(remaining: buffers[...], failAfter: failAfter)
    }
}

/// Yields the same buffer forever, until the consuming task is cancelled; counts what it gave,
/// so a test knows the consumer is under way before it cancels it.
struct EndlessSequence: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let buffer: ByteBuffer
    private let count = Counter()

    init(buffer: ByteBuffer) {
        self.buffer = buffer
    }

    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    /// Buffers handed out so far, by every iterator.
    var delivered: Int { count.value.load(ordering: .relaxed) }

    struct AsyncIterator: AsyncIteratorProtocol {
        let buffer: ByteBuffer
        let count: Counter
        mutating func next() async throws -> ByteBuffer? {
            await Task.yield()
            count.value.add(1, ordering: .relaxed)
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(buffer: buffer, count: count) }
}

extension Array where Element == ByteBuffer {
    var async: BufferSequence { BufferSequence(buffers: self) }
}

/// Deterministic pseudo-random bytes (SplitMix64), so failures reproduce.
struct SeededBytes {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func bytes(_ count: Int) -> [UInt8] {
        var result = [UInt8]()
        result.reserveCapacity(count + 8)
        while result.count < count {
            withUnsafeBytes(of: next().littleEndian) { result.append(contentsOf: $0) }
        }
        return Array(result.prefix(count))
    }

    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
