public import ArtifactIdentity

// Request and response bodies of the namespace, blob, version and tag routes (docs/api.md) that are
// not registry values themselves.

/// `POST /v1/namespaces`.
public struct CreateNamespaceBody: Codable, Sendable, Hashable {
    public var name: String
    /// Absent means `false`.
    public var immutableTags: Bool?
    /// Absent means `false`: only token holders read the namespace.
    public var publicRead: Bool?

    public init(name: String, immutableTags: Bool? = nil, publicRead: Bool? = nil) {
        self.name = name
        self.immutableTags = immutableTags
        self.publicRead = publicRead
    }
}

/// `PATCH /v1/namespaces/{ns}`: the settings to change; an absent one stays as it is.
public struct UpdateNamespaceBody: Codable, Sendable, Hashable {
    /// A change of the namespace's quota: a number of bytes, or none.
    public enum QuotaChange: Sendable, Hashable {
        case bytes(Int64)
        case unlimited
    }

    public var publicRead: Bool?
    /// `false` serves every download of the namespace through the server (no presigned redirects).
    public var downloadRedirects: Bool?
    /// `"quotaBytes": N` sets the quota on bytes referenced; `"quotaBytes": null` removes it;
    /// absent leaves it as it is.
    public var quota: QuotaChange?

    public init(publicRead: Bool? = nil, downloadRedirects: Bool? = nil, quota: QuotaChange? = nil) {
        self.publicRead = publicRead
        self.downloadRedirects = downloadRedirects
        self.quota = quota
    }

    enum CodingKeys: String, CodingKey {
        case publicRead, downloadRedirects, quotaBytes
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        publicRead = try container.decodeIfPresent(Bool.self, forKey: .publicRead)
        downloadRedirects = try container.decodeIfPresent(Bool.self, forKey: .downloadRedirects)
        if !container.contains(.quotaBytes) {
            quota = nil
        } else if try container.decodeNil(forKey: .quotaBytes) {
            quota = .unlimited
        } else {
            quota = .bytes(try container.decode(Int64.self, forKey: .quotaBytes))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(publicRead, forKey: .publicRead)
        try container.encodeIfPresent(downloadRedirects, forKey: .downloadRedirects)
        switch quota {
        case .bytes(let bytes)?: try container.encode(bytes, forKey: .quotaBytes)
        case .unlimited?: try container.encodeNil(forKey: .quotaBytes)
        case nil: break
        }
    }
}

/// A blob as a namespace sees it, after an upload (`POST /v1/namespaces/{ns}/blobs`).
public struct BlobBody: Codable, Sendable, Hashable {
    public var address: ContentAddress
    public var size: UInt64
    public var sha256: Digest
    public var blake3: Digest
    /// `true` when the server already had these bytes.
    public var deduplicated: Bool

    public init(address: ContentAddress, size: UInt64, sha256: Digest, blake3: Digest, deduplicated: Bool) {
        self.address = address
        self.size = size
        self.sha256 = sha256
        self.blake3 = blake3
        self.deduplicated = deduplicated
    }
}

/// `PUT …/versions/{version}`: the files of the new version (each a blob linked into the namespace)
/// and its labels.
public struct CommitVersionBody: Codable, Sendable, Hashable {
    /// One file of the version.
    public struct File: Codable, Sendable, Hashable {
        public var path: String
        public var address: ContentAddress
        /// Absent means `application/octet-stream`.
        public var mediaType: String?

        public init(path: String, address: ContentAddress, mediaType: String? = nil) {
            self.path = path
            self.address = address
            self.mediaType = mediaType
        }
    }

    public var files: [File]
    public var labels: [String: String]?

    public init(files: [File], labels: [String: String]? = nil) {
        self.files = files
        self.labels = labels
    }
}

/// `PUT …/tags/{tag}`.
public struct SetTagBody: Codable, Sendable, Hashable {
    public var version: String

    public init(version: String) {
        self.version = version
    }
}

/// `POST …/versions/{version}/verify`: every file re-read and re-digested.
public struct VersionVerifyBody: Codable, Sendable, Hashable {
    public struct File: Codable, Sendable, Hashable {
        public var path: String
        public var address: ContentAddress
        public var verified: Bool
        /// What differed, when ``verified`` is `false`.
        public var mismatch: String?

        public init(path: String, address: ContentAddress, verified: Bool, mismatch: String? = nil) {
            self.path = path
            self.address = address
            self.verified = verified
            self.mismatch = mismatch
        }
    }

    public var verified: Bool
    public var files: [File]

    public init(verified: Bool, files: [File]) {
        self.verified = verified
        self.files = files
    }
}
