import ArtifactIdentity
public import ArtifactStoreCore

/// A data plane that can ingest one object arriving in pieces, hashing each piece as it arrives
/// and composing the object without reading and writing it a second time.
///
/// Exists for resumable uploads (OCI `PATCH`es): storing each piece as an object of its own and
/// re-ingesting them all at the end reads and writes every byte twice, which made a chunked
/// upload several times slower than a monolithic one. A data plane that cannot do this (a remote
/// one) does not conform, and its callers keep storing pieces as objects.
///
/// Promises every implementation keeps:
/// - A piece is durable when ``appendStaged(_:at:_:hints:)`` returns; `offset` must be the
///   staged length the caller recorded (bytes past it that an unacknowledged append left are
///   dropped). An `offset` past what is staged, or an append while another to the same stage is
///   in progress, is ``DataPlaneError/Code/rangeNotSatisfiable`` and stores nothing.
/// - The digests are kept with the stage in the process that received the pieces; any other
///   process (after a restart, or another node sharing the backend) re-hashes the staged prefix
///   from storage first, so the result never depends on where a piece arrived.
/// - ``commitStaged(_:length:hints:)`` checks the hints' expected size and digest against the
///   first `length` bytes exactly as ``DataPlane/ingest(_:hints:)`` does (a mismatch stores
///   nothing and keeps the stage), then stores them under their content address and ends the
///   stage.
public protocol StagedIngesting: DataPlane {
    /// Appends `stream` to the stage `name` from byte `offset` (0 starts it) in the backend the
    /// hints name; returns the staged length. The hints' `expectedSize` is this piece's size.
    func appendStaged(_ name: String, at offset: UInt64, _ stream: ByteStream, hints: IngestHints) async throws(DataPlaneError) -> UInt64

    /// Streams the first `length` bytes of the stage `name` (for a check the data plane does not
    /// compute, such as SHA-512).
    func readStaged(_ name: String, length: UInt64, backendID: String?) async throws(DataPlaneError) -> ByteStream

    /// Stores the first `length` bytes of the stage `name` under their content address, and ends it.
    func commitStaged(_ name: String, length: UInt64, hints: IngestHints) async throws(DataPlaneError) -> IngestResult

    /// Ends the stage `name` without storing it; succeeds when there is none.
    func discardStaged(_ name: String, backendID: String?) async throws(DataPlaneError)
}
