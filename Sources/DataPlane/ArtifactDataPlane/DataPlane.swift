public import ArtifactIdentity
public import ArtifactStoreCore
public import Foundation

/// The byte-handling surface the control plane uses: the only way it reads, writes, checks or
/// removes content.
///
/// Exists so the control plane never touches storage itself (DESIGN.md §1) and so the data plane
/// can run in process (`LocalDataPlane`) or as a separate daemon behind a Unix socket, with one
/// contract and one conformance suite (`ArtifactDataPlaneConformance`) for both. Every input and
/// output is a `Codable` value type so a remote implementation can carry it in CBOR.
///
/// Promises every implementation keeps:
/// - `ingest` reads the stream once, computes BLAKE3 and SHA-256 and the size, and stores the
///   bytes under the ``ContentAddress`` of the primary digest. Content already stored is not
///   written twice (``StorageReceipt/deduplicated``). An expected digest or size that differs, a
///   stream that fails, or a cancelled task stores nothing and leaves no temporary behind.
/// - `serve` streams exactly the stored bytes, whole or an inclusive ``ByteRange``. A whole read
///   may be checked against the address on the way out; a ranged read cannot be, so `verify` is
///   the check that the bytes still match their name.
/// - `verify` re-reads and re-digests and changes nothing.
/// - `delete` is idempotent: deleting what is not there succeeds and says nothing was removed.
/// - Every failure is a ``DataPlaneError`` with a stable ``DataPlaneError/Code``.
public protocol DataPlane: Sendable {
    /// Stores the bytes of `stream` under their content address.
    func ingest(_ stream: ByteStream, hints: IngestHints) async throws(DataPlaneError) -> IngestResult

    /// Streams the object at `address`, whole or the inclusive byte `range`, from the backend
    /// `backendID` (the default backend when `nil`).
    ///
    /// Unknown objects are ``DataPlaneError/Code/objectNotFound``; a range past the end is
    /// ``DataPlaneError/Code/rangeNotSatisfiable``; a range that ends before it starts is
    /// ``DataPlaneError/Code/invalidRange``. Errors while iterating are `DataPlaneError`s too.
    func serve(_ address: ContentAddress, range: ByteRange?, backendID: String?) async throws(DataPlaneError) -> ByteStream

    /// Re-reads the object at `address` and re-digests it. Changes nothing.
    func verify(_ address: ContentAddress, backendID: String?) async throws(DataPlaneError) -> VerifyResult

    /// Removes the object at `address`, if it is there.
    func delete(_ address: ContentAddress, backendID: String?) async throws(DataPlaneError) -> DeletionResult

    /// The state of every configured backend, default first. Never throws: a backend that cannot
    /// be reached is reported as such.
    func backendHealth() async -> [BackendStatus]

    /// A short-lived URL from which a client can `GET` the object at `address` straight from
    /// the backend `backendID` keeps it in, minted as of `date`; `nil` when that backend does not
    /// redirect downloads (the default for every data plane and backend but S3 configured with
    /// `redirect=true`). Contacts no storage service and does not check the object exists.
    func downloadRedirect(
        _ address: ContentAddress,
        backendID: String?,
        at date: Date
    ) async throws(DataPlaneError) -> DownloadRedirect?
}

extension DataPlane {
    /// No redirects: every download is served through ``serve(_:range:backendID:)``.
    public func downloadRedirect(
        _ address: ContentAddress,
        backendID: String?,
        at date: Date
    ) async throws(DataPlaneError) -> DownloadRedirect? {
        nil
    }

    /// Ingests with default hints (BLAKE3 primary, default backend, nothing expected).
    public func ingest(_ stream: ByteStream) async throws(DataPlaneError) -> IngestResult {
        try await ingest(stream, hints: IngestHints())
    }

    /// Streams the whole object from the default backend.
    public func serve(_ address: ContentAddress) async throws(DataPlaneError) -> ByteStream {
        try await serve(address, range: nil, backendID: nil)
    }

    /// Verifies the object in the default backend.
    public func verify(_ address: ContentAddress) async throws(DataPlaneError) -> VerifyResult {
        try await verify(address, backendID: nil)
    }

    /// Deletes the object from the default backend.
    public func delete(_ address: ContentAddress) async throws(DataPlaneError) -> DeletionResult {
        try await delete(address, backendID: nil)
    }
}
