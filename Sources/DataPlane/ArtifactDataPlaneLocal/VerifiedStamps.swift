package import ArtifactIdentity
package import ArtifactStorage
import Glibc
import Synchronization

/// The stamps of objects whose bytes this data plane has proved by hashing them, so that a later
/// whole read of the same, unchanged object is proved by its stamp instead of a second hash.
///
/// Exists because hashing is the cost of a checked serve (BLAKE3 runs at a fraction of the speed
/// of a page-cache read), while a stamp check is one `fstat`. What it promises:
/// - Only a stamp taken when opening a read that then hashed to the object's address is
///   recorded, and only if the object had been left alone for ``settleMargin`` before that open
///   (see ``StorageChangeStamp/isSettled(before:margin:)``): any later write moves the stamp.
///   The one other source is an ingest, which hashed the bytes as it wrote them
///   (``recordWritten(_:_:)``).
/// - A stamp is trusted for ``trustDuration`` after it was recorded, so media corruption that
///   leaves stamps alone is still caught by a hashed read that often, and by `verify`.
/// - A failed or mismatching read, and a delete, forget the object. Memory is bounded by
///   ``capacity`` entries.
///
/// It reads two clocks, both injected (as Hummingbird's and swift-nio's types take a `Clock`) so
/// tests move time instead of sleeping: any `Clock` for how long a stamp has been trusted, and a
/// wall clock in nanoseconds since 1970 (the scale of file change times) for the settle check.
package final class VerifiedStamps: Sendable {
    package struct Key: Hashable, Sendable {
        var backendID: String
        var address: ContentAddress

        package init(backendID: String, address: ContentAddress) {
            self.backendID = backendID
            self.address = address
        }
    }

    struct Entry: Sendable {
        var stamp: StorageChangeStamp
        /// When it was recorded: the trust clock's time since these stamps were made.
        var recorded: Duration
    }

    package let trustDuration: Duration
    let capacity: Int
    /// Comfortably above one tick of the kernel's coarse clock (1–10 ms), which sets change times.
    package static let settleMargin: Int64 = 100_000_000
    private let entries = Mutex<[Key: Entry]>([:])
    /// The trust clock's time since these stamps were made.
    private let elapsed: @Sendable () -> Duration
    private let wallClock: @Sendable () -> Int64

    /// - Parameters:
    ///   - clock: measures how long a recorded stamp has been trusted.
    ///   - wallClock: the time a read is opened, in nanoseconds since 1970, compared with the
    ///     file's change time.
    package init<C: Clock>(
        trustDuration: Duration,
        capacity: Int,
        clock: C = ContinuousClock(),
        wallClock: @escaping @Sendable () -> Int64 = VerifiedStamps.systemWallClockNanoseconds
    ) where C.Duration == Duration {
        self.trustDuration = trustDuration
        self.capacity = capacity
        let start = clock.now
        self.elapsed = { start.duration(to: clock.now) }
        self.wallClock = wallClock
    }

    /// Whether `stamp` is the recorded, still trusted stamp of the object.
    package func trusts(_ key: Key, _ stamp: StorageChangeStamp) -> Bool {
        let now = elapsed()
        return entries.withLock { entries in
            guard let entry = entries[key] else { return false }
            guard entry.stamp == stamp, now - entry.recorded < trustDuration else {
                entries[key] = nil
                return false
            }
            return true
        }
    }

    /// Records `stamp`, taken when a read that has now been proved by its hash was opened at
    /// `openedAt` (nanoseconds since 1970), unless the object had changed too shortly before.
    package func record(_ key: Key, _ stamp: StorageChangeStamp, openedAt: Int64) {
        guard stamp.isSettled(before: openedAt, margin: Self.settleMargin) else { return }
        insert(key, stamp)
    }

    /// Records the stamp of an object this data plane has just written and hashed on the way in,
    /// taken after it was given its name, when it still is the same incarnation (size, inode,
    /// modification time) as the file the ingest wrote.
    ///
    /// Skips the settle check of ``record(_:_:openedAt:)`` on purpose: it guards against a write
    /// that lands in the same tick of the coarse clock as the change the stamp saw, and here that
    /// change is the ingest's own write and rename. What is left is a foreign write to the
    /// ingest's temporary within the same clock tick as the ingest's last write, which the stamp
    /// cannot tell apart; trust still expires after ``trustDuration``, and `verify` re-hashes.
    package func recordWritten(_ key: Key, _ stamp: StorageChangeStamp) {
        insert(key, stamp)
    }

    private func insert(_ key: Key, _ stamp: StorageChangeStamp) {
        guard trustDuration > .zero else { return }
        let now = elapsed()
        entries.withLock { entries in
            if entries[key] == nil, entries.count >= capacity {
                entries = entries.filter { now - $0.value.recorded < trustDuration }
                if entries.count >= capacity {
                    entries.removeAll(keepingCapacity: true)
                }
            }
            entries[key] = Entry(stamp: stamp, recorded: now)
        }
    }

    package func forget(_ key: Key) {
        _ = entries.withLock { $0.removeValue(forKey: key) }
    }

    package var count: Int { entries.withLock { $0.count } }

    /// Now on the wall clock these stamps were given, in nanoseconds since 1970: taken when a
    /// read is opened, for ``record(_:_:openedAt:)``.
    package func wallClockNanoseconds() -> Int64 { wallClock() }

    /// The system's wall clock in nanoseconds since 1970, the scale of file change times.
    @Sendable
    package static func systemWallClockNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
