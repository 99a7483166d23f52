import Foundation

/// Proof that an object is stored: which backend, under which key, how big, since when, and
/// whether this ingest wrote it or found it already there.
public struct StorageReceipt: Sendable, Hashable, Codable {
    /// The backend that holds the object.
    public var backendID: String
    /// The object's key inside that backend (`blobs/<algorithm>/ab/cd/<hex>`).
    public var storageKey: String
    /// Size of the stored object in bytes.
    public var size: UInt64
    /// When the stored object was written (the backend's modification time).
    public var storedAt: Date
    /// `true` when the object was already stored and this ingest wrote nothing.
    public var deduplicated: Bool

    public init(backendID: String, storageKey: String, size: UInt64, storedAt: Date, deduplicated: Bool) {
        self.backendID = backendID
        self.storageKey = storageKey
        self.size = size
        self.storedAt = storedAt
        self.deduplicated = deduplicated
    }
}
