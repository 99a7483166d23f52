package import ArtifactStoreAPI
package import SQLKit

extension NamespaceUsageCounter {
    /// The usage of `namespace` counted from the tables (every link and version file), without
    /// its quota: what the maintained row must equal.
    ///
    /// Exists to check the counters (the concurrency test compares them after racing pushes,
    /// deletes and a collection); it reads rows in proportion to what the namespace holds, so it
    /// is never on a request's path.
    package static func recount(_ namespace: String, in db: any SQLDatabase) async throws -> NamespaceUsage {
        let row = try await db.raw(
            """
            SELECT
                (SELECT COUNT(*) FROM links WHERE namespace = \(bind: namespace)) AS objects,
                (SELECT CAST(COALESCE(SUM(b.size), 0) AS BIGINT) FROM links l JOIN blobs b ON b.address = l.address
                    WHERE l.namespace = \(bind: namespace)) AS bytes_stored,
                (SELECT COUNT(*) FROM version_files WHERE namespace = \(bind: namespace)) AS files,
                (SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM version_files WHERE namespace = \(bind: namespace)) AS bytes_referenced
            """
        ).first()
        guard let row else { throw ControlPlaneError(.database, "the recount of namespace \"\(namespace)\" returned no row") }
        return NamespaceUsage(
            namespace: namespace,
            objects: try row.int("objects"),
            files: try row.int("files"),
            bytesReferenced: try row.int("bytes_referenced"),
            bytesStored: try row.int("bytes_stored")
        )
    }
}
