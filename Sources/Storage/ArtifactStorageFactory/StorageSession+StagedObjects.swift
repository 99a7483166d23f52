public import ArtifactStorage
public import ArtifactStoreCore

/// Staged objects go to the wrapped backend's own implementation (an in-place append on a
/// filesystem, server-side composition on S3), logged like every other operation.
extension StorageSession {
    public func appendStaged(_ path: StoragePath, at offset: UInt64, from bytes: ByteStream) async throws(StorageError) -> UInt64 {
        try await logged("appendStaged", ["storage.path": path.string, "storage.offset": "\(offset)"]) { () async throws(StorageError) in
            try await backend.appendStaged(path, at: offset, from: bytes)
        }
    }

    public func stagedLength(_ path: StoragePath) async throws(StorageError) -> UInt64? {
        try await logged("stagedLength", ["storage.path": path.string]) { () async throws(StorageError) in
            try await backend.stagedLength(path)
        }
    }

    public func readStaged(_ path: StoragePath, range: ClosedRange<UInt64>?) async throws(StorageError) -> ByteStream {
        try await logged("readStaged", ["storage.path": path.string]) { () async throws(StorageError) in
            try await backend.readStaged(path, range: range)
        }
    }

    @discardableResult
    public func commitStaged(
        _ path: StoragePath,
        length: UInt64,
        to destination: StoragePath,
        options: StorageWriteOptions
    )
        async throws(StorageError) -> StorageObjectInfo
    {
        let details = ["storage.path": path.string, "storage.destination": destination.string, "storage.length": "\(length)"]
        return try await logged("commitStaged", details) { () async throws(StorageError) in
            try await backend.commitStaged(path, length: length, to: destination, options: options)
        }
    }

    public func discardStaged(_ path: StoragePath) async throws(StorageError) {
        try await logged("discardStaged", ["storage.path": path.string]) { () async throws(StorageError) in
            try await backend.discardStaged(path)
        }
    }
}
