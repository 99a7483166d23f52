public import ArtifactIdentity

/// One stored blob whose bytes no longer match their address.
public struct ScrubFinding: Sendable, Hashable, Codable {
    public var address: ContentAddress
    public var backendID: String
    /// What the data plane found (both digests), or why the blob could not be read.
    public var mismatch: String

    public init(address: ContentAddress, backendID: String, mismatch: String) {
        self.address = address
        self.backendID = backendID
        self.mismatch = mismatch
    }
}
