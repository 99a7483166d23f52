public import Foundation

/// A resumable OCI blob upload: the bytes received so far are its chunks, each a blob held by
/// the session (not linked into the namespace, so invisible to every lookup) and recorded before
/// the chunk was acknowledged.
public struct OCIUploadSession: Sendable, Hashable {
    public var id: String
    public var namespace: String
    public var artifact: String
    public var createdAt: Date
    /// Bytes received so far (the sum of the chunks' sizes).
    public var offset: UInt64
    public var chunkCount: Int
}
