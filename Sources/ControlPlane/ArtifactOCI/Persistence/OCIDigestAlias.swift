/// A digest a client named a blob by that the data plane does not compute (`sha512:<hex>`),
/// checked on the bytes by the caller while they were ingested, and kept in `blob_digests`.
public struct OCIDigestAlias: Sendable, Hashable {
    /// `sha512`.
    public var algorithm: String
    /// The client's whole digest text, `sha512:<hex>`.
    public var digest: String

    public init(algorithm: String, digest: String) {
        self.algorithm = algorithm
        self.digest = digest
    }
}
