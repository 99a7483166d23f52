import Synchronization

/// The subscribers of a store's ``MetadataChange``s and whether changes are heard right now.
///
/// Exists so the listener (PostgreSQL) or poller (SQLite) that hears changes and the caches that
/// act on them never race: every change is handed to every subscriber in the order it was
/// heard, under one lock, and a subscriber that arrives while changes are not heard is told
/// ``MetadataChange/lost`` first, so it never trusts a cache across a gap.
final class MetadataChangeFeed: Sendable {
    private struct State {
        var subscribers: [@Sendable (MetadataChange) -> Void] = []
        var isHeard: Bool
        /// Whether the first attempt to hear changes has finished (either way).
        var isSettled: Bool
        var settledWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state: Mutex<State>

    /// - Parameter isHeard: whether changes are heard from the start (SQLite: the poller needs no
    ///   connection; PostgreSQL: not until LISTEN succeeded).
    init(isHeard: Bool) {
        state = Mutex(State(isHeard: isHeard, isSettled: isHeard))
    }

    var isHeard: Bool { state.withLock { $0.isHeard } }

    func subscribe(_ subscriber: @escaping @Sendable (MetadataChange) -> Void) {
        state.withLock { state in
            state.subscribers.append(subscriber)
            if !state.isHeard { subscriber(.lost) }
        }
    }

    /// Hands `change` to every subscriber; `.lost` and `.resumed` also change ``isHeard``.
    func deliver(_ change: MetadataChange) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            switch change {
            case .lost:
                // Repeated losses (a reconnect loop) are told once.
                if !state.isHeard, state.isSettled { return [] }
                state.isHeard = false
            case .resumed: state.isHeard = true
            case .published, .undescribed: break
            }
            for subscriber in state.subscribers { subscriber(change) }
            guard change == .lost || change == .resumed, !state.isSettled else { return [] }
            state.isSettled = true
            defer { state.settledWaiters = [] }
            return state.settledWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the first attempt to hear changes has succeeded or failed.
    func waitUntilSettled() async {
        await withCheckedContinuation { continuation in
            let settled = state.withLock { state in
                if !state.isSettled { state.settledWaiters.append(continuation) }
                return state.isSettled
            }
            if settled { continuation.resume() }
        }
    }
}
