import ArtifactDataPlane
import ArtifactDataPlaneConformance
import ArtifactDataPlaneDaemon
import ArtifactDataPlaneRemote
import ArtifactDataPlaneTestSupport
import ArtifactStoreTestSupport
import Foundation
import Logging
import ServiceLifecycle

/// A real `DataPlaneDaemon` on a real Unix socket, in this process, run by a `ServiceGroup`
/// exactly as the `artifactstore dataplane` command runs it.
final class DaemonHarness: Sendable {
    let socketPath: String
    let daemon: DataPlaneDaemon
    let group: ServiceGroup
    let task: Task<Void, any Error>

    /// A socket path short enough for `sun_path`, unique to this harness.
    static func freshSocketPath() -> String {
        "/tmp/asdp-\(UUID().uuidString.prefix(13).lowercased()).sock"
    }

    /// Starts serving `dataPlane` and returns once the socket is in place.
    init(
        serving dataPlane: any DataPlane,
        socketPath: String = DaemonHarness.freshSocketPath(),
        configure: (inout DataPlaneDaemon.Configuration) -> Void = { _ in }
    ) async throws {
        var configuration = DataPlaneDaemon.Configuration(socketPath: socketPath)
        configure(&configuration)
        self.socketPath = socketPath
        let daemon = DataPlaneDaemon(dataPlane: dataPlane, configuration: configuration, logger: TestLogs.silent)
        let group = ServiceGroup(services: [daemon], logger: TestLogs.silent)
        self.daemon = daemon
        self.group = group
        self.task = Task { try await group.run() }
        try await daemon.waitUntilListening()
    }

    /// Graceful shutdown, as SIGTERM would do it; returns when the daemon has stopped.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.value
    }
}

enum RemoteSubjects {
    /// The same subject, with its data plane served by a daemon and used through
    /// `RemoteDataPlane`; the hooks still reach the daemon's storage directly.
    /// `observe` sees the client, so a test can ask it afterwards how it served.
    static func through(
        _ local: DataPlaneConformanceSubject,
        observe: (RemoteDataPlane) -> Void = { _ in }
    ) async throws -> DataPlaneConformanceSubject {
        let harness = try await DaemonHarness(serving: local.dataPlane)
        let remote = RemoteDataPlane(socketPath: harness.socketPath, logger: TestLogs.silent)
        observe(remote)
        return DataPlaneConformanceSubject(
            dataPlane: remote,
            defaultBackendID: local.defaultBackendID,
            otherBackendID: local.otherBackendID,
            storedObjects: local.storedObjects,
            corruptByte: local.corruptByte,
            takeAway: local.takeAway,
            tearDown: {
                remote.shutdown()
                try await harness.stop()
                try await local.tearDown()
            }
        )
    }
}
