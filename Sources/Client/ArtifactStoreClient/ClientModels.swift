import ArtifactControlPlane
import ArtifactIdentity
import Foundation

/// One page of a list as the API sends it: `{"items": [...], "nextCursor": "..." | null}`.
struct ListPage<Item: Sendable & Codable>: Sendable, Codable {
    var items: [Item]
    var nextCursor: String?
}

/// What the server answers to a blob upload.
public struct BlobInfo: Sendable, Hashable, Codable {
    public var address: ContentAddress
    public var size: UInt64
    public var sha256: Digest?
    public var blake3: Digest?
    /// `true` when the server already had these bytes.
    public var deduplicated: Bool?
}

/// The token a request is made with, as `GET /v1/whoami` describes it.
public struct WhoAmI: Sendable, Hashable, Codable {
    public var tokenID: String
    public var name: String
    public var grants: [Grant]
}

/// A newly created token: the secret appears only here.
public struct CreatedToken: Sendable, Hashable, Codable {
    public var token: String
    public var info: TokenInfo
}

/// One file of a version manifest the client commits.
public struct ManifestFile: Sendable, Hashable, Codable {
    public var path: String
    public var address: ContentAddress
    public var mediaType: String?

    public init(path: String, address: ContentAddress, mediaType: String? = nil) {
        self.path = path
        self.address = address
        self.mediaType = mediaType
    }
}

/// The body of a version commit.
struct VersionCommitBody: Codable {
    var files: [ManifestFile]
    var labels: [String: String]
}

/// The body of a token creation.
struct TokenCreateBody: Codable {
    var name: String
    var grants: [Grant]
    var expiresAt: Date?
}
