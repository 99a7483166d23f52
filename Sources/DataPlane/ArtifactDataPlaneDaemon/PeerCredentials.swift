import NIOCore

#if canImport(Glibc)
public import Glibc
#elseif canImport(Musl)
public import Musl
#endif

/// Who is at the other end of a Unix socket connection, as the kernel says (`SO_PEERCRED`):
/// the process, user and group that connected. Not something the peer can claim.
public struct PeerCredentials: Sendable, Hashable, CustomStringConvertible {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32

    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

    public var description: String { "pid \(pid) uid \(uid) gid \(gid)" }

    /// Reads `SO_PEERCRED` of a connected Unix socket channel; `nil` when the channel is not a
    /// socket (e.g. an embedded test channel) or the kernel does not say.
    static func of(_ channel: any Channel) -> EventLoopFuture<PeerCredentials?> {
        #if os(Linux)
        guard let provider = channel as? any SocketOptionProvider else {
            return channel.eventLoop.makeSucceededFuture(nil)
        }
        let credentials: EventLoopFuture<KernelPeerCredentials> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET),
            name: SocketOptionName(SO_PEERCRED)
        )
        return
            credentials
            .map { Optional(PeerCredentials(pid: $0.pid, uid: $0.uid, gid: $0.gid)) }
            .recover { _ -> PeerCredentials? in nil }
        #else
        return channel.eventLoop.makeSucceededFuture(nil)
        #endif
    }
}

/// Linux's `struct ucred` (pid, uid, gid), which Glibc's module map does not export (it needs
/// `_GNU_SOURCE`); same layout, so `getsockopt(SO_PEERCRED)` fills it.
struct KernelPeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// Which peers may talk to the daemon: a peer is allowed when its uid is listed or its gid is
/// listed. By default only the daemon's own uid.
public struct PeerAllowList: Sendable, Hashable {
    public var uids: Set<UInt32>
    public var gids: Set<UInt32>

    public init(uids: Set<UInt32> = [getuid()], gids: Set<UInt32> = []) {
        self.uids = uids
        self.gids = gids
    }

    /// Whether `peer` may connect; a peer whose credentials are unknown never may.
    public func allows(_ peer: PeerCredentials?) -> Bool {
        guard let peer else { return false }
        return uids.contains(peer.uid) || gids.contains(peer.gid)
    }
}
