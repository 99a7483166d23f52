import ArtifactMetadata
import ArtifactStoreAPI

/// The lookup of one file of a committed version, the first step of every file download.
extension Registry {
    /// A version's file at a path, with its blob's storage facts: binds the namespace, artifact,
    /// version and path. One row through `version_files`' primary key and `blobs`' primary key.
    ///
    /// A ``PreparedRead``, so an SQLite reader keeps it prepared and runs it as one job on its
    /// own thread (``MetadataStore/rows(of:binding:)``); PostgreSQL runs the same text.
    static let fileByPath = PreparedRead(
        """
        SELECT f.path, f.address, f.size, f.media_type, b.backend_id, b.sha256, b.blake3
        FROM version_files f JOIN blobs b ON b.address = f.address
        WHERE f.namespace = ? AND f.artifact = ? AND f.version = ? AND f.path = ?
        """,
        columns: [
            .text("path"), .text("address"), .integer("size"), .text("media_type"), .text("backend_id"), .text("sha256"),
            .text("blake3"),
        ]
    )

    /// The file at `path` of `namespace`'s `artifact@version`, by ``fileByPath``, or `nil` when
    /// there is none (or no such version or namespace).
    func preparedFile(namespace: String, artifact: String, version: String, path: String) async throws -> ResolvedFile? {
        let rows = try await controlPlane.store.rows(
            of: Self.fileByPath,
            binding: [.text(namespace), .text(artifact), .text(version), .text(path)]
        )
        return try rows.first.map { try Self.resolvedFile(from: $0, namespace: namespace, artifact: artifact, version: version) }
    }

    /// The file a row of ``fileByPath`` names, in `namespace`'s `artifact@version`.
    static func resolvedFile(from row: PreparedRow, namespace: String, artifact: String, version: String) throws -> ResolvedFile {
        guard let path = row.text(0), let addressText = row.text(1), let size = row.integer(2), size >= 0,
            let mediaType = row.text(3), let backendID = row.text(4), let sha256 = row.text(5), let blake3 = row.text(6)
        else {
            throw ControlPlaneError(.database, "a file row of \(namespace)/\(artifact)@\(version) has a missing or mistyped column")
        }
        let file = VersionFile(path: path, address: try address(addressText), size: UInt64(size), mediaType: mediaType)
        return ResolvedFile(
            namespace: namespace,
            artifact: artifact,
            version: version,
            file: file,
            blob: LinkedBlob(
                namespace: namespace,
                address: file.address,
                size: file.size,
                sha256: try digest(sha256),
                blake3: try digest(blake3),
                deduplicated: false
            ),
            backendID: backendID
        )
    }
}
