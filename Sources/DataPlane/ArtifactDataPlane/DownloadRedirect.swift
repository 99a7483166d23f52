public import Foundation

/// Where a client can fetch an object's bytes directly, instead of through the server: an
/// absolute URL that grants a `GET` (whole or with `Range`) of that one object until
/// ``expires``.
///
/// Exists so servers can stay out of the byte path of downloads from an object store (S3
/// presigned URLs, DESIGN.md §7). The bytes then do not pass the data plane's proof: the client
/// checks them against the digest it asked for (docs/operations.md, "Redirected downloads").
public struct DownloadRedirect: Sendable, Hashable, Codable {
    public var url: String
    public var expires: Date
    /// The backend that keeps the object.
    public var backendID: String

    public init(url: String, expires: Date, backendID: String) {
        self.url = url
        self.expires = expires
        self.backendID = backendID
    }
}
