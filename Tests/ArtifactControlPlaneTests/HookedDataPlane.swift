import ArtifactDataPlane
import ArtifactDataPlaneLocal
import ArtifactIdentity
import ArtifactStoreCore
import Synchronization

/// The real in-process data plane with interpositions: a hook that runs after an ingest has
/// stored (or deduplicated) its bytes and before the control plane hears of it, hooks that run
/// before the next verify or delete, and deletes that fail as an unreachable backend's would.
///
/// Exists to put a garbage collection exactly into that window, and to leave a collection half
/// done, deterministically, which the stress test only reaches by chance.
final class HookedDataPlane: DataPlane {
    let base: LocalDataPlane
    private let hook = Mutex<(@Sendable (IngestResult) async -> Void)?>(nil)
    private let failingDeletes = Mutex(0)
    private let verifyHook = Mutex<(@Sendable (ContentAddress) async -> Void)?>(nil)
    private let deleteHook = Mutex<(@Sendable (ContentAddress) async -> Void)?>(nil)
    private let afterVerifyHook = Mutex<(@Sendable (ContentAddress) async -> Void)?>(nil)

    init(_ base: LocalDataPlane) {
        self.base = base
    }

    /// Runs `body` once, after the next ingest.
    func afterNextIngest(_ body: @escaping @Sendable (IngestResult) async -> Void) {
        hook.withLock { $0 = body }
    }

    /// Runs `body` once, before the next verify reads its object (a scrub between listing and reading).
    func beforeNextVerify(_ body: @escaping @Sendable (ContentAddress) async -> Void) {
        verifyHook.withLock { $0 = body }
    }

    /// Runs `body` once, after the next verify has read its object and before its caller hears
    /// the result (a reconciler between an ingest's re-verification and its revival).
    func afterNextVerify(_ body: @escaping @Sendable (ContentAddress) async -> Void) {
        afterVerifyHook.withLock { $0 = body }
    }

    /// Runs `body` once, before the next delete (a collection mid-sweep, holding its lock).
    func beforeNextDelete(_ body: @escaping @Sendable (ContentAddress) async -> Void) {
        deleteHook.withLock { $0 = body }
    }

    /// Makes the next `count` deletes fail as an unreachable backend would.
    func failNextDeletes(_ count: Int) {
        failingDeletes.withLock { $0 = count }
    }

    func ingest(_ stream: ByteStream, hints: IngestHints) async throws(DataPlaneError) -> IngestResult {
        let result = try await base.ingest(stream, hints: hints)
        if let body = hook.withLock({ hook in
            defer { hook = nil }
            return hook
        }) {
            await body(result)
        }
        return result
    }

    func serve(_ address: ContentAddress, range: ByteRange?, backendID: String?) async throws(DataPlaneError) -> ByteStream {
        try await base.serve(address, range: range, backendID: backendID)
    }

    func verify(_ address: ContentAddress, backendID: String?) async throws(DataPlaneError) -> VerifyResult {
        if let body = verifyHook.withLock({ hook in
            defer { hook = nil }
            return hook
        }) {
            await body(address)
        }
        let result = try await base.verify(address, backendID: backendID)
        if let body = afterVerifyHook.withLock({ hook in
            defer { hook = nil }
            return hook
        }) {
            await body(address)
        }
        return result
    }

    func delete(_ address: ContentAddress, backendID: String?) async throws(DataPlaneError) -> DeletionResult {
        if let body = deleteHook.withLock({ hook in
            defer { hook = nil }
            return hook
        }) {
            await body(address)
        }
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

/// The listing passes through untouched: the reconciler sees the real backends.
extension HookedDataPlane: StoredObjectInventory {
    func inventoryBackendIDs() async throws(DataPlaneError) -> [String] { try await base.inventoryBackendIDs() }

    func storedObjects(
        _ kind: StoredObject.Kind,
        backendID: String,
        cursor: String?,
        limit: Int
    ) async throws(DataPlaneError)
        -> StoredObjectPage
    {
        try await base.storedObjects(kind, backendID: backendID, cursor: cursor, limit: limit)
    }

    func contains(_ address: ContentAddress, backendID: String) async throws(DataPlaneError) -> Bool {
        try await base.contains(address, backendID: backendID)
    }

    func deleteOutboard(of address: ContentAddress, backendID: String) async throws(DataPlaneError) -> Bool {
        try await base.deleteOutboard(of: address, backendID: backendID)
    }
}
