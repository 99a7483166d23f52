import Synchronization

/// The sender's side of credit-based flow control for one call: data frames may be sent only
/// while credit remains, and the receiver grants more as its consumer takes chunks.
///
/// Exists so the daemon never reads more from storage than a client has room for (serve), and
/// so a client never sends more than the daemon will buffer (ingest); one lock per chunk, no
/// actor hop.
public final class CreditGate: Sendable {
    private struct State {
        var credit: UInt64
        var waiter: CheckedContinuation<Void, any Error>?
        var closed: (any Error)?
    }

    private let state: Mutex<State>

    public init(initialCredit: UInt64 = 0) {
        state = Mutex(State(credit: initialCredit))
    }

    /// Adds `count` credit and wakes a waiting sender.
    public func grant(_ count: UInt64) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            state.credit = state.credit &+ count
            guard state.credit > 0, let waiter = state.waiter else { return nil }
            state.waiter = nil
            state.credit -= 1
            return waiter
        }
        waiter?.resume()
    }

    /// Makes every later (and the waiting) ``acquire()`` throw `error`.
    public func close(_ error: any Error) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            if state.closed == nil { state.closed = error }
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(throwing: error)
    }

    /// Credit not yet used.
    public var available: UInt64 { state.withLock { $0.credit } }

    /// Takes one credit, waiting for a grant if there is none. One sender at a time; a
    /// cancelled task gets `CancellationError`.
    public func acquire() async throws {
        let ready = state.withLock { state -> Result<Bool, any Error> in
            if let closed = state.closed { return .failure(closed) }
            if state.credit > 0 {
                state.credit -= 1
                return .success(true)
            }
            return .success(false)
        }
        if try ready.get() { return }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let ready = state.withLock { state -> Result<Void, any Error>? in
                    if let closed = state.closed { return .failure(closed) }
                    if state.credit > 0 {
                        state.credit -= 1
                        return .success(())
                    }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }
}
