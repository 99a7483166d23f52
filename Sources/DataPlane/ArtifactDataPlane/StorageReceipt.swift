public import Foundation

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
    /// `true` when a copy was already stored but was damaged (cut short, or failing its proof),
    /// and this ingest's bytes replaced it.
    public var repaired: Bool

    public init(backendID: String, storageKey: String, size: UInt64, storedAt: Date, deduplicated: Bool, repaired: Bool = false) {
        self.backendID = backendID
        self.storageKey = storageKey
        self.size = size
        self.storedAt = storedAt
        self.deduplicated = deduplicated
        self.repaired = repaired
    }

    private enum CodingKeys: String, CodingKey {
        case backendID, storageKey, size, storedAt, deduplicated, repaired
    }

    /// `repaired` may be absent (a daemon from before it existed): then `false`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        backendID = try container.decode(String.self, forKey: .backendID)
        storageKey = try container.decode(String.self, forKey: .storageKey)
        size = try container.decode(UInt64.self, forKey: .size)
        storedAt = try container.decode(Date.self, forKey: .storedAt)
        deduplicated = try container.decode(Bool.self, forKey: .deduplicated)
        repaired = try container.decodeIfPresent(Bool.self, forKey: .repaired) ?? false
    }
}
