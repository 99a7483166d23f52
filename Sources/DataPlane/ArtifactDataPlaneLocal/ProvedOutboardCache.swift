import Synchronization

/// The outboard entries this data plane has proved, by backend and address, so a ranged read of
/// an object read before costs no `stat` and no outboard read: one open of the object, and the
/// hash of the groups that cover the range.
///
/// Exists because a 1 MiB range of a page-cached object takes about as long to copy as to
/// hash, and the reads that load a proof (a `stat`, the spine, a block of CVs, each a trip to
/// the I/O thread pool) cost several times that. What it promises:
/// - Only entries proved against the address are kept (``OutboardProof``). They are facts about
///   the address, not about the stored copy: damage to the outboard or to the object after they
///   were kept changes nothing they say, and the object's bytes are still hashed on every read.
/// - The object's size comes from the kept layout, which the address proves; a stored copy cut
///   short fails its read instead.
/// - Nothing kept here says the object is still stored: a range inside it fails its read when
///   the object is gone, and a range the kept size refuses is checked against the store (one
///   `stat`) first, so an object another process deleted is `objectNotFound` whatever the range.
/// - Memory is bounded by ``capacity`` bytes (``ProvedOutboardEntries/byteCount``); when more is
///   kept, the objects stored first are dropped first. A capacity of 0 keeps nothing.
final class ProvedOutboardCache: Sendable {
    typealias Key = VerifiedStamps.Key

    private struct State {
        var entries: [Key: ProvedOutboardEntries] = [:]
        /// Keys in the order they were first stored (some may since have been dropped).
        var order: [Key] = []
        var head = 0
        var byteCount = 0
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = max(capacity, 0)
    }

    /// The entries kept for `key`.
    func entries(_ key: Key) -> ProvedOutboardEntries? {
        state.withLock { $0.entries[key] }
    }

    /// Keeps `entries` for `key` (replacing what was kept), dropping the oldest objects while
    /// more than ``capacity`` bytes are kept.
    func store(_ key: Key, _ entries: ProvedOutboardEntries) {
        let cost = entries.byteCount
        guard cost <= capacity else {
            forget(key)
            return
        }
        state.withLock { state in
            if let old = state.entries.updateValue(entries, forKey: key) {
                state.byteCount -= old.byteCount
            } else {
                state.order.append(key)
            }
            state.byteCount += cost
            while state.byteCount > capacity, state.head < state.order.count {
                let oldest = state.order[state.head]
                state.head += 1
                if oldest == key {
                    // Just stored: it becomes the newest.
                    state.order.append(key)
                } else if let dropped = state.entries.removeValue(forKey: oldest) {
                    state.byteCount -= dropped.byteCount
                }
            }
            // Keys dropped or forgotten stay in `order` until it is compacted here.
            if state.head > state.order.count / 2 || state.order.count > 2 * state.entries.count + 64 {
                var seen = Set<Key>()
                state.order = state.order[state.head...].filter { state.entries[$0] != nil && seen.insert($0).inserted }
                state.head = 0
            }
        }
    }

    func forget(_ key: Key) {
        state.withLock { state in
            if let dropped = state.entries.removeValue(forKey: key) { state.byteCount -= dropped.byteCount }
        }
    }

    /// How many bytes are kept, about (for tests).
    var byteCount: Int { state.withLock { $0.byteCount } }
}
