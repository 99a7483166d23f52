public import ArtifactIdentity

/// The outcome of re-reading and re-digesting a stored object.
///
/// A mismatch is a result, not an error: the object exists and was read; its bytes no longer
/// match their name (bit rot, tampering), which the caller must act on.
public struct VerifyResult: Sendable, Hashable, Codable {
    /// The address that was checked.
    public var address: ContentAddress
    /// The backend that was read.
    public var backendID: String
    /// `true` when the stored bytes digest to ``address``.
    public var verified: Bool
    /// The digest of the stored bytes under the address's algorithm.
    public var actualPrimaryDigest: Digest
    /// The SHA-256 of the stored bytes.
    public var actualSHA256Digest: Digest
    /// The BLAKE3 of the stored bytes.
    public var actualBLAKE3Digest: Digest
    /// The number of bytes read.
    public var actualSize: UInt64
    /// When not verified, a short explanation naming both digests.
    public var mismatch: String?

    public init(
        address: ContentAddress,
        backendID: String,
        verified: Bool,
        actualPrimaryDigest: Digest,
        actualSHA256Digest: Digest,
        actualBLAKE3Digest: Digest,
        actualSize: UInt64,
        mismatch: String?
    ) {
        self.address = address
        self.backendID = backendID
        self.verified = verified
        self.actualPrimaryDigest = actualPrimaryDigest
        self.actualSHA256Digest = actualSHA256Digest
        self.actualBLAKE3Digest = actualBLAKE3Digest
        self.actualSize = actualSize
        self.mismatch = mismatch
    }
}
