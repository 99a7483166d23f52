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
    /// ``lifetime`` in seconds, worked out once: every lookup compares an age with it, and
    /// `Duration`'s 128-bit arithmetic cost each cached request some 900 instructions.
    private let lifetimeSeconds: Double
    /// Whether anything is ever stored.
    public let isEnabled: Bool

    private struct Entry {
        var value: Value
        var storedAt: Date
        /// Which store put it here: matches the record of that store in ``State/order``.
        var sequence: UInt64
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        /// One record per store, oldest first from `head`; a record whose entry was replaced or
        /// removed since is stale and skipped.
        var order: [(key: Key, sequence: UInt64)] = []
        var head = 0
        var nextSequence: UInt64 = 0
        var generation: UInt64 = 0
        var isSuspended = false

        mutating func removeAll() {
            entries = [:]
            order = []
            head = 0
        }
    }

    private let state = Mutex(State())

    /// - Parameters:
    ///   - capacity: at least 1; `0` disables the cache (nothing is stored).
    ///   - lifetime: `.zero` disables the cache.
    public init(capacity: Int, lifetime: Duration) {
        self.capacity = max(0, capacity)
        self.lifetime = lifetime
        self.lifetimeSeconds = lifetime.seconds
        self.isEnabled = self.capacity > 0 && lifetime > .zero
    }

    /// The number of entries held (expired ones included until they are swept).
    public var count: Int { state.withLock { $0.entries.count } }

    /// The current invalidation generation: pass it to ``store(_:for:now:ifGeneration:)``.
    public var generation: UInt64 { state.withLock { $0.generation } }

    /// The value stored for `key`, if it is still fresh at `now`.
    public func value(for key: Key, now: Date) -> Value? {
        guard isEnabled else { return nil }
        let seconds = lifetimeSeconds
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
        let seconds = lifetimeSeconds
        let capacity = self.capacity
        state.withLock { state in
            guard state.generation == generation, !state.isSuspended else { return }
            // The count first: below capacity (the common case) nothing is looked up to make room.
            if state.entries.count >= capacity {
                Self.makeRoom(&state, for: key, capacity: capacity, now: now, lifetime: seconds)
            }
            let sequence = state.nextSequence
            state.nextSequence &+= 1
            state.entries[key] = Entry(value: value, storedAt: now, sequence: sequence)
            state.order.append((key, sequence))
            Self.compactOrder(&state, capacity: capacity)
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
            state.removeAll()
        }
    }

    /// Removes everything and stores nothing until ``resume()``: for when changes to the
    /// database may go unheard.
    public func suspend() {
        state.withLock { state in
            state.generation &+= 1
            state.removeAll()
            state.isSuspended = true
        }
    }

    /// Removes everything (it may predate changes missed while suspended) and stores again.
    public func resume() {
        state.withLock { state in
            state.generation &+= 1
            state.removeAll()
            state.isSuspended = false
        }
    }

    /// Whether ``suspend()`` is in force.
    public var isSuspended: Bool { state.withLock { $0.isSuspended } }

    /// Makes room for `key`'s entry: drops the expired entries at the old end of the store
    /// order, then, while the cache is still full and `key` is not in it, the oldest live ones.
    ///
    /// Each store adds one record to the order and each record is looked at once, so a full
    /// cache under churn (a working set larger than the cache) pays O(1) per fill, and never
    /// copies or sorts the table while holding the lock every reader waits for. Measured before
    /// this: a sort of the whole table every `capacity / 8` fills took 19% of the server's CPU
    /// at a 100,000-blob working set, and the readers queued behind it.
    private static func makeRoom(_ state: inout State, for key: Key, capacity: Int, now: Date, lifetime: Double) {
        while state.head < state.order.count {
            let record = state.order[state.head]
            guard let entry = state.entries[record.key], entry.sequence == record.sequence else {
                state.head += 1  // replaced or removed since: nothing to drop
                continue
            }
            let age = now.timeIntervalSince(entry.storedAt)
            let expired = age < 0 || age >= lifetime
            guard expired || (state.entries[key] == nil && state.entries.count >= capacity) else { break }
            state.entries[record.key] = nil
            state.head += 1
        }
    }

    /// Drops the records already passed, and the stale ones once they outnumber the entries,
    /// so the order stays within a small multiple of the capacity.
    private static func compactOrder(_ state: inout State, capacity: Int) {
        if state.head > 0, state.head * 2 >= state.order.count {
            state.order.removeFirst(state.head)
            state.head = 0
        }
        if state.order.count - state.head > 2 * capacity + 16 {
            let entries = state.entries
            state.order = state.order[state.head...].filter { entries[$0.key]?.sequence == $0.sequence }
            state.head = 0
        }
    }
}

extension Duration {
    /// Whole and fractional seconds.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
