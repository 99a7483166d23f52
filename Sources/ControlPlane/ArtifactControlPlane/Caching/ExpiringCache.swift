public import Foundation
import Synchronization

/// A bounded map whose entries live for a fixed time, for facts read from the metadata store.
///
/// Exists so the hot read paths (authorising a token, finding a linked blob) can skip the
/// database in the steady state without ever holding more than ``capacity`` entries or serving
/// a fact older than ``lifetime``. Time is passed in by the caller (the control plane's clock),
/// so tests move it instead of sleeping, and a clock that goes backwards expires entries rather
/// than extending them.
///
/// Invalidation is race-free against concurrent fills: a reader takes a ``generation`` before
/// its database read and stores only if no invalidation happened since, so a fact read before
/// a revocation or an unlink can never be stored after it. While ``suspend()``ed (the store's
/// changes are not heard) it holds and serves nothing, and fills that started before
/// ``resume()`` are dropped.
public final class ExpiringCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// The most entries held at once; filling past it evicts the oldest.
    public let capacity: Int
    /// How long an entry is served after it was stored.
    public let lifetime: Duration

    private struct Entry {
        var value: Value
        var storedAt: Date
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var generation: UInt64 = 0
        var isSuspended = false
    }

    private let state = Mutex(State())

    /// - Parameters:
    ///   - capacity: at least 1; `0` disables the cache (nothing is stored).
    ///   - lifetime: `.zero` disables the cache.
    public init(capacity: Int, lifetime: Duration) {
        self.capacity = max(0, capacity)
        self.lifetime = lifetime
    }

    /// Whether anything is ever stored.
    public var isEnabled: Bool { capacity > 0 && lifetime > .zero }

    /// The number of entries held (expired ones included until they are swept).
    public var count: Int { state.withLock { $0.entries.count } }

    /// The current invalidation generation: pass it to ``store(_:for:now:ifGeneration:)``.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// The value stored for `key`, if it is still fresh at `now`.
    public func value(for key: Key, now: Date) -> Value? {
        guard isEnabled else { return nil }
        let seconds = lifetime.seconds
        return state.withLock { state -> Value? in
            guard !state.isSuspended, let entry = state.entries[key] else { return nil }
            let age = now.timeIntervalSince(entry.storedAt)
            guard age >= 0, age < seconds else {
                state.entries[key] = nil
                return nil
            }
            return entry.value
        }
    }

    /// Stores `value` for `key` at `now`, unless an invalidation happened after `generation` was
    /// read (then the value may predate it, and is dropped).
    public func store(_ value: Value, for key: Key, now: Date, ifGeneration generation: UInt64) {
        guard isEnabled else { return }
        let seconds = lifetime.seconds
        let capacity = self.capacity
        state.withLock { state in
            guard state.generation == generation, !state.isSuspended else { return }
            // The count first: below capacity (the common case) the key is hashed once, not twice.
            if state.entries.count >= capacity, state.entries[key] == nil {
                Self.evict(&state.entries, capacity: capacity, now: now, lifetime: seconds)
            }
            state.entries[key] = Entry(value: value, storedAt: now)
        }
    }

    /// Removes every entry `matching` returns `true` for, and makes fills that started before
    /// this call drop their values.
    public func invalidate(where matching: (Key, Value) -> Bool) {
        state.withLock { state in
            state.generation &+= 1
            state.entries = state.entries.filter { !matching($0.key, $0.value.value) }
        }
    }

    /// Removes the entry for `key` (and makes fills that started before this call drop theirs).
    public func invalidate(key: Key) {
        state.withLock { state in
            state.generation &+= 1
            state.entries[key] = nil
        }
    }

    /// Removes everything.
    public func removeAll() {
        state.withLock { state in
            state.generation &+= 1
            state.entries = [:]
        }
    }

    /// Removes everything and stores nothing until ``resume()``: for when changes to the
    /// database may go unheard.
    public func suspend() {
        state.withLock { state in
            state.generation &+= 1
            state.entries = [:]
            state.isSuspended = true
        }
    }

    /// Removes everything (it may predate changes missed while suspended) and stores again.
    public func resume() {
        state.withLock { state in
            state.generation &+= 1
            state.entries = [:]
            state.isSuspended = false
        }
    }

    /// Whether ``suspend()`` is in force.
    public var isSuspended: Bool { state.withLock { $0.isSuspended } }

    /// Makes room for one entry: drops the expired ones, then, if still full, the oldest eighth
    /// (so a full cache under churn pays one sweep per `capacity / 8` fills, not one per fill).
    private static func evict(_ entries: inout [Key: Entry], capacity: Int, now: Date, lifetime: Double) {
        entries = entries.filter { _, entry in
            let age = now.timeIntervalSince(entry.storedAt)
            return age >= 0 && age < lifetime
        }
        guard entries.count >= capacity else { return }
        let excess = entries.count - capacity + max(1, capacity / 8)
        let oldest = entries.sorted { $0.value.storedAt < $1.value.storedAt }.prefix(excess).map(\.key)
        for key in oldest { entries[key] = nil }
    }
}

extension Duration {
    /// Whole and fractional seconds.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
