import ArgumentParser
import ArtifactDataPlane
import ArtifactDataPlaneDaemon
import ArtifactDataPlaneLocal
import ArtifactStorage
import ArtifactStorageFactory
import Logging
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
public import Musl
#endif

/// `artifactstore dataplane`: the data plane daemon, serving a `LocalDataPlane` over the given
/// storage backends on a Unix socket (docs/dataplane-protocol.md, docs/operations.md).
///
/// Exit status: 0 after a graceful shutdown (SIGTERM or SIGINT), 2 when an option is invalid
/// (a bad `--backend`, an unknown group, a socket path in use), 1 when serving fails.
struct DataPlaneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataplane",
        abstract: "Run the data plane daemon on a Unix socket.",
        discussion: """
            Serves ingest, serve, verify, delete and backend health over the storage backends given with \
            --backend ID=URL (file:///absolute/path, memory://name, s3://bucket/prefix?…; the first is the default \
            unless --default-backend names another). The socket is created with mode 0600, or 0660 owned by \
            --group. Only peers whose uid (SO_PEERCRED) is this process's own or given with --allow-uid, or whose \
            gid is --group's or given with --allow-gid, are served. SIGTERM or SIGINT stops accepting, lets calls in \
            flight finish (up to --grace-period seconds), removes the socket and exits 0. Invalid options exit 2 \
            with "artifactstore: error: <code>: <message>".
            """
    )

    @Option(name: .long, help: "Path of the Unix socket to create (at most 104 bytes).")
    var socket: String

    @Option(name: .long, help: "A storage backend as ID=URL; repeat for several.")
    var backend: [String] = []

    @Option(name: .long, help: "The backend used when a call names none (default: the first).")
    var defaultBackend: String?

    @Option(name: .long, help: "Give the socket this group (name or number) and mode 0660, and allow its members.")
    var group: String?

    @Option(name: .long, help: "Also allow peers with this uid; repeat for several.")
    var allowUid: [UInt32] = []

    @Option(name: .long, help: "Also allow peers with this gid; repeat for several.")
    var allowGid: [UInt32] = []

    @Option(name: .long, help: "Seconds calls in flight may run after SIGTERM before they are cancelled.")
    var gracePeriod: Int = 10

    @Option(name: .long, help: "Seconds a call may wait on its peer before the connection is closed.")
    var stallTimeout: Int = 60

    func run() async throws {
        let logger = Logger(label: "artifactstore.dataplane", factory: { StreamLogHandler.standardError(label: $0) })
        let daemon: DataPlaneDaemon
        do {
            daemon = try makeDaemon(logger: logger)
        } catch {
            reportError(error)
            throw ExitCode(2)
        }
        // The daemon owns the backends, so it also cleans up what interrupted ingests left in them.
        var services: [any Service] = [daemon]
        if let local = daemon.dataPlane as? LocalDataPlane { services.append(local.temporarySweepService()) }
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        let running = Task { try await group.run() }
        do {
            try await daemon.waitUntilListening()
        } catch {
            reportError(error)
            running.cancel()
            _ = try? await running.value
            throw ExitCode(2)
        }
        do {
            try await running.value
        } catch {
            reportError(error)
            throw ExitCode(1)
        }
    }

    func makeDaemon(logger: Logger) throws -> DataPlaneDaemon {
        guard !backend.isEmpty else {
            throw CLIError(code: .invalidBackendArgument, "at least one --backend ID=URL is required")
        }
        let factory = StorageFactory(logger: logger)
        var backends: [LocalDataPlane.Backend] = []
        for argument in backend {
            guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
                throw CLIError(code: .invalidBackendArgument, "--backend \"\(argument)\" is not ID=URL (e.g. main=file:///srv/artifacts)")
            }
            let id = String(argument[..<equals])
            let url = String(argument[argument.index(after: equals)...])
            backends.append(.init(id: id, connector: try factory.connector(for: url)))
        }
        let dataPlane = try LocalDataPlane(backends: backends, defaultBackendID: defaultBackend, logger: logger)
        var allowList = PeerAllowList(uids: Set([getuid()] + allowUid), gids: Set(allowGid))
        var socketGroup: UInt32?
        if let group {
            let gid = try Self.groupID(group)
            socketGroup = gid
            allowList.gids.insert(gid)
        }
        guard gracePeriod >= 0, stallTimeout > 0 else {
            throw CLIError(code: .invalidArgument, "--grace-period must be 0 or more and --stall-timeout more than 0 seconds")
        }
        let configuration = DataPlaneDaemon.Configuration(
            socketPath: socket,
            socketGroup: socketGroup,
            allowList: allowList,
            stallTimeout: .seconds(stallTimeout),
            shutdownGracePeriod: .seconds(gracePeriod)
        )
        return DataPlaneDaemon(dataPlane: dataPlane, configuration: configuration, logger: logger)
    }

    /// A group name or number as a gid.
    static func groupID(_ text: String) throws -> UInt32 {
        if let number = UInt32(text) { return number }
        guard let entry = getgrnam(text) else {
            throw DataPlaneDaemonError(.invalidConfiguration, "--group \"\(text)\" names no group")
        }
        return entry.pointee.gr_gid
    }
}
