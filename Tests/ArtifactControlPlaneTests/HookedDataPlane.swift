import ArtifactDataPlane
import ArtifactDataPlaneLocal
import ArtifactIdentity
import ArtifactStoreCore
import Synchronization

/// The real in-process data plane with one interposition: a hook that runs after an ingest has
/// stored (or deduplicated) its bytes and before the control plane hears of it.
///
/// Exists to put a garbage collection exactly into that window, deterministically, which the
/// stress test only reaches by chance.
final class HookedDataPlane: DataPlane {
    let base: LocalDataPlane
    private let hook = Mutex<(@Sendable (IngestResult) async -> Void)?>(nil)

    init(_ base: LocalDataPlane) {
        self.base = base
    }

    /// Runs `body` once, after the next ingest.
    func afterNextIngest(_ body: @escaping @Sendable (IngestResult) async -> Void) {
        hook.withLock { $0 = body }
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
        try await base.delete(address, backendID: backendID)
    }

    func backendHealth() async -> [BackendStatus] {
        await base.backendHealth()
    }
}
