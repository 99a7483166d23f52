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

/// Yields the same buffer forever, until the consuming task is cancelled. ``underWay`` ends once
/// `signalAfter` buffers have been taken, so a test cancels the consumer mid-stream, not before
/// it began, and waits for that without a deadline of its own (the suite's time limit bounds it).
struct EndlessSequence: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let buffer: ByteBuffer
    let underWay: AsyncStream<Void>
    private let progress: Progress

    init(buffer: ByteBuffer, signalAfter: Int = 5) {
        self.buffer = buffer
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        self.underWay = stream
        self.progress = Progress(signalAfter: signalAfter, continuation: continuation)
    }

    final class Progress: Sendable {
        let delivered = Atomic<Int>(0)
        let signalAfter: Int
        let continuation: AsyncStream<Void>.Continuation

        init(signalAfter: Int, continuation: AsyncStream<Void>.Continuation) {
            self.signalAfter = signalAfter
            self.continuation = continuation
        }

        func deliveredOne() {
            if delivered.add(1, ordering: .relaxed).newValue == signalAfter { continuation.finish() }
        }
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let buffer: ByteBuffer
        let progress: Progress
        mutating func next() async throws -> ByteBuffer? {
            await Task.yield()
            progress.deliveredOne()
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(buffer: buffer, progress: progress) }
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
