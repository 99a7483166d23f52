public import ArtifactDataPlane
public import ArtifactIdentity
public import ArtifactStoreCore

/// A test's wrapper around the real data plane that changes one operation and forwards the
/// rest, so each wrapper states only what it changes (wrappers, not mocks: the bytes are real).
public protocol WrappingDataPlane: DataPlane {
    var base: any DataPlane { get }
}

extension WrappingDataPlane {
    public func ingest(_ stream: ByteStream, hints: IngestHints) async throws(DataPlaneError) -> IngestResult {
        try await base.ingest(stream, hints: hints)
    }

    public func serve(_ address: ContentAddress, range: ByteRange?, backendID: String?) async throws(DataPlaneError) -> ByteStream {
        try await base.serve(address, range: range, backendID: backendID)
    }

    public func verify(_ address: ContentAddress, backendID: String?) async throws(DataPlaneError) -> VerifyResult {
        try await base.verify(address, backendID: backendID)
    }

    public func delete(_ address: ContentAddress, backendID: String?) async throws(DataPlaneError) -> DeletionResult {
        try await base.delete(address, backendID: backendID)
    }

    public func backendHealth() async -> [BackendStatus] {
        await base.backendHealth()
    }
}
