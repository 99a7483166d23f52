public import Foundation

/// How an object is written.
public struct StorageWriteOptions: Sendable, Hashable {
    /// POSIX permission bits for the new object (e.g. `0o640`); backends without POSIX modes ignore it.
    public var mode: UInt32?
    /// POSIX owner for the new object; backends without owners ignore it. Changing owner needs privileges.
    public var owner: StorageOwner?
    /// Replace an existing object (the default). When `false`, an existing object is `alreadyExists`.
    public var overwrite: Bool
    /// Whether the object's name, as well as its bytes, must survive a crash once `write`
    /// returns (the default). When `false` the bytes are on stable storage but the name may
    /// be lost: for a temporary that is moved into place (with ``StorageMoveOptions/durableSource``
    /// `false`) before anything relies on it. It saves a directory sync per write where a
    /// backend has them.
    public var durableName: Bool
    /// The SHA-256 of the bytes written, as 64 lower-case hex digits, when the caller has it (an
    /// ingest hashed them on the way in). A backend whose protocol sends a hash of the body (S3
    /// signs `x-amz-content-sha256`) uses it instead of hashing the bytes again; AWS S3 then
    /// checks it and refuses a body that does not match (some S3-compatible servers, moto among
    /// them, do not check). Other backends ignore it. It never changes what is stored.
    public var contentSHA256: String?

    public init(
        mode: UInt32? = nil,
        owner: StorageOwner? = nil,
        overwrite: Bool = true,
        durableName: Bool = true,
        contentSHA256: String? = nil
    ) {
        self.mode = mode
        self.owner = owner
        self.overwrite = overwrite
        self.durableName = durableName
        self.contentSHA256 = contentSHA256
    }
}

/// How an object is moved.
public struct StorageMoveOptions: Sendable, Hashable {
    /// Replace an object at the destination. When `false`, one there is `alreadyExists`.
    public var overwrite: Bool
    /// Whether the source's disappearance must survive a crash once `move` returns (the
    /// default), as well as the destination's appearance, which always must. When `false` a
    /// crash may leave the source behind as well: for moving a temporary into place, whose
    /// leftovers are removed at start-up. It saves a directory sync where a backend has them.
    public var durableSource: Bool

    public init(overwrite: Bool, durableSource: Bool = true) {
        self.overwrite = overwrite
        self.durableSource = durableSource
    }
}

/// A POSIX owner, by name or by numeric id.
public struct StorageOwner: Sendable, Hashable {
    public var user: String?
    public var uid: UInt32?
    public var gid: UInt32?

    public init(user: String? = nil, uid: UInt32? = nil, gid: UInt32? = nil) {
        self.user = user
        self.uid = uid
        self.gid = gid
    }
}

/// Metadata of a stored object.
public struct StorageObjectInfo: Sendable, Hashable {
    public var path: StoragePath
    public var size: UInt64
    public var modified: Date
    /// POSIX permission bits (`0o7777` at most), where the backend keeps them.
    public var mode: UInt32?
    /// Numeric owner and group, where the backend keeps them.
    public var uid: UInt32?
    public var gid: UInt32?

    public init(path: StoragePath, size: UInt64, modified: Date, mode: UInt32? = nil, uid: UInt32? = nil, gid: UInt32? = nil) {
        self.path = path
        self.size = size
        self.modified = modified
        self.mode = mode
        self.uid = uid
        self.gid = gid
    }
}

/// One entry of a listing.
public struct StorageEntry: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case object
        case directory
    }

    public var path: StoragePath
    public var kind: Kind
    /// Size in bytes, for objects.
    public var size: UInt64?
    public var modified: Date?

    public init(path: StoragePath, kind: Kind, size: UInt64? = nil, modified: Date? = nil) {
        self.path = path
        self.kind = kind
        self.size = size
        self.modified = modified
    }
}

/// One page of a listing.
public struct StorageListPage: Sendable, Hashable {
    public var entries: [StorageEntry]
    /// Pass to the next `list` call to continue; `nil` when this is the last page.
    public var nextCursor: String?

    public init(entries: [StorageEntry], nextCursor: String?) {
        self.entries = entries
        self.nextCursor = nextCursor
    }
}

/// What a backend knows about its own state.
public struct StorageHealth: Sendable, Hashable {
    public var reachable: Bool
    public var writable: Bool
    /// Free bytes where the backend knows them (statvfs on a filesystem).
    public var freeBytes: UInt64?
    /// Total bytes where known.
    public var totalBytes: UInt64?
    /// A short explanation, especially when not healthy.
    public var message: String

    public init(reachable: Bool, writable: Bool, freeBytes: UInt64? = nil, totalBytes: UInt64? = nil, message: String) {
        self.reachable = reachable
        self.writable = writable
        self.freeBytes = freeBytes
        self.totalBytes = totalBytes
        self.message = message
    }
}
