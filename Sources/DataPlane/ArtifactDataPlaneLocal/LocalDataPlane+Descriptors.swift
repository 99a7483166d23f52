package import ArtifactDataPlane
package import ArtifactIdentity
package import ArtifactStorage

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
    /// Whether this data plane has already proved the bytes of the file as opened (its stamp is
    /// one it recorded after hashing them or writing them) and still trusts that proof: a reader
    /// may then prove its read by the stamp, as an in-process whole read would.
    package var provedByStamp: Bool

    package init(file: OpenedStorageFile, backendID: String, provesReads: Bool, provedByStamp: Bool = false) {
        self.file = file
        self.backendID = backendID
        self.provesReads = provesReads
        self.provedByStamp = provedByStamp
    }
}

extension LocalDataPlane {
    /// Opens the whole object at `address` read-only, for the data plane daemon to pass its
    /// descriptor to a client, when the backend's objects are local files
    /// (``StorageDescriptorOpening``); `nil` for other backends, which are streamed instead.
    ///
    /// Only the object's own path, resolved beneath the backend's root like every read, is
    /// opened. ``DescriptorServe/provedByStamp`` says whether this data plane would prove a
    /// whole read of it by its stamp now (the stamp it recorded when it wrote or last hashed it).
    /// Fails as ``serve(_:range:backendID:)`` would: `unknownBackend`,
    /// `backendUnavailable`, `objectNotFound`, or the storage error.
    package func openDescriptor(_ address: ContentAddress, backendID: String?) async throws(DataPlaneError) -> DescriptorServe? {
        let (backendID, backend) = try await backend(for: backendID)
        guard let opening = backend as? any StorageDescriptorOpening else { return nil }
        do {
            let file = try await opening.openForReading(Self.path(of: address))
            let proves = configuration.verifiesFullReads
            let trusted = proves && provedReads.trusts(VerifiedStamps.Key(backendID: backendID, address: address), file.stamp)
            return DescriptorServe(file: file, backendID: backendID, provesReads: proves, provedByStamp: trusted)
        } catch  where error.kind == .objectNotFound {
            throw .objectNotFound(address, backendID: backendID, underlying: error)
        } catch {
            throw .storage(error, "read \(address)", backendID: backendID)
        }
    }
}
