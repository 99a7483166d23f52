import ArtifactDataPlane
import ArtifactIdentity
import ArtifactStorage

/// A whole object opened read-only for a reader in another process (see
/// ``LocalDataPlane/openDescriptor(_:backendID:)``).
package struct DescriptorServe: Sendable {
    /// The object's file, read-only; closed when the last copy of this value is gone.
    package var file: OpenedStorageFile
    /// The backend the object was opened in (the default resolved).
    package var backendID: String
    /// Whether this data plane proves whole reads (``LocalDataPlane/Configuration/verifiesFullReads``);
    /// the reader must then prove the bytes the same way before it hands out the last of them.
    package var provesReads: Bool

    package init(file: OpenedStorageFile, backendID: String, provesReads: Bool) {
        self.file = file
        self.backendID = backendID
        self.provesReads = provesReads
    }
}

extension LocalDataPlane {
    /// Opens the whole object at `address` read-only, for the data plane daemon to pass its
    /// descriptor to a client, when the backend's objects are local files
    /// (``StorageDescriptorOpening``); `nil` for other backends, which are streamed instead.
    ///
    /// Only the object's own path, resolved beneath the backend's root like every read, is
    /// opened. Fails as ``serve(_:range:backendID:)`` would: `unknownBackend`,
    /// `backendUnavailable`, `objectNotFound`, or the storage error.
    package func openDescriptor(_ address: ContentAddress, backendID: String?) async throws(DataPlaneError) -> DescriptorServe? {
        let (backendID, backend) = try await backend(for: backendID)
        guard let opening = backend as? any StorageDescriptorOpening else { return nil }
        do {
            let file = try await opening.openForReading(Self.path(of: address))
            return DescriptorServe(file: file, backendID: backendID, provesReads: configuration.verifiesFullReads)
        } catch where error.kind == .objectNotFound {
            throw .objectNotFound(address, backendID: backendID, underlying: error)
        } catch {
            throw .storage(error, "read \(address)", backendID: backendID)
        }
    }
}
