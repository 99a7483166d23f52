import NIOCore
import Synchronization

/// A queue between a connection's reader and the one task that consumes one call's frames.
///
/// Exists instead of `AsyncThrowingStream` for two reasons: a consumer can wait without
/// reacting to its task's cancellation (``next(cancellable:)``), which a cancelled ingest needs
/// to hear the daemon's last word, and ``bufferedCount`` lets a side check its peer keeps to
/// the credit it was given. It never limits itself: the protocol's credit does (a peer may
/// have at most its window of data frames in flight).
public final class AsyncInbox<Element: Sendable>: Sendable {
    private struct State {
        var queue = CircularBuffer<Element>()
        var waiter: CheckedContinuation<Element?, any Error>?
        var finished: Result<Void, any Error>?
    }

    private let state = Mutex(State())

    public init() {}

    /// Adds `element`, or wakes the waiting consumer with it. Ignored once finished.
    public func push(_ element: Element) {
        let waiter = state.withLock { state -> CheckedContinuation<Element?, any Error>? in
            guard state.finished == nil else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.queue.append(element)
            return nil
        }
        waiter?.resume(returning: element)
    }

    /// Ends the queue: after the buffered elements, `next` returns `nil` (or throws `error`).
    public func finish(throwing error: (any Error)? = nil) {
        let waiter = state.withLock { state -> CheckedContinuation<Element?, any Error>? in
            guard state.finished == nil else { return nil }
            state.finished = error.map { .failure($0) } ?? .success(())
            defer { state.waiter = nil }
            return state.waiter
        }
        if let error { waiter?.resume(throwing: error) } else { waiter?.resume(returning: nil) }
    }

    /// Elements waiting to be taken.
    public var bufferedCount: Int { state.withLock { $0.queue.count } }

    /// Whether ``finish(throwing:)`` was called.
    public var isFinished: Bool { state.withLock { $0.finished != nil } }

    /// The next element; `nil` at the end. With `cancellable`, a cancelled task gets
    /// `CancellationError` instead of waiting. One consumer at a time.
    public func next(cancellable: Bool = true) async throws -> Element? {
        switch takeReady() {
        case .element(let element): return element
        case .end(let result):
            try result.get()
            return nil
        case .wait: break
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Element?, any Error>) in
                let ready = state.withLock { state -> Result<Element?, any Error>? in
                    if let element = state.queue.popFirst() { return .success(element) }
                    if let finished = state.finished { return finished.map { nil } }
                    if cancellable && Task.isCancelled { return .failure(CancellationError()) }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            guard cancellable else { return }
            let waiter = state.withLock { state -> CheckedContinuation<Element?, any Error>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    private enum Ready {
        case element(Element)
        case end(Result<Void, any Error>)
        case wait
    }

    private func takeReady() -> Ready {
        state.withLock { state in
            if let element = state.queue.popFirst() { return .element(element) }
            if let finished = state.finished { return .end(finished) }
            return .wait
        }
    }
}
