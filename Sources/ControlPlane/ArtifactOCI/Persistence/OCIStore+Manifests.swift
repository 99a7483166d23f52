package import ArtifactControlPlane
package import ArtifactIdentity
import ArtifactStoreAPI
import SQLKit

/// Manifests: committed as versions together with their referrers facts (`oci_manifests`).
extension OCIStore {
    /// Commits the version a manifest maps to (see ``Registry/commitVersion(_:context:)``; the
    /// same bytes pushed again find it committed and keep it) and records the manifest's facts
    /// for the referrers API, in one transaction: a crash leaves both or neither.
    ///
    /// - Throws: what ``Registry/commitVersion(_:context:)`` throws, except `versionExists`.
    package func commitManifest(
        _ version: VersionManifest,
        record: OCIManifestRecord,
        context: RequestContext
    ) async throws(ControlPlaneError) {
        try Registry.validate(version)
        let now = controlPlane.nowMilliseconds()
        try await controlPlane.mutate("committing manifest \(record.digest) as \(version.namespace)/\(version.artifact)@\(version.version)")
        { db in
            do {
                _ = try await Registry.insertVersion(version, now: now, context: context, in: db)
            } catch let error as ControlPlaneError where error.kind == .versionExists {
                // Refused before writing anything: the manifest is already committed.
            }
            try await db.raw(
                """
                INSERT INTO oci_manifests (namespace, artifact, digest, media_type, artifact_type, subject, annotations, size, created_at)
                VALUES (\(bind: record.namespace), \(bind: record.artifact), \(bind: record.digest), \(bind: record.mediaType),
                        \(bind: record.artifactType), \(bind: record.subject), \(bind: record.annotations), \(bind: Int64(record.size)), \(bind: now))
                ON CONFLICT (namespace, artifact, digest) DO UPDATE SET media_type = excluded.media_type, artifact_type = excluded.artifact_type,
                    subject = excluded.subject, annotations = excluded.annotations, size = excluded.size
                """
            ).run()
        }
    }

    /// Deletes the version `version` (a manifest) and its referrers facts in one transaction,
    /// through the same checks and audit as ``Registry/deleteVersion(namespace:artifact:version:context:)``.
    package func deleteManifest(
        namespace: String,
        artifact: String,
        version: String,
        digest: String,
        context: RequestContext
    ) async throws(ControlPlaneError) {
        try Registry.validate(namespace: namespace, artifact: artifact, version: version)
        let now = controlPlane.nowMilliseconds()
        try await controlPlane.mutate("deleting manifest \(namespace)/\(artifact)@\(digest)") { db in
            try await Registry.deleteVersion(namespace, artifact, version, reason: "OCI manifest delete", context: context, at: now, in: db)
            try await db.raw(
                "DELETE FROM oci_manifests WHERE namespace = \(bind: namespace) AND artifact = \(bind: artifact) AND digest = \(bind: digest)"
            ).run()
        }
    }

    /// The manifests of a repository whose `subject` is `subject`, by digest, optionally only
    /// those of `artifactType`.
    package func referrers(
        namespace: String,
        artifact: String,
        subject: String,
        artifactType: String?
    ) async throws(ControlPlaneError) -> [OCIManifestRecord] {
        try NameGrammar.validateNamespace(namespace)
        try NameGrammar.validateArtifact(artifact)
        return try await controlPlane.query("listing referrers of \(subject)") { db in
            _ = try await Registry.requireNamespace(namespace, in: db)
            var sql: SQLQueryString = """
                SELECT m.digest, m.media_type, m.artifact_type, m.subject, m.annotations, m.size FROM oci_manifests m
                WHERE m.namespace = \(bind: namespace) AND m.artifact = \(bind: artifact) AND m.subject = \(bind: subject)
                AND EXISTS (SELECT 1 FROM versions v WHERE v.namespace = m.namespace AND v.artifact = m.artifact
                            AND v.version = REPLACE(m.digest, ':', '-'))
                """
            if let artifactType { sql += " AND m.artifact_type = \(bind: artifactType)" }
            sql += " ORDER BY m.digest LIMIT 10000"
            return try await db.raw(sql).all().map { row in
                OCIManifestRecord(
                    namespace: namespace,
                    artifact: artifact,
                    digest: try row.string("digest"),
                    mediaType: try row.string("media_type"),
                    artifactType: try row.optionalString("artifact_type"),
                    subject: try row.optionalString("subject"),
                    annotations: try row.optionalString("annotations"),
                    size: UInt64(try row.int("size"))
                )
            }
        }
    }

    /// The manifest version (`sha256-<hex>`) of `namespace`/`artifact` whose file `path` is the
    /// blob `address` (a manifest's exact bytes), or `nil`: how a manifest requested by a digest
    /// the version is not named after (sha512) is found.
    package func manifestVersion(
        namespace: String,
        artifact: String,
        path: String,
        address: ContentAddress
    ) async throws(ControlPlaneError) -> String? {
        try await controlPlane.query("finding the manifest \(address) of \(namespace)/\(artifact)") { db in
            try await db.raw(
                """
                SELECT version FROM version_files
                WHERE namespace = \(bind: namespace) AND artifact = \(bind: artifact) AND path = \(bind: path)
                AND address = \(bind: address.description) AND version LIKE 'sha256-%' ORDER BY version LIMIT 1
                """
            ).first()?.string("version")
        }
    }
}
