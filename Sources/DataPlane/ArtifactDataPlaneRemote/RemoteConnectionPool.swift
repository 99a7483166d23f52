import ArtifactDataPlane
import ArtifactDataPlaneWire
import Logging
import NIOCore
import Synchronization

/// A few connections to one daemon, shared by every call of a ``RemoteDataPlane``.
///
/// A call goes to an idle connection if there is one, else to a new connection while fewer than
/// ``maximumConnections`` exist, else to the least busy one below the daemon's per-connection
/// call limit; when every connection is full it waits until a connection frees a slot or ends.
/// Closed connections are dropped and replaced on demand.
final class RemoteConnectionPool: Sendable {
    private struct State {
        var connections: [RemoteConnection] = []
        var connecting = 0
        var shutDown = false
        /// Counts freed slots, so a caller that found none can tell whether one freed since.
        var generation: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
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
        case wait(generation: UInt64)
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
                return .wait(generation: state.generation)
            }
            switch choice {
            case .call(let call):
                return call
            case .failed(let error):
                throw .unavailable(error)
            case .shutDown:
                throw .unavailable(DataPlaneWireError(.connectionFailed, "the remote data plane for \"\(socketPath)\" has been shut down"))
            case .wait(let generation):
                await waitForSlot(after: generation)
                if Task.isCancelled {
                    throw DataPlaneError(.cancelled, "waiting for a connection to the data plane daemon was cancelled")
                }
            case .connect:
                let connection: RemoteConnection
                do {
                    connection = try await RemoteConnection.connect(
                        socketPath: socketPath,
                        group: group,
                        limits: limits,
                        logger: logger,
                        slotFreed: { [weak self] in self?.slotFreed() }
                    )
                } catch {
                    state.withLock { $0.connecting -= 1 }
                    slotFreed()
                    throw error
                }
                let added = state.withLock { state -> Bool in
                    state.connecting -= 1
                    if state.shutDown { return false }
                    state.connections.append(connection)
                    return true
                }
                if !added { connection.close() }
                // Callers waiting while this connection was being made may use it too.
                slotFreed()
            }
        }
    }

    /// Wakes every waiting caller to look again.
    func slotFreed() {
        let waiters = state.withLock { state in
            state.generation &+= 1
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns when a slot freed after `generation` (at once if one already did), or when the
    /// task is cancelled.
    private func waitForSlot(after generation: UInt64) async {
        let id = state.withLock { state in
            defer { state.nextWaiter &+= 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state -> Bool in
                    if state.generation != generation || state.shutDown || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
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
        slotFreed()
    }
}
