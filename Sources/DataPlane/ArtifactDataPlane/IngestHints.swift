public import ArtifactIdentity

/// What the caller knows about a stream before it is ingested.
///
/// Exists so a client that promised a digest or a size (an OCI push names its digest up front, an
/// HTTP upload has a `Content-Length`) gets that promise checked in the same pass that stores the
/// bytes, and so the caller can pick the primary algorithm and the backend.
public struct IngestHints: Sendable, Hashable, Codable {
    /// The expected size, for pre-allocation or upload strategy only; never checked.
    public var sizeHint: UInt64?
    /// The digest that names the stored object: BLAKE3 (default) or SHA-256.
    public var primaryAlgorithm: DigestAlgorithm
    /// The backend to store into; the default backend when `nil`.
    public var backendID: String?
    /// A digest the bytes must have, in either algorithm. A mismatch stores nothing.
    public var expectedDigest: Digest?
    /// The exact size the bytes must have. A mismatch stores nothing; a stream that runs past it
    /// is stopped as soon as it does.
    public var expectedSize: UInt64?

    public init(
        sizeHint: UInt64? = nil,
        primaryAlgorithm: DigestAlgorithm = .blake3,
        backendID: String? = nil,
        expectedDigest: Digest? = nil,
        expectedSize: UInt64? = nil
    ) {
        self.sizeHint = sizeHint
        self.primaryAlgorithm = primaryAlgorithm
        self.backendID = backendID
        self.expectedDigest = expectedDigest
        self.expectedSize = expectedSize
    }
}
