import ArtifactDataPlaneLocal
import ArtifactDataPlaneWire
import ArtifactStorage
import CArtifactDescriptorPassing
import Logging
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
public import Musl
#endif

/// The daemon's descriptor side channel: a second Unix socket at the main socket's path plus
/// `.fd` where a client redeems a ticket from a serve's `result` frame and receives the
/// object's read-only descriptor as `SCM_RIGHTS` (docs/dataplane-protocol.md, "Descriptor
/// passing").
///
/// Exists because NIO's stream channels cannot carry ancillary data. Deliberately plain and
/// blocking: a dedicated thread accepts, two more handle connections, each connection carries
/// one ticket and is closed. What it promises: the socket has the main socket's mode and group
/// and replaces only a stale socket; every peer is checked with `SO_PEERCRED` against the same
/// allow-list before anything is read; a peer that sends less than a ticket within
/// ``receiveTimeout``, an unknown, expired, reused or someone else's ticket, or is not allowed
/// gets a refusal (status 1 and an error code) and is closed, and the side channel keeps
/// serving; tickets are never logged.
final class DescriptorSideChannel: Sendable {
    let socket: SocketPath
    let allowList: PeerAllowList
    let tickets: DescriptorTickets
    let logger: Logger
    /// How long a side-channel peer may take to send its ticket, or to take the answer.
    static let receiveTimeout: Int = 5

    private let listener: Int32
    private let inode: UInt64
    private let pool: NIOThreadPool
    private let stopping = Atomic<Bool>(false)

    /// Binds `<mainPath>.fd` under a temporary name, gives it `group`'s mode, moves it into
    /// place and starts accepting.
    init(
        mainPath: String,
        group: UInt32?,
        allowList: PeerAllowList,
        tickets: DescriptorTickets,
        logger: Logger
    ) throws(DataPlaneDaemonError) {
        let socket = try SocketPath(mainPath + WireProtocol.descriptorSocketSuffix)
        try socket.checkAvailable()
        let temporary = socket.temporarySibling()
        let listener = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard listener >= 0 else {
            throw DataPlaneDaemonError(
                .socketSetupFailed,
                "cannot create the descriptor socket for \"\(socket.path)\": \(String(cString: strerror(errno)))"
            )
        }
        do {
            let address = try SocketAddress(unixDomainSocketPath: temporary)
            let bound = address.withSockAddr { bind(listener, $0, socklen_t($1)) }
            guard bound == 0, Glibc.listen(listener, 64) == 0 else {
                throw DataPlaneDaemonError(
                    .socketSetupFailed,
                    "cannot listen on \"\(temporary)\" for \"\(socket.path)\": \(String(cString: strerror(errno)))"
                )
            }
            self.inode = try socket.install(temporary: temporary, group: group)
        } catch {
            close(listener)
            _ = temporary.withCString { unlink($0) }
            if let error = error as? DataPlaneDaemonError { throw error }
            throw DataPlaneDaemonError(
                .socketSetupFailed,
                "cannot bind the descriptor socket \"\(socket.path)\": \(error)",
                underlying: error
            )
        }
        self.socket = socket
        self.listener = listener
        self.allowList = allowList
        self.tickets = tickets
        self.logger = logger
        self.pool = NIOThreadPool(numberOfThreads: 3)
        pool.start()
        pool.submit { [self] _ in acceptLoop() }
    }

    /// Stops accepting, waits for the connections in hand, closes every descriptor still held
    /// and removes the socket if it is still ours.
    func stop() async {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        // Wakes the blocked accept(2) (Linux answers EINVAL on a shut-down listener).
        Glibc.shutdown(listener, Int32(SHUT_RDWR))
        try? await pool.shutdownGracefully()
        close(listener)
        tickets.removeAll()
        socket.remove(ifInode: inode)
    }

    private func acceptLoop() {
        while !stopping.load(ordering: .acquiring) {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else {
                let code = errno
                if stopping.load(ordering: .acquiring) { return }
                if code == EINTR || code == ECONNABORTED { continue }
                logger.warning("descriptor side channel: accept failed", metadata: ["error": "\(String(cString: strerror(code)))"])
                usleep(10_000)
                continue
            }
            _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
            pool.submit { [self] state in
                defer { close(connection) }
                guard case .active = state else { return }
                handle(connection)
            }
        }
    }

    /// One peer: credentials, one ticket, one answer.
    private func handle(_ connection: Int32) {
        let peer = Self.peerCredentials(connection)
        guard allowList.allows(peer) else {
            logger.warning(
                "descriptor side channel: refused a peer that is not on the allow-list",
                metadata: ["peer": "\(peer.map(\.description) ?? "unknown")"]
            )
            refuse(connection, .peerNotAllowed)
            return
        }
        var timeout = timeval(tv_sec: Self.receiveTimeout, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var ticket = [UInt8](repeating: 0, count: WireProtocol.ticketLength)
        var filled = 0
        while filled < ticket.count {
            let count = ticket.withUnsafeMutableBytes { recv(connection, $0.baseAddress! + filled, $0.count - filled, 0) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            filled += count
        }
        guard filled == ticket.count else {
            logger.notice(
                "descriptor side channel: a peer sent no complete ticket",
                metadata: ["peer": "\(peer.map(\.description) ?? "unknown")", "bytes": "\(filled)"]
            )
            refuse(connection, .malformedFrame)
            return
        }
        guard let serve = tickets.redeem(ticket, by: peer) else {
            logger.notice(
                "descriptor side channel: refused an unknown, expired, reused or foreign ticket",
                metadata: ["peer": "\(peer.map(\.description) ?? "unknown")"]
            )
            refuse(connection, .ticketUnknown)
            return
        }
        var answer: [UInt8] = [WireProtocol.descriptorGranted]
        let size = serve.file.stamp.size
        for shift in stride(from: 56, through: 0, by: -8) { answer.append(UInt8(truncatingIfNeeded: size >> UInt64(shift))) }
        let sent = answer.withUnsafeBytes { artifactstore_send_fd(connection, serve.file.descriptor.raw, $0.baseAddress, $0.count) }
        if sent != answer.count {
            logger.notice(
                "descriptor side channel: could not hand over a descriptor",
                metadata: ["error": "\(String(cString: strerror(errno)))"]
            )
        }
        // `serve` goes out of scope here: the daemon's copy of the descriptor closes.
    }

    private func refuse(_ connection: Int32, _ code: DataPlaneWireError.Code) {
        let text = Array(code.rawValue.utf8.prefix(255))
        let answer = [WireProtocol.descriptorRefused, UInt8(text.count)] + text
        _ = answer.withUnsafeBytes { artifactstore_send_fd(connection, -1, $0.baseAddress, $0.count) }
    }

    static func peerCredentials(_ connection: Int32) -> PeerCredentials? {
        var credentials = KernelPeerCredentials()
        var length = socklen_t(MemoryLayout<KernelPeerCredentials>.size)
        guard getsockopt(connection, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0 else { return nil }
        return PeerCredentials(pid: credentials.pid, uid: credentials.uid, gid: credentials.gid)
    }
}
