public import ArtifactIdentity

/// One chunk of an upload session, in order: a blob the session holds.
public struct OCIUploadChunk: Sendable, Hashable {
    public var index: Int
    public var address: ContentAddress
    public var size: UInt64
    public var sha256: Digest
}
