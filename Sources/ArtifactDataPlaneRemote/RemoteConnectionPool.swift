import ArtifactDataPlane
import ArtifactDataPlaneWire
import Logging
import NIOCore
import Synchronization

/// A few connections to one daemon, shared by every call of a ``RemoteDataPlane``.
///
/// A call goes to an idle connection if there is one, else to a new connection while fewer than
/// ``maximumConnections`` exist, else to the least busy one below the daemon's per-connection
/// call limit; when every connection is full it waits for a slot (polling every millisecond:
/// a notification on release would be better). Closed connections are
/// dropped and replaced on demand.
final class RemoteConnectionPool: Sendable {
    private struct State {
        var connections: [RemoteConnection] = []
        var connecting = 0
        var shutDown = false
    }

    let socketPath: String
    let maximumConnections: Int
    let group: any EventLoopGroup
    let limits: WireLimits
    let logger: Logger
    private let state = Mutex(State())

    init(socketPath: String, maximumConnections: Int, group: any EventLoopGroup, limits: WireLimits, logger: Logger) {
        self.socketPath = socketPath
        self.maximumConnections = max(1, maximumConnections)
        self.group = group
        self.limits = limits
        self.logger = logger
    }

    private enum Choice {
        case call(RemoteCall)
        case connect
        case wait
        case shutDown
        case failed(DataPlaneWireError)
    }

    /// Opens a call with `request` on some connection, connecting first if needed.
    func open(_ request: WireRequest) async throws(DataPlaneError) -> RemoteCall {
        while true {
            let choice = state.withLock { state -> Choice in
                guard !state.shutDown else { return .shutDown }
                state.connections.removeAll { $0.isClosed }
                let byLoad = state.connections.sorted { $0.activeCalls < $1.activeCalls }
                let canConnect = state.connections.count + state.connecting < maximumConnections
                for connection in byLoad where connection.activeCalls == 0 || !canConnect {
                    switch Result(catching: { () throws(DataPlaneWireError) -> RemoteCall? in try connection.open(request) }) {
                    case .success(let call?): return .call(call)
                    case .success(nil): continue
                    case .failure(let error): return .failed(error)
                    }
                }
                if canConnect {
                    state.connecting += 1
                    return .connect
                }
                return .wait
            }
            switch choice {
            case .call(let call):
                return call
            case .failed(let error):
                throw .unavailable(error)
            case .shutDown:
                throw .unavailable(DataPlaneWireError(.connectionFailed, "the remote data plane for \"\(socketPath)\" has been shut down"))
            case .wait:
                do {
                    try await Task.sleep(for: .milliseconds(1))
                } catch {
                    throw DataPlaneError(.cancelled, "waiting for a connection to the data plane daemon was cancelled")
                }
            case .connect:
                let connection: RemoteConnection
                do {
                    connection = try await RemoteConnection.connect(socketPath: socketPath, group: group, limits: limits, logger: logger)
                } catch {
                    state.withLock { $0.connecting -= 1 }
                    throw error
                }
                let added = state.withLock { state -> Bool in
                    state.connecting -= 1
                    if state.shutDown { return false }
                    state.connections.append(connection)
                    return true
                }
                if !added { connection.close() }
            }
        }
    }

    /// Closes every connection; later calls fail with `dataPlaneUnavailable`.
    func shutdown() {
        let connections = state.withLock { state in
            state.shutDown = true
            defer { state.connections = [] }
            return state.connections
        }
        for connection in connections { connection.close() }
    }
}
