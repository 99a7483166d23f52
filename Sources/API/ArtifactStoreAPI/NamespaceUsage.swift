/// `GET /v1/namespaces/{ns}/usage`: what a namespace holds and what it costs in storage.
///
/// Exists so people (and the web UI's namespace list) can see the effect of content addressing:
/// many files may name one object, so the bytes stored are at most the bytes referenced. The
/// figures are counters the server maintains with every push, delete and collection, so reading
/// them costs one row whatever the namespace holds.
public struct NamespaceUsage: Sendable, Hashable, Codable {
    public var namespace: String
    /// Distinct objects (blobs) linked into the namespace.
    public var objects: Int64
    /// Files of every version in the namespace (one object may be many files).
    public var files: Int64
    /// The sum of every file's size: what the namespace would take without deduplication.
    public var bytesReferenced: Int64
    /// The sum of the sizes of the distinct objects linked into the namespace: what it takes
    /// after deduplication (an object shared with another namespace counts in both).
    public var bytesStored: Int64
    /// `bytesReferenced / bytesStored`; 1 when nothing is stored.
    public var dedupRatio: Double
    /// The namespace's quota on bytes referenced; `nil` (absent) for none.
    public var quotaBytes: Int64?

    public init(namespace: String, objects: Int64, files: Int64, bytesReferenced: Int64, bytesStored: Int64, quotaBytes: Int64? = nil) {
        self.namespace = namespace
        self.objects = objects
        self.files = files
        self.bytesReferenced = bytesReferenced
        self.bytesStored = bytesStored
        self.dedupRatio = bytesStored > 0 ? Double(bytesReferenced) / Double(bytesStored) : 1
        self.quotaBytes = quotaBytes
    }
}
