package import ArtifactControlPlane
import ArtifactStoreAPI
import SQLKit

/// Tag and repository listings keyed by name, as OCI pages them (`n`, `last`).
extension OCIStore {
    /// Up to `limit` tag names of a repository after `after`, in order.
    ///
    /// - Throws: `namespaceNotFound`, `artifactNotFound` (no manifest was ever pushed there).
    package func tagNames(namespace: String, artifact: String, after: String?, limit: Int) async throws(ControlPlaneError) -> [String] {
        try NameGrammar.validateNamespace(namespace)
        try NameGrammar.validateArtifact(artifact)
        let after = after ?? ""
        return try await controlPlane.query("listing tags of \(namespace)/\(artifact)") { db in
            _ = try await Registry.requireNamespace(namespace, in: db)
            try await Registry.requireArtifact(namespace, artifact, in: db)
            return try await db.raw(
                """
                SELECT tag FROM tags WHERE namespace = \(bind: namespace) AND artifact = \(bind: artifact) AND tag > \(bind: after)
                ORDER BY tag LIMIT \(literal: max(0, limit))
                """
            ).all().map { try $0.string("tag") }
        }
    }

    /// Up to `limit` repositories (`namespace`, `artifact`) after `after`, ordered by namespace
    /// then artifact, in `namespaces` only (every namespace when `nil`). Only artifacts holding
    /// at least one OCI manifest (a row of `oci_manifests`) are repositories: an artifact pushed
    /// through `/v1` has no tags an OCI client could pull, so `_catalog` leaves it out.
    package func repositories(
        after: (namespace: String, artifact: String)?,
        limit: Int,
        namespaces: [String]?
    ) async throws(ControlPlaneError) -> [(namespace: String, artifact: String)] {
        if let namespaces, namespaces.isEmpty { return [] }
        let (afterNamespace, afterArtifact) = after ?? ("", "")
        return try await controlPlane.query("listing repositories") { db in
            var sql: SQLQueryString = """
                SELECT namespace, name FROM artifacts
                WHERE (namespace > \(bind: afterNamespace) OR (namespace = \(bind: afterNamespace) AND name > \(bind: afterArtifact)))
                AND EXISTS (SELECT 1 FROM oci_manifests m WHERE m.namespace = artifacts.namespace AND m.artifact = artifacts.name)
                """
            if let namespaces { sql += " AND namespace IN (\(binds: namespaces))" }
            sql += " ORDER BY namespace, name LIMIT \(literal: max(0, limit))"
            return try await db.raw(sql).all().map { (namespace: try $0.string("namespace"), artifact: try $0.string("name")) }
        }
    }
}
