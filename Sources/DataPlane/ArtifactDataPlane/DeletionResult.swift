public import ArtifactIdentity

/// The outcome of a delete: whether bytes went, and how many.
///
/// Exists so delete can be idempotent (a second delete succeeds with `removed == false`) and
/// still tell garbage collection what it actually reclaimed.
public struct DeletionResult: Sendable, Hashable, Codable {
    /// The address that was deleted.
    public var address: ContentAddress
    /// The backend it was deleted from.
    public var backendID: String
    /// `true` when this call removed the object; `false` when it was not there.
    public var removed: Bool
    /// Bytes removed: the object's size, or 0.
    public var bytesRemoved: UInt64

    public init(address: ContentAddress, backendID: String, removed: Bool, bytesRemoved: UInt64) {
        self.address = address
        self.backendID = backendID
        self.removed = removed
        self.bytesRemoved = bytesRemoved
    }
}
