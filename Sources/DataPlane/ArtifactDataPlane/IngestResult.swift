public import ArtifactIdentity

/// What an ingest produced: both digests, the size, and where the bytes are.
///
/// The control plane records these in its metadata; ``address`` is what it later passes to
/// `serve`, `verify` and `delete`.
public struct IngestResult: Sendable, Hashable, Codable {
    /// The digest under the requested primary algorithm; it names the object.
    public var primaryDigest: Digest
    /// The SHA-256 digest (equal to ``primaryDigest`` when SHA-256 is primary).
    public var sha256Digest: Digest
    /// The BLAKE3 digest (equal to ``primaryDigest`` when BLAKE3 is primary).
    public var blake3Digest: Digest
    /// Number of bytes ingested.
    public var size: UInt64
    /// Where and when the bytes were stored.
    public var receipt: StorageReceipt

    public init(primaryDigest: Digest, sha256Digest: Digest, blake3Digest: Digest, size: UInt64, receipt: StorageReceipt) {
        self.primaryDigest = primaryDigest
        self.sha256Digest = sha256Digest
        self.blake3Digest = blake3Digest
        self.size = size
        self.receipt = receipt
    }

    /// The content address of the stored object.
    public var address: ContentAddress { ContentAddress(primaryDigest) }
}
