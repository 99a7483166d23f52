import NIOCore
import Synchronization

/// A single-producer, single-consumer hand-off of `ByteBuffer`s with a hard bound.
///
/// The producer suspends in ``send(_:)`` while the channel holds `maximumBytes` (or
/// `maximumBuffers`), so a slow consumer slows the producer instead of letting memory grow. A
/// buffer larger than the byte bound is still accepted when the channel is empty. ``finish(throwing:)``
/// ends the stream for the consumer; cancelling either side's task wakes it with
/// `CancellationError`.
final class BoundedBufferChannel: Sendable {
    private struct State {
        // A ring that lets go of each buffer as it is taken: an array read through a moving head
        // kept up to 64 hashed buffers alive (64 MiB of 1 MiB chunks from a socket).
        var queue = CircularBuffer<ByteBuffer>()
        var queuedBytes = 0
        var finished = false
        var failure: (any Error)?
        var waitingProducer: CheckedContinuation<Void, any Error>?
        var waitingConsumer: CheckedContinuation<ByteBuffer?, any Error>?

        var count: Int { queue.count }

        mutating func popFirst() -> ByteBuffer? {
            guard let buffer = queue.popFirst() else { return nil }
            queuedBytes -= buffer.readableBytes
            return buffer
        }
    }

    let maximumBytes: Int
    let maximumBuffers: Int
    private let state = Mutex(State())

    init(maximumBytes: Int, maximumBuffers: Int) {
        precondition(maximumBytes > 0 && maximumBuffers > 0)
        self.maximumBytes = maximumBytes
        self.maximumBuffers = maximumBuffers
    }

    private func hasRoom(_ state: State, for buffer: ByteBuffer) -> Bool {
        state.count == 0
            || (state.count < maximumBuffers && state.queuedBytes + buffer.readableBytes <= maximumBytes)
    }

    /// Queues `buffer`, suspending while the channel is full.
    func send(_ buffer: ByteBuffer) async throws {
        while true {
            try Task.checkCancellation()
            enum Step {
                case done, wait
                case fail(any Error)
            }
            let (step, consumer): (Step, CheckedContinuation<ByteBuffer?, any Error>?) = state.withLock { state in
                if let failure = state.failure { return (.fail(failure), nil) }
                if state.finished { return (.fail(CancellationError()), nil) }
                guard hasRoom(state, for: buffer) else { return (.wait, nil) }
                if let consumer = state.waitingConsumer {
                    state.waitingConsumer = nil
                    return (.done, consumer)
                }
                state.queue.append(buffer)
                state.queuedBytes += buffer.readableBytes
                return (.done, nil)
            }
            switch step {
            case .done:
                consumer?.resume(returning: buffer)
                return
            case .fail(let error):
                throw error
            case .wait:
                try await withTaskCancellationHandler {
                    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                        let resumeNow: Bool = state.withLock { state in
                            // Checked under the lock so a cancellation racing with parking is never lost.
                            if state.failure != nil || state.finished || hasRoom(state, for: buffer) || Task.isCancelled {
                                return true
                            }
                            state.waitingProducer = continuation
                            return false
                        }
                        if resumeNow { continuation.resume() }
                    }
                } onCancel: {
                    let producer = state.withLock { state in
                        defer { state.waitingProducer = nil }
                        return state.waitingProducer
                    }
                    producer?.resume(throwing: CancellationError())
                }
            }
        }
    }

    /// Bytes sent and not yet taken by the consumer.
    var queuedBytes: Int { state.withLock { $0.queuedBytes } }

    /// Whether the producer is parked in ``send(_:)`` waiting for room, and whether the consumer
    /// is parked in ``next()`` waiting for a buffer: the states tests wait for before they act.
    var hasWaitingProducer: Bool { state.withLock { $0.waitingProducer != nil } }
    var hasWaitingConsumer: Bool { state.withLock { $0.waitingConsumer != nil } }

    /// Ends the stream: the consumer drains what is queued, then sees the end (or `error`).
    func finish(throwing error: (any Error)? = nil) {
        let (consumer, producer) = state.withLock { state in
            state.finished = true
            if let error, state.failure == nil { state.failure = error }
            defer {
                state.waitingConsumer = nil
                state.waitingProducer = nil
            }
            return (state.waitingConsumer, state.waitingProducer)
        }
        if let consumer {
            if let error { consumer.resume(throwing: error) } else { consumer.resume(returning: nil) }
        }
        producer?.resume()
    }

    /// The next buffer, or `nil` once finished and drained.
    func next() async throws -> ByteBuffer? {
        try Task.checkCancellation()
        enum Step {
            case value(ByteBuffer?, CheckedContinuation<Void, any Error>?)
            case fail(any Error)
            case wait
        }
        let step: Step = state.withLock { state in
            if let buffer = state.popFirst() {
                defer { state.waitingProducer = nil }
                return .value(buffer, state.waitingProducer)
            }
            if let failure = state.failure { return .fail(failure) }
            if state.finished { return .value(nil, nil) }
            return .wait
        }
        switch step {
        case .value(let buffer, let producer):
            producer?.resume()
            return buffer
        case .fail(let error):
            throw error
        case .wait:
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ByteBuffer?, any Error>) in
                    enum Now {
                        case value(ByteBuffer?)
                        case fail(any Error)
                        case parked
                    }
                    let now: Now = state.withLock { state in
                        if let buffer = state.popFirst() { return .value(buffer) }
                        if let failure = state.failure { return .fail(failure) }
                        if state.finished { return .value(nil) }
                        if Task.isCancelled { return .fail(CancellationError()) }
                        state.waitingConsumer = continuation
                        return .parked
                    }
                    switch now {
                    case .value(let buffer): continuation.resume(returning: buffer)
                    case .fail(let error): continuation.resume(throwing: error)
                    case .parked: break
                    }
                }
            } onCancel: {
                let consumer = state.withLock { state in
                    defer { state.waitingConsumer = nil }
                    return state.waitingConsumer
                }
                consumer?.resume(throwing: CancellationError())
            }
        }
    }
}
