public import ArtifactIdentity
import Foundation

/// `manifest.json` of a backup directory: what the snapshot references and which objects were
/// copied beside it.
///
/// Exists so a restore (or a person, or a script) knows what a backup holds without opening the
/// database: the snapshot's file and digest, every `live` blob the snapshot references, and for
/// each backend whether its objects are in the backup (a filesystem backend) or must come from
/// the backend itself (S3, backed up by bucket versioning). It is written last: a directory
/// without it is not a backup.
public struct BackupManifest: Sendable, Hashable, Codable {
    /// The format of this file and the directory around it.
    public static let currentFormat = 1
    public static let fileName = "manifest.json"
    public static let snapshotFileName = "metadata.sqlite"
    public static let auditKeyFileName = "audit.key"
    /// Where a copied backend's objects are: `objects/<backend id>/`, in the data plane's layout.
    public static let objectsDirectory = "objects"

    /// One backend of the store backed up.
    public struct Backend: Sendable, Hashable, Codable {
        public var id: String
        /// Whether its objects are in `objects/<id>/`.
        public var objectsCopied: Bool

        public init(id: String, objectsCopied: Bool) {
            self.id = id
            self.objectsCopied = objectsCopied
        }
    }

    /// One blob the snapshot references (a `live` row).
    public struct Blob: Sendable, Hashable, Codable {
        public var address: ContentAddress
        public var backend: String
        public var size: UInt64

        public init(address: ContentAddress, backend: String, size: UInt64) {
            self.address = address
            self.backend = backend
            self.size = size
        }
    }

    public var format: Int
    /// When the snapshot was taken (the control plane's clock), ISO 8601.
    public var createdAt: String
    /// The snapshot's file in the backup directory and its SHA-256, checked by a restore.
    public var snapshot: String
    public var snapshotSHA256: String
    /// Whether the audit key file was copied (`audit.key`): without it a restored audit chain
    /// cannot be verified.
    public var auditKeyCopied: Bool
    public var backends: [Backend]
    public var blobCount: Int
    public var blobBytes: UInt64
    /// In address order.
    public var blobs: [Blob]
}

/// What a backup wrote.
public struct BackupReport: Sendable, Hashable {
    public var directory: String
    public var blobs: Int
    public var bytes: UInt64
    /// Objects copied into the backup (those of filesystem backends).
    public var objectsCopied: Int
    public var bytesCopied: UInt64
    /// Backends whose objects were not copied (S3: back the bucket up with versioning).
    public var backendsNotCopied: [String]
}

/// What a restore wrote.
public struct RestoreReport: Sendable, Hashable {
    public var blobs: Int
    /// Objects copied from the backup, each proved against its address on the way.
    public var objectsRestored: Int
    public var bytesRestored: UInt64
    /// Backends whose objects were not in the backup: they must already hold them.
    public var backendsNotCopied: [String]
}
