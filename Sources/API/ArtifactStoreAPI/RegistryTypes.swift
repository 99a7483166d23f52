public import ArtifactIdentity
public import Foundation

// The registry's values as the API carries them (docs/api.md): what the control plane returns and
// the client reads, one definition for both.

/// A tenant: the unit of visibility, tags policy, retention and scopes.
public struct Namespace: Sendable, Hashable, Codable {
    public var name: String
    /// When `true`, a tag once set can neither be moved nor removed.
    public var immutableTags: Bool
    /// When `true`, anyone may read the namespace without a token (`/v1` reads and OCI pulls);
    /// writing still needs a token. `false` unless set (docs/api.md, "Public namespaces").
    public var publicRead: Bool
    /// When `false`, downloads of the namespace always come through the server, never as a
    /// redirect to a backend's presigned URL, whatever the backend offers. `true` unless set
    /// (docs/operations.md, "Presigned download redirects").
    public var downloadRedirects: Bool
    /// The most bytes the namespace's versions may reference; `nil` (absent) for no quota
    /// (docs/operations.md, "Quotas").
    public var quotaBytes: Int64?
    public var createdBy: String
    public var createdAt: Date

    public init(
        name: String,
        immutableTags: Bool,
        publicRead: Bool = false,
        downloadRedirects: Bool = true,
        quotaBytes: Int64? = nil,
        createdBy: String,
        createdAt: Date
    ) {
        self.name = name
        self.immutableTags = immutableTags
        self.publicRead = publicRead
        self.downloadRedirects = downloadRedirects
        self.quotaBytes = quotaBytes
        self.createdBy = createdBy
        self.createdAt = createdAt
    }

    enum CodingKeys: String, CodingKey {
        case name, immutableTags, publicRead, downloadRedirects, quotaBytes, createdBy, createdAt
    }

    /// A body without `publicRead` (a server before public namespaces) reads as private; one
    /// without `downloadRedirects` (a server before the setting) as redirects allowed.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        immutableTags = try container.decode(Bool.self, forKey: .immutableTags)
        publicRead = try container.decodeIfPresent(Bool.self, forKey: .publicRead) ?? false
        downloadRedirects = try container.decodeIfPresent(Bool.self, forKey: .downloadRedirects) ?? true
        quotaBytes = try container.decodeIfPresent(Int64.self, forKey: .quotaBytes)
        createdBy = try container.decode(String.self, forKey: .createdBy)
        createdAt = try container.decode(Date.self, forKey: .createdAt)
    }
}

/// A named thing in a namespace that has versions.
public struct Artifact: Sendable, Hashable, Codable {
    public var namespace: String
    public var name: String
    public var createdAt: Date

    public init(namespace: String, name: String, createdAt: Date) {
        self.namespace = namespace
        self.name = name
        self.createdAt = createdAt
    }
}

/// A file of a committed version, with the size of its blob.
public struct VersionFile: Sendable, Hashable, Codable {
    public var path: String
    public var address: ContentAddress
    public var size: UInt64
    public var mediaType: String

    public init(path: String, address: ContentAddress, size: UInt64, mediaType: String) {
        self.path = path
        self.address = address
        self.size = size
        self.mediaType = mediaType
    }
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

    public init(
        namespace: String,
        artifact: String,
        version: String,
        creator: String,
        createdAt: Date,
        labels: [String: String],
        fileCount: Int,
        totalSize: UInt64
    ) {
        self.namespace = namespace
        self.artifact = artifact
        self.version = version
        self.creator = creator
        self.createdAt = createdAt
        self.labels = labels
        self.fileCount = fileCount
        self.totalSize = totalSize
    }
}

/// A committed, immutable version with its files.
public struct ArtifactVersion: Sendable, Hashable, Codable {
    public var summary: VersionSummary
    /// Sorted by path.
    public var files: [VersionFile]

    public var namespace: String { summary.namespace }
    public var artifact: String { summary.artifact }
    public var version: String { summary.version }

    public init(summary: VersionSummary, files: [VersionFile]) {
        self.summary = summary
        self.files = files
    }
}

/// A named pointer to a version.
public struct Tag: Sendable, Hashable, Codable {
    public var namespace: String
    public var artifact: String
    public var name: String
    public var version: String
    public var updatedBy: String
    public var updatedAt: Date

    public init(namespace: String, artifact: String, name: String, version: String, updatedBy: String, updatedAt: Date) {
        self.namespace = namespace
        self.artifact = artifact
        self.name = name
        self.version = version
        self.updatedBy = updatedBy
        self.updatedAt = updatedAt
    }
}
