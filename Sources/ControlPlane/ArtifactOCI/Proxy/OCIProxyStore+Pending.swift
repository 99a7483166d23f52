public import ArtifactControlPlane
public import ArtifactIdentity
import ArtifactStoreAPI
import Foundation
import SQLKit

/// The files a cached manifest's version still lacks.
///
/// Exists because a pull-through client fetches a manifest before its blobs: the manifest's
/// version is committed with what the namespace has, and each reference it lacks is recorded
/// here; when the blob (or child manifest) is stored, ``resolvePending(namespace:digest:address:size:mediaType:)``
/// adds it to every version waiting for it, so the collector and retention count it exactly as
/// they count a pushed manifest's blobs.
extension OCIProxyStore {
    /// Records that `version` of `artifact` lacks `references` (path in the version, digest).
    public func recordPending(
        namespace: String,
        artifact: String,
        version: String,
        references: [(path: String, digest: String)]
    ) async throws(ControlPlaneError) {
        guard !references.isEmpty else { return }
        try await controlPlane.mutate("recording the references \(namespace)/\(artifact)@\(version) lacks") { db in
            for reference in references {
                try await db.raw(
                    """
                    INSERT INTO oci_proxy_pending (namespace, artifact, version, path, digest)
                    VALUES (\(bind: namespace), \(bind: artifact), \(bind: version), \(bind: reference.path), \(bind: reference.digest))
                    ON CONFLICT (namespace, artifact, version, path) DO NOTHING
                    """
                ).run()
            }
        }
    }

    /// Adds the content `digest` names (now stored at `address`) to every version of `namespace`
    /// waiting for it, in one transaction; returns how many files were added.
    @discardableResult
    public func resolvePending(
        namespace: String,
        digest: String,
        address: ContentAddress,
        size: UInt64,
        mediaType: String
    ) async throws(ControlPlaneError) -> Int {
        try await controlPlane.mutate("adding \(digest) to the cached manifests of \"\(namespace)\"") { db in
            let waiting = try await db.raw(
                "SELECT artifact, version, path FROM oci_proxy_pending WHERE namespace = \(bind: namespace) AND digest = \(bind: digest)"
            ).all()
            var added = 0
            for row in waiting {
                let (artifact, version, path) = (try row.string("artifact"), try row.string("version"), try row.string("path"))
                let exists = try await db.raw(
                    """
                    SELECT (SELECT COUNT(*) FROM versions WHERE namespace = \(bind: namespace) AND artifact = \(bind: artifact)
                    AND version = \(bind: version)) AS v, (SELECT COUNT(*) FROM version_files WHERE namespace = \(bind: namespace)
                    AND artifact = \(bind: artifact) AND version = \(bind: version) AND path = \(bind: path)) AS f
                    """
                ).first()
                guard let exists, try exists.int("v") == 1, try exists.int("f") == 0 else { continue }
                try await db.raw(
                    """
                    INSERT INTO version_files (namespace, artifact, version, path, address, size, media_type) VALUES (\(bind: namespace),
                    \(bind: artifact), \(bind: version), \(bind: path), \(bind: address.description), \(bind: Int64(size)),
                    \(bind: mediaType))
                    """
                ).run()
                try await db.raw(
                    """
                    UPDATE versions SET file_count = file_count + 1, total_size = total_size + \(bind: Int64(size))
                    WHERE namespace = \(bind: namespace) AND artifact = \(bind: artifact) AND version = \(bind: version)
                    """
                ).run()
                // A cache filling in what its upstream serves: counted, never refused by a quota.
                try await NamespaceUsageCounter.apply(.files(1, bytes: Int64(size)), to: namespace, in: db)
                added += 1
            }
            try await db.raw("DELETE FROM oci_proxy_pending WHERE namespace = \(bind: namespace) AND digest = \(bind: digest)").run()
            return added
        }
    }
}
