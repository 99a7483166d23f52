import Synchronization

/// Wakes the audit sequencer of this process right after a local commit.
///
/// Exists so a record written here is sealed at once instead of at the next tick: every
/// committed control-plane transaction that appended a record calls ``signal()``, and
/// ``AuditSequencerService`` waits on ``wait()`` between rounds. Signals coalesce: many commits
/// during a round cause one more round.
final class AuditWakeSignal: Sendable {
    private struct State {
        var signalled = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())

    /// Whether a signal is waiting for the next ``wait()`` (tests: which commits wake).
    var isSignalled: Bool { state.withLock { $0.signalled } }

    /// Wakes every waiter, or the next one to wait when none is waiting.
    func signal() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            guard !state.waiters.isEmpty else {
                state.signalled = true
                return []
            }
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns after the next ``signal()`` (at once if one came since the last wait), or when the
    /// task is cancelled.
    func wait() async {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.signalled || Task.isCancelled {
                        state.signalled = false
                        return true
                    }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
