public import NIOCore
import Synchronization

/// A bounded hand-over of proved chunks from an upstream fetch to the one client that started it.
///
/// Exists so a pull-through blob streams to its first client while it is ingested, with memory
/// bounded: the fetch waits (and so the upstream is back-pressured) when ``capacity`` chunks are
/// waiting for a slow client. A client that goes away (``detach()``) no longer holds the fetch
/// back: the ingest goes on, so the blob is stored for the next pull. ``finish(_:)`` with an
/// error makes the client's stream fail instead of ending, so a client never mistakes a refused
/// blob for a short one.
public final class OCIProxyRelay: Sendable {
    /// Most chunks held for a slow client.
    public let capacity: Int

    private struct State {
        var buffer: [ByteBuffer] = []
        var final: ByteBuffer?
        var size: UInt64?
        var failure: (any Error)?
        var ended = false
        var detached = false
        var starter: CheckedContinuation<UInt64, any Error>?
        var consumer: CheckedContinuation<ByteBuffer?, any Error>?
        var producer: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    public init(capacity: Int = 16) {
        self.capacity = capacity
    }

    // MARK: The fetch's side

    /// The upstream answered with `size` bytes to come.
    public func begin(size: UInt64) {
        let starter = state.withLock { state in
            state.size = size
            defer { state.starter = nil }
            return state.starter
        }
        starter?.resume(returning: size)
    }

    /// Hands one proved chunk over; waits while the client is ``capacity`` chunks behind.
    public func send(_ chunk: ByteBuffer) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let (consumer, waitHere) = state.withLock { state -> (CheckedContinuation<ByteBuffer?, any Error>?, Bool) in
                if state.detached || state.ended { return (nil, false) }
                if let consumer = state.consumer {
                    state.consumer = nil
                    return (consumer, false)
                }
                state.buffer.append(chunk)
                if state.buffer.count >= capacity {
                    state.producer = continuation
                    return (nil, true)
                }
                return (nil, false)
            }
            consumer?.resume(returning: chunk)
            if !waitHere { continuation.resume() }
        }
    }

    /// Keeps the last, proved chunk back until ``releaseFinal()``: the fetch releases it once the
    /// blob is stored, so a client's whole answer means the blob is in the store.
    public func holdFinal(_ chunk: ByteBuffer) {
        state.withLock { $0.final = chunk }
    }

    /// Hands the chunk kept by ``holdFinal(_:)`` over and ends the client's stream.
    public func releaseFinal() async {
        let final = state.withLock { state in
            defer { state.final = nil }
            return state.final
        }
        if let final { await send(final) }
        finish(nil)
    }

    /// No more chunks: the client's stream ends once it has read the buffer, or with `error`.
    public func finish(_ error: (any Error)?) {
        let (starter, consumer) = state.withLock {
            state -> (CheckedContinuation<UInt64, any Error>?, CheckedContinuation<ByteBuffer?, any Error>?) in
            guard !state.ended else { return (nil, nil) }
            state.ended = true
            state.failure = error
            defer {
                state.starter = nil
                state.consumer = nil
            }
            return (state.starter, state.consumer)
        }
        starter?.resume(throwing: error ?? CancellationError())
        if let consumer {
            if let error { consumer.resume(throwing: error) } else { consumer.resume(returning: nil) }
        }
    }

    /// The error the fetch finished with, if it failed.
    public var failure: (any Error)? { state.withLock { $0.failure } }

    // MARK: The client's side

    /// The size the upstream announced, once it answered; its refusal otherwise.
    public func started() async throws -> UInt64 {
        try await withCheckedThrowingContinuation { continuation in
            let answer = state.withLock { state -> Result<UInt64, any Error>? in
                if let size = state.size { return .success(size) }
                if state.ended { return .failure(state.failure ?? CancellationError()) }
                state.starter = continuation
                return nil
            }
            if let answer { continuation.resume(with: answer) }
        }
    }

    /// The next proved chunk; `nil` at a proved end; throws when the fetch failed.
    public func next() async throws -> ByteBuffer? {
        try await withCheckedThrowingContinuation { continuation in
            let (answer, producer) = state.withLock { state -> (Result<ByteBuffer?, any Error>?, CheckedContinuation<Void, Never>?) in
                if !state.buffer.isEmpty {
                    let chunk = state.buffer.removeFirst()
                    defer { state.producer = nil }
                    return (.success(chunk), state.producer)
                }
                if state.ended { return (state.failure.map { .failure($0) } ?? .success(nil), nil) }
                state.consumer = continuation
                return (nil, nil)
            }
            producer?.resume()
            if let answer { continuation.resume(with: answer) }
        }
    }

    /// The client went away: drop what is held and never wait for it again.
    public func detach() {
        let producer = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.detached = true
            state.buffer.removeAll()
            defer { state.producer = nil }
            return state.producer
        }
        producer?.resume()
    }
}
