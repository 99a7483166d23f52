import ArtifactMetadata
import ArtifactStoreAPI

/// The lookup of the version a tag points at, the first step of every pull by tag.
extension Registry {
    /// The version of a tag: binds the namespace, artifact and tag. One row through `tags`'
    /// primary key; a ``PreparedRead``, kept by every SQLite reader.
    static let versionOfTag = PreparedRead(
        "SELECT version FROM tags WHERE namespace = ? AND artifact = ? AND tag = ?",
        columns: [.text("version")]
    )

    /// The version `tag` of `namespace`/`artifact` points at, by one prepared read; when there is
    /// no such tag, the reason as ``tag(namespace:artifact:tag:)`` gives it.
    ///
    /// - Throws: `namespaceNotFound`, `tagNotFound`; an invalid name as the validators do.
    public func taggedVersion(namespace: String, artifact: String, tag: String) async throws(ControlPlaneError) -> String {
        try NameGrammar.validateNamespace(namespace)
        try NameGrammar.validateArtifact(artifact)
        try NameGrammar.validateTag(tag)
        do {
            let rows = try await controlPlane.store.rows(of: Self.versionOfTag, binding: [.text(namespace), .text(artifact), .text(tag)])
            if let version = rows.first?.text(0) { return version }
        } catch {
            throw ControlPlaneError.wrapping(error, "reading tag \(namespace)/\(artifact):\(tag)")
        }
        return try await self.tag(namespace: namespace, artifact: artifact, tag: tag).version
    }
}
