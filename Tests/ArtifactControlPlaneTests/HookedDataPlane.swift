import ArtifactDataPlane
import ArtifactDataPlaneLocal
import ArtifactIdentity
import ArtifactStoreCore
import Synchronization

/// The real in-process data plane with two interpositions: a hook that runs after an ingest has
/// stored (or deduplicated) its bytes and before the control plane hears of it, and deletes that
/// fail as an unreachable backend's would.
///
/// Exists to put a garbage collection exactly into that window, and to leave a collection half
/// done, deterministically, which the stress test only reaches by chance.
final class HookedDataPlane: DataPlane {
    let base: LocalDataPlane
    private let hook = Mutex<(@Sendable (IngestResult) async -> Void)?>(nil)
    private let failingDeletes = Mutex(0)

    init(_ base: LocalDataPlane) {
        self.base = base
    }

    /// Runs `body` once, after the next ingest.
    func afterNextIngest(_ body: @escaping @Sendable (IngestResult) async -> Void) {
        hook.withLock { $0 = body }
    }

    /// Makes the next `count` deletes fail as an unreachable backend would.
    func failNextDeletes(_ count: Int) {
        failingDeletes.withLock { $0 = count }
    }

    func ingest(_ stream: ByteStream, hints: IngestHints) async throws(DataPlaneError) -> IngestResult {
        let result = try await base.ingest(stream, hints: hints)
        if let body = hook.withLock({ hook in defer { hook = nil }; return hook }) {
            await body(result)
        }
        return result
    }

    func serve(_ address: ContentAddress, range: ByteRange?, backendID: String?) async throws(DataPlaneError) -> ByteStream {
        try await base.serve(address, range: range, backendID: backendID)
    }

    func verify(_ address: ContentAddress, backendID: String?) async throws(DataPlaneError) -> VerifyResult {
        try await base.verify(address, backendID: backendID)
    }

    func delete(_ address: ContentAddress, backendID: String?) async throws(DataPlaneError) -> DeletionResult {
        let fails = failingDeletes.withLock { remaining in
            defer { remaining = max(0, remaining - 1) }
            return remaining > 0
        }
        if fails {
            throw DataPlaneError(.backendUnavailable, "backend \(backendID ?? "default") is unreachable (test)", backendID: backendID)
        }
        return try await base.delete(address, backendID: backendID)
    }

    func backendHealth() async -> [BackendStatus] {
        await base.backendHealth()
    }
}
