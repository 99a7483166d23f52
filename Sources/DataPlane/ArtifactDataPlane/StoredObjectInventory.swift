public import ArtifactIdentity
public import Foundation

/// One file a backend holds in the data plane's layout, as its listing shows it.
public struct StoredObject: Sendable, Hashable, Codable {
    /// What the file is.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// Committed content: `blobs/<algorithm>/…/<hex>`.
        case object
        /// The BLAKE3 outboard kept beside a large object for proved ranges:
        /// `outboards/<algorithm>/…/<hex>`. Derived data: it can be rebuilt from its object.
        case outboard
    }

    /// The content the file belongs to; `nil` when its name is not a content address's (a file
    /// someone else put there), which an inventory reports and never removes.
    public var address: ContentAddress?
    /// Its path inside the backend.
    public var path: String
    public var kind: Kind
    public var backendID: String
    public var size: UInt64
    /// The modification time the backend's listing reports (the time the bytes were written;
    /// moving an ingest's temporary into place keeps it). `nil` when the backend reports none.
    public var modified: Date?

    public init(address: ContentAddress?, path: String, kind: Kind, backendID: String, size: UInt64, modified: Date?) {
        self.address = address
        self.path = path
        self.kind = kind
        self.backendID = backendID
        self.size = size
        self.modified = modified
    }
}

/// One page of an inventory listing.
public struct StoredObjectPage: Sendable, Hashable, Codable {
    /// In path order.
    public var objects: [StoredObject]
    /// Pass back for the next page; `nil` after the last.
    public var nextCursor: String?

    public init(objects: [StoredObject], nextCursor: String?) {
        self.objects = objects
        self.nextCursor = nextCursor
    }
}

/// A data plane that can say what its backends hold, not only serve what it is asked for.
///
/// Exists for reconciliation (`Reconciler` in the control plane, `artifactstore admin fsck`):
/// finding objects no metadata row knows, and rows whose object is gone, needs the backend's own
/// listing, with the modification times that decide whether a stray is old enough to remove.
/// A data plane in process offers it (`LocalDataPlane`), and so does one reached through the
/// data-plane daemon (`RemoteDataPlane`, the protocol's inventory operations), so `serve` and
/// `admin fsck` reconcile the same way whichever they use.
public protocol StoredObjectInventory: DataPlane {
    /// The configured backends' ids, default first. Asynchronous: a daemon is asked for its own.
    ///
    /// - Throws: `dataPlaneUnavailable` when a daemon cannot be asked.
    func inventoryBackendIDs() async throws(DataPlaneError) -> [String]

    /// One page (at most `limit` entries) of the files of `kind` in backend `backendID`, after
    /// `cursor` (the previous page's ``StoredObjectPage/nextCursor``).
    ///
    /// - Throws: `unknownBackend`, `backendUnavailable`, or `storage` for a listing that failed.
    func storedObjects(
        _ kind: StoredObject.Kind,
        backendID: String,
        cursor: String?,
        limit: Int
    ) async throws(DataPlaneError)
        -> StoredObjectPage

    /// Whether the object (not its outboard) at `address` is in backend `backendID`. Reads no bytes.
    func contains(_ address: ContentAddress, backendID: String) async throws(DataPlaneError) -> Bool

    /// Removes the outboard of `address` from backend `backendID`, leaving any object alone;
    /// `false` when there was none. Always safe: an object without its outboard is served as
    /// before (ranges are proved another way until an ingest writes the outboard again).
    func deleteOutboard(of address: ContentAddress, backendID: String) async throws(DataPlaneError) -> Bool
}
