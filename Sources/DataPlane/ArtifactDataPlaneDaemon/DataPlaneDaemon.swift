public import ArtifactDataPlane
public import ArtifactDataPlaneWire
public import Logging
public import NIOCore
public import NIOPosix
public import ServiceLifecycle
import Synchronization

/// Serves any ``DataPlane`` (in practice a `LocalDataPlane`) on a Unix socket, speaking the
/// protocol in docs/dataplane-protocol.md, as a swift-service-lifecycle `Service`.
///
/// Exists so the process that owns the storage can run as its own user, apart from the
/// HTTP-facing control plane, which then uses `RemoteDataPlane` (DESIGN.md §4). What it promises:
/// - the socket appears with mode 0600 (or 0660 and ``Configuration/socketGroup``) and never
///   with another mode; a live socket or a non-socket at the path is refused;
/// - every connection's peer is checked with `SO_PEERCRED` against ``Configuration/allowList``
///   before anything is read; a refused peer gets a `peerNotAllowed` error frame and end of
///   stream, and what it sends after is discarded (for at most a second) until it closes;
/// - many clients are served at once, each connection on its own task, calls on a connection
///   concurrently; what one connection buffers is bounded by the credit it gave (see
///   `WireLimits`), and a connection that stops reading or writing mid-call is closed after
///   ``Configuration/stallTimeout``;
/// - a broken frame, a wrong version or an unknown operation gets a typed error frame and the
///   connection is closed; other connections are not affected;
/// - on graceful shutdown (SIGTERM through a `ServiceGroup`) it stops accepting, lets in-flight
///   calls finish for up to ``Configuration/shutdownGracePeriod`` (new requests get
///   `shuttingDown`), then cancels the rest (an ingest cut that way stores nothing) and removes
///   the socket file.
public struct DataPlaneDaemon: Service {
    public struct Configuration: Sendable {
        /// Where the socket is created (at most 107 bytes).
        public var socketPath: String
        /// With a group, the socket is mode 0660 and owned by that group; without, 0600.
        public var socketGroup: UInt32?
        /// Which peers may connect; by default only this process's uid.
        public var allowList: PeerAllowList
        /// What the daemon accepts from each connection.
        public var limits: WireLimits
        /// A call waiting on its peer (for credit, for data, for the socket to drain) this long
        /// ends the whole connection.
        public var stallTimeout: Duration
        /// How long in-flight calls may run after shutdown began before they are cancelled.
        public var shutdownGracePeriod: Duration
        /// Whether whole serves from backends whose objects are local files hand the client the
        /// object's read-only descriptor (on the `<socketPath>.fd` side channel) when it asks,
        /// instead of streaming the bytes. The side channel exists only when this is set.
        public var passesDescriptors: Bool

        public init(
            socketPath: String,
            socketGroup: UInt32? = nil,
            allowList: PeerAllowList = PeerAllowList(),
            limits: WireLimits = .default,
            stallTimeout: Duration = .seconds(60),
            shutdownGracePeriod: Duration = .seconds(10),
            passesDescriptors: Bool = true
        ) {
            self.socketPath = socketPath
            self.socketGroup = socketGroup
            self.allowList = allowList
            self.limits = limits
            self.stallTimeout = stallTimeout
            self.shutdownGracePeriod = shutdownGracePeriod
            self.passesDescriptors = passesDescriptors
        }
    }

    public let dataPlane: any DataPlane
    public let configuration: Configuration
    let group: any EventLoopGroup
    let logger: Logger
    private let readiness: AsyncInbox<Result<Void, DataPlaneDaemonError>>

    public init(
        dataPlane: any DataPlane,
        configuration: Configuration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.dataPlane = dataPlane
        self.configuration = configuration
        self.group = eventLoopGroup
        self.logger = logger
        self.readiness = AsyncInbox()
    }

    /// Returns once the socket is in place (or throws why it could not be); for tests and
    /// supervisors that start ``run()`` in another task. Call it once per daemon.
    public func waitUntilListening() async throws(DataPlaneDaemonError) {
        let outcome: Result<Void, DataPlaneDaemonError>?
        do {
            outcome = try await readiness.next(cancellable: false)
        } catch {
            outcome = nil
        }
        readiness.finish()
        switch outcome {
        case .success?: return
        case .failure(let error)?: throw error
        case nil: throw DataPlaneDaemonError(.socketSetupFailed, "the daemon stopped before it listened on \"\(configuration.socketPath)\"")
        }
    }

    typealias Connection = (channel: NIOAsyncChannel<Frame, Frame>, peer: PeerCredentials?)

    public func run() async throws {
        let socket: SocketPath
        let server: NIOAsyncChannel<Connection, Never>
        let inode: UInt64
        do {
            (socket, server, inode) = try await listen()
        } catch {
            readiness.push(.failure(error))
            throw error
        }
        let sideChannel: DescriptorSideChannel?
        do {
            sideChannel =
                configuration.passesDescriptors
                ? try DescriptorSideChannel(
                    mainPath: socket.path,
                    group: configuration.socketGroup,
                    allowList: configuration.allowList,
                    tickets: DescriptorTickets(),
                    logger: logger
                ) : nil
        } catch {
            try? await server.channel.close()
            socket.remove(ifInode: inode)
            readiness.push(.failure(error))
            throw error
        }
        logger.info(
            "data plane daemon listening",
            metadata: ["socket": "\(socket.path)", "mode": "\(configuration.socketGroup == nil ? "0600" : "0660")"]
        )
        readiness.push(.success(()))
        let registry = ConnectionRegistry()
        let shutdownStarted = AsyncInbox<Void>()
        defer {
            socket.remove(ifInode: inode)
            logger.info("data plane daemon stopped; socket removed", metadata: ["socket": "\(socket.path)"])
        }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { tasks in
                tasks.addTask { await acceptConnections(server, registry: registry, tickets: sideChannel?.tickets) }
                tasks.addTask {
                    // Starts the grace period when shutdown begins; ends the daemon when it is over.
                    guard (try? await shutdownStarted.next()) != nil else { return }
                    try? await Task.sleep(for: configuration.shutdownGracePeriod)
                    logger.warning("grace period over; cancelling calls still in flight", metadata: ["calls": "\(registry.activeCalls)"])
                }
                await tasks.next()
                tasks.cancelAll()
            }
        } onGracefulShutdown: {
            logger.info("data plane daemon shutting down: no new connections, finishing calls in flight")
            server.channel.close(promise: nil)
            registry.drainAll()
            shutdownStarted.push(())
        }
        // After the calls: one in its grace period may still hand over a descriptor.
        await sideChannel?.stop()
    }

    /// Accepts until the server channel closes, then waits for every connection to end.
    private func acceptConnections(
        _ server: NIOAsyncChannel<Connection, Never>,
        registry: ConnectionRegistry,
        tickets: DescriptorTickets?
    ) async {
        do {
            try await server.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { connections in
                    for try await accepted in inbound {
                        let connection = DaemonConnection(
                            channel: accepted.channel,
                            peer: accepted.peer,
                            dataPlane: dataPlane,
                            tickets: tickets,
                            configuration: configuration,
                            logger: logger
                        )
                        connections.addTask {
                            guard registry.add(connection) else {
                                await connection.refuseShuttingDown()
                                return
                            }
                            defer { registry.remove(connection) }
                            await connection.run()
                        }
                    }
                }
            }
        } catch {
            logger.debug("accept loop ended", metadata: ["error": "\(error)"])
        }
    }

    /// Binds under a temporary name, sets mode and group, and moves the socket into place.
    private func listen() async throws(DataPlaneDaemonError) -> (SocketPath, NIOAsyncChannel<Connection, Never>, UInt64) {
        let socket = try SocketPath(configuration.socketPath)
        guard !configuration.allowList.uids.isEmpty || !configuration.allowList.gids.isEmpty else {
            throw DataPlaneDaemonError(.invalidConfiguration, "the peer allow-list is empty: no client could ever connect")
        }
        try socket.checkAvailable()
        let temporary = socket.temporarySibling()
        guard temporary.utf8.count <= SocketPath.maximumLength else {
            throw DataPlaneDaemonError(
                .invalidConfiguration,
                "the directory of socket path \"\(socket.path)\" is too long for a temporary socket beside it"
            )
        }
        let limits = configuration.limits
        let server: NIOAsyncChannel<Connection, Never>
        do {
            server = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 128)
                .childChannelOption(.allowRemoteHalfClosure, value: true)
                .childChannelOption(.recvAllocator, value: limits.receiveAllocator)
                .childChannelOption(.socketOption(.so_sndbuf), value: WireLimits.socketBufferSize)
                .childChannelOption(.socketOption(.so_rcvbuf), value: WireLimits.socketBufferSize)
                .bind(unixDomainSocketPath: temporary) { channel in
                    PeerCredentials.of(channel).flatMapThrowing { peer in
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(FrameDecoder(limits: limits, allocator: channel.allocator))
                        )
                        try channel.pipeline.syncOperations.addHandler(FrameEncoder())
                        let wrapped = try NIOAsyncChannel<Frame, Frame>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(backPressureStrategy: .init(lowWatermark: 2, highWatermark: 8))
                        )
                        return (wrapped, peer)
                    }
                }
        } catch {
            throw DataPlaneDaemonError(
                .socketSetupFailed,
                "cannot listen on \"\(temporary)\" for \"\(socket.path)\": \(error)",
                underlying: error
            )
        }
        do {
            let inode = try socket.install(temporary: temporary, group: configuration.socketGroup)
            return (socket, server, inode)
        } catch {
            try? await server.channel.close()
            _ = temporary.withCString { unlink($0) }
            throw error
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
public import Musl
#endif

/// The connections a daemon is serving, so shutdown can tell each to finish and close.
final class ConnectionRegistry: Sendable {
    private struct State {
        var connections: [ObjectIdentifier: DaemonConnection] = [:]
        var draining = false
    }

    private let state = Mutex(State())

    /// Registers `connection`; `false` once the daemon is draining.
    func add(_ connection: DaemonConnection) -> Bool {
        state.withLock { state in
            guard !state.draining else { return false }
            state.connections[ObjectIdentifier(connection)] = connection
            return true
        }
    }

    func remove(_ connection: DaemonConnection) {
        _ = state.withLock { $0.connections.removeValue(forKey: ObjectIdentifier(connection)) }
    }

    /// Tells every connection to take no new calls and to close when its calls are done.
    func drainAll() {
        let connections = state.withLock { state in
            state.draining = true
            return Array(state.connections.values)
        }
        for connection in connections { connection.drain() }
    }

    var activeCalls: Int {
        state.withLock { $0.connections.values.reduce(0) { $0 + $1.activeCallCount } }
    }
}
