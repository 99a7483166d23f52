/// The facts of a stored manifest the referrers API answers with (the `oci_manifests` row).
public struct OCIManifestRecord: Sendable, Hashable {
    public var namespace: String
    public var artifact: String
    /// `sha256:<hex>` of the manifest's exact bytes.
    public var digest: String
    public var mediaType: String
    public var artifactType: String?
    /// The digest of the manifest's `subject`, if any.
    public var subject: String?
    /// The manifest's `annotations` as a JSON object text, if any.
    public var annotations: String?
    public var size: UInt64

    public init(
        namespace: String,
        artifact: String,
        digest: String,
        mediaType: String,
        artifactType: String?,
        subject: String?,
        annotations: String?,
        size: UInt64
    ) {
        self.namespace = namespace
        self.artifact = artifact
        self.digest = digest
        self.mediaType = mediaType
        self.artifactType = artifactType
        self.subject = subject
        self.annotations = annotations
        self.size = size
    }
}
