import ArtifactIdentity
import Foundation

/// A tenant: the unit of visibility, tags policy, retention and scopes.
public struct Namespace: Sendable, Hashable, Codable {
    public var name: String
    /// When `true`, a tag once set can neither be moved nor removed.
    public var immutableTags: Bool
    public var createdBy: String
    public var createdAt: Date
}

/// A named thing in a namespace that has versions.
public struct Artifact: Sendable, Hashable, Codable {
    public var namespace: String
    public var name: String
    public var createdAt: Date
}

/// One file of a manifest to commit: where it goes in the version, which blob, what it is.
public struct FileEntry: Sendable, Hashable, Codable {
    public var path: String
    public var address: ContentAddress
    public var mediaType: String

    public init(path: String, address: ContentAddress, mediaType: String = "application/octet-stream") {
        self.path = path
        self.address = address
        self.mediaType = mediaType
    }
}

/// What a push commits: the version's files (each a blob already linked into the namespace) and labels.
public struct VersionManifest: Sendable, Hashable, Codable {
    public var namespace: String
    public var artifact: String
    public var version: String
    public var files: [FileEntry]
    public var labels: [String: String]

    public init(namespace: String, artifact: String, version: String, files: [FileEntry], labels: [String: String] = [:]) {
        self.namespace = namespace
        self.artifact = artifact
        self.version = version
        self.files = files
        self.labels = labels
    }
}

/// A file of a committed version, with the size of its blob.
public struct VersionFile: Sendable, Hashable, Codable {
    public var path: String
    public var address: ContentAddress
    public var size: UInt64
    public var mediaType: String
}

/// A committed, immutable version without its files (what lists return).
public struct VersionSummary: Sendable, Hashable, Codable {
    public var namespace: String
    public var artifact: String
    public var version: String
    public var creator: String
    public var createdAt: Date
    public var labels: [String: String]
    public var fileCount: Int
    public var totalSize: UInt64
}

/// A committed, immutable version with its files.
public struct ArtifactVersion: Sendable, Hashable, Codable {
    public var summary: VersionSummary
    /// Sorted by path.
    public var files: [VersionFile]

    public var namespace: String { summary.namespace }
    public var artifact: String { summary.artifact }
    public var version: String { summary.version }
}

/// A named pointer to a version.
public struct Tag: Sendable, Hashable, Codable {
    public var namespace: String
    public var artifact: String
    public var name: String
    public var version: String
    public var updatedBy: String
    public var updatedAt: Date
}

/// A blob as a namespace sees it: linked, so readable and usable in manifests there.
public struct LinkedBlob: Sendable, Hashable, Codable {
    public var namespace: String
    public var address: ContentAddress
    public var size: UInt64
    public var sha256: Digest
    public var blake3: Digest
    /// `true` when the bytes were already stored (in any namespace) before this push.
    public var deduplicated: Bool
    /// `true` when a damaged stored copy was replaced by this push's bytes (absent, `nil`,
    /// otherwise and in values stored before it existed).
    public var repaired: Bool? = nil
}
