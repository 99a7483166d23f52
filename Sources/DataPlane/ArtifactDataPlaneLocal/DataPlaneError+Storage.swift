import ArtifactDataPlane
import ArtifactIdentity
import ArtifactStorage

extension DataPlaneError {
    /// A storage failure with no more specific data-plane meaning: `backendUnavailable` when the
    /// backend cannot be reached, `storage` otherwise, keeping the storage code in the message
    /// and the `StorageError` as ``underlying``.
    static func storage(_ error: StorageError, _ doing: String, backendID: String) -> DataPlaneError {
        let kind: Code = error.kind == .unreachable ? .backendUnavailable : .storage
        return DataPlaneError(
            kind,
            "backend \"\(backendID)\" failed to \(doing): \(error.code): \(error.message)",
            backendID: backendID,
            underlying: error
        )
    }

    /// Any error met while streaming a stored object.
    static func reading(_ error: any Error, _ address: ContentAddress, backendID: String) -> DataPlaneError {
        if let error = error as? DataPlaneError { return error }
        if let error = error as? StorageError {
            if error.kind == .objectNotFound {
                return .objectNotFound(address, backendID: backendID, underlying: error)
            }
            return .storage(error, "read \(address)", backendID: backendID)
        }
        if error is CancellationError {
            return DataPlaneError(
                .cancelled,
                "reading \(address) from backend \"\(backendID)\" was cancelled",
                backendID: backendID,
                underlying: error
            )
        }
        return DataPlaneError(
            .storage,
            "reading \(address) from backend \"\(backendID)\" failed: \(error)",
            backendID: backendID,
            underlying: error
        )
    }

    static func objectNotFound(_ address: ContentAddress, backendID: String, underlying: (any Error)? = nil) -> DataPlaneError {
        DataPlaneError(.objectNotFound, "no object \(address) in backend \"\(backendID)\"", backendID: backendID, underlying: underlying)
    }
}
