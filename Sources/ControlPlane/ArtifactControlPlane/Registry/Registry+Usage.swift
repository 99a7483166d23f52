public import ArtifactStoreAPI
import SQLKit

extension Registry {
    /// What namespace `name` holds: its objects and files, and the bytes they reference and
    /// take after deduplication, summed by the database in one read (no rows are fetched).
    ///
    /// - Throws: `invalidName`, `namespaceNotFound`.
    public func usage(namespace name: String) async throws(ControlPlaneError) -> NamespaceUsage {
        _ = try await namespace(name)
        return try await controlPlane.query("summing the usage of namespace \"\(name)\"") { db in
            let row = try await db.raw(
                """
                SELECT
                    (SELECT COUNT(*) FROM links WHERE namespace = \(bind: name)) AS objects,
                    (SELECT CAST(COALESCE(SUM(b.size), 0) AS BIGINT) FROM links l JOIN blobs b ON b.address = l.address
                        WHERE l.namespace = \(bind: name)) AS bytes_stored,
                    (SELECT COUNT(*) FROM version_files WHERE namespace = \(bind: name)) AS files,
                    (SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM version_files WHERE namespace = \(bind: name)) AS bytes_referenced
                """
            ).first()
            guard let row else { throw ControlPlaneError(.database, "the usage of namespace \"\(name)\" returned no row") }
            return NamespaceUsage(
                namespace: name,
                objects: try row.int("objects"),
                files: try row.int("files"),
                bytesReferenced: try row.int("bytes_referenced"),
                bytesStored: try row.int("bytes_stored")
            )
        }
    }
}
