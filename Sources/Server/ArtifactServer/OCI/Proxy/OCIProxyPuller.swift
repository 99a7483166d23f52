import ArtifactControlPlane
import ArtifactIdentity
import ArtifactOCI
import Foundation
import Synchronization

/// The process's pull-through state: the upstream blob fetches in flight, one per namespace and
/// digest, and the upstream tokens.
///
/// Exists so concurrent pulls of one blob share one upstream fetch and store it once: the first
/// pull starts the fetch (a task of its own, which the client going away does not cancel, so the
/// blob is stored for the next pull) and streams it through an ``OCIProxyRelay``; the others
/// wait for the fetch to be stored and serve it from the store. Several servers on one
/// database each fetch at most once; the data plane stores the bytes once whatever the count.
final class OCIProxyPuller: Sendable {
    struct FlightKey: Hashable, Sendable {
        var namespace: String
        var digest: String
    }

    private struct Flight: Sendable {
        var id: UUID
        var task: Task<LinkedBlob, any Error>
    }

    let tokens = OCIUpstreamTokens()
    private let flights = Mutex([FlightKey: Flight]())
    private let fetches = Atomic<Int>(0)

    /// Upstream blob fetches started by this process (the tests' and the logs' single-flight check).
    var upstreamBlobFetches: Int { fetches.load(ordering: .relaxed) }

    /// Joins the fetch of `key` in flight, or starts `fetch` as a new one; `started` says which.
    func flight(
        _ key: FlightKey,
        fetch: @escaping @Sendable () async throws -> LinkedBlob
    ) -> (task: Task<LinkedBlob, any Error>, started: Bool) {
        flights.withLock { flights in
            if let running = flights[key] { return (running.task, false) }
            let id = UUID()
            let task = Task {
                defer { self.land(key, id) }
                self.fetches.add(1, ordering: .relaxed)
                return try await fetch()
            }
            flights[key] = Flight(id: id, task: task)
            return (task, true)
        }
    }

    private func land(_ key: FlightKey, _ id: UUID) {
        flights.withLock { flights in
            if flights[key]?.id == id { flights[key] = nil }
        }
    }
}
