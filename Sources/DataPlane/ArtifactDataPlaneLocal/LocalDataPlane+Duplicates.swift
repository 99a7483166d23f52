import ArtifactIdentity
import ArtifactStorage

extension LocalDataPlane {
    /// The copy already stored under `address` (at `path`, ``path(of:)``), for an ingest of
    /// `size` bytes that found it there, once it is safe to acknowledge: it has that size, proves to be the address's
    /// (``storedCopyProves(_:backendID:backend:)``), and is made durable
    /// (``StorageBackend/makeDurable(_:)``), since the ingest that wrote it may not have made its
    /// name durable yet. `nil` when it is damaged (logged here), and the caller's own bytes must
    /// replace it.
    func durableStoredCopy(
        of address: ContentAddress,
        at path: StoragePath,
        size: UInt64,
        backendID: String,
        backend: any StorageBackend
    ) async throws(StorageError) -> StorageObjectInfo? {
        let existing = try await backend.stat(path)
        guard existing.size == size, await storedCopyProves(address, backendID: backendID, backend: backend) else {
            logReplacingDamaged(address, backendID: backendID, storedSize: existing.size, size: size)
            return nil
        }
        try await backend.makeDurable(path)
        return existing
    }
}
