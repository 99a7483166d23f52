public import ArtifactIdentity
import Foundation

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
