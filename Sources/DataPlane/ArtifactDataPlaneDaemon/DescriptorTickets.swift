import ArtifactDataPlaneLocal
import ArtifactDataPlaneWire
import ArtifactStorage
import Synchronization

/// The descriptors a daemon has opened for whole serves and not yet handed over, each behind a
/// one-time ticket the client redeems on the side channel (``DescriptorSideChannel``).
///
/// What it promises: a ticket is ``WireProtocol/ticketLength`` bytes from the system's secure
/// random generator; it is redeemed at most once, only by the process (uid and pid, as
/// `SO_PEERCRED` says) that made the serve call, and only within ``lifetime``; a lookup removes
/// it whatever the outcome. At most ``capacity`` descriptors are held: when full, no ticket is
/// issued and the serve streams instead. Expired entries are dropped (their descriptors closed)
/// whenever a ticket is issued or redeemed.
final class DescriptorTickets: Sendable {
    private struct Entry {
        var serve: DescriptorServe
        var peer: PeerCredentials
        var expires: ContinuousClock.Instant
    }

    let lifetime: Duration
    let capacity: Int
    private let entries = Mutex<[[UInt8]: Entry]>([:])

    init(lifetime: Duration = .seconds(10), capacity: Int = 1024) {
        self.lifetime = lifetime
        self.capacity = max(1, capacity)
    }

    /// A fresh ticket for `serve`, bound to `peer`; `nil` when ``capacity`` descriptors are held.
    func issue(_ serve: DescriptorServe, to peer: PeerCredentials) -> [UInt8]? {
        var generator = SystemRandomNumberGenerator()
        let ticket = (0..<WireProtocol.ticketLength).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let now = ContinuousClock.now
        return entries.withLock { entries -> [UInt8]? in
            Self.dropExpired(&entries, now: now)
            guard entries.count < capacity else { return nil }
            entries[ticket] = Entry(serve: serve, peer: peer, expires: now + lifetime)
            return ticket
        }
    }

    /// The serve behind `ticket` if `peer` is the process it was issued to and it has not
    /// expired; the ticket is gone afterwards either way.
    func redeem(_ ticket: [UInt8], by peer: PeerCredentials?) -> DescriptorServe? {
        let now = ContinuousClock.now
        let entry = entries.withLock { entries -> Entry? in
            Self.dropExpired(&entries, now: now)
            return entries.removeValue(forKey: ticket)
        }
        guard let entry, let peer, entry.peer.uid == peer.uid, entry.peer.pid == peer.pid else { return nil }
        return entry.serve
    }

    /// Closes every descriptor still held (the daemon is stopping).
    func removeAll() {
        entries.withLock { $0.removeAll() }
    }

    var count: Int { entries.withLock { $0.count } }

    private static func dropExpired(_ entries: inout [[UInt8]: Entry], now: ContinuousClock.Instant) {
        guard entries.values.contains(where: { $0.expires <= now }) else { return }
        entries = entries.filter { $0.value.expires > now }
    }
}
