package import ArtifactControlPlane
package import ArtifactDataPlane
package import ArtifactIdentity
import ArtifactStoreAPI
package import ArtifactStoreCore
package import SQLKit

/// Blobs by the digests the data plane does not compute (`sha512`), and cross-repository mounts.
extension OCIStore {
    /// As ``Registry/ingestBlob(namespace:_:hints:context:)``, and records `alias` → the blob's
    /// content address in `blob_digests` in the transaction that links the blob, so a lookup by
    /// `alias` finds it exactly when the link exists. The caller checks `alias` against the bytes
    /// while the data plane reads `stream` (the stream fails on a mismatch, and nothing is stored);
    /// `verified` says that check ran to the stream's end and matched, and is asked before
    /// anything is recorded, so a mapping is never written for bytes that were not checked.
    ///
    /// - Throws: as ``Registry/ingestBlob(namespace:_:hints:context:)``; `invalidDigest` when
    ///   `verified` answers `false` (nothing recorded).
    package func ingestBlob(
        namespace: String,
        _ stream: ByteStream,
        hints: IngestHints,
        alias: OCIDigestAlias,
        verified: @Sendable () -> Bool,
        context: RequestContext,
        thenRecording: (@Sendable (any SQLDatabase, LinkedBlob, Int64) async throws -> Void)? = nil
    ) async throws(ControlPlaneError) -> LinkedBlob {
        let found = try await registry.namespace(namespace)
        // Bytes the namespace already links under `alias` (a manifest pushed again) add nothing
        // to its usage: let through at its quota too.
        let linked = found.quotaBytes == nil ? nil : try? await blob(namespace: namespace, alias: alias)
        let result = try await registry.ingestWithinQuota(
            stream,
            into: found,
            hints: hints,
            alreadyLinked: linked,
            doing: "ingesting \(alias.digest) into namespace \"\(namespace)\""
        )
        guard verified() else {
            throw ControlPlaneError(
                .invalidDigest,
                "the bytes ingested into \"\(namespace)\" were not checked against \(alias.digest); nothing was recorded"
            )
        }
        let address = result.address.description
        return try await BlobLinking(controlPlane: controlPlane).link(
            result,
            into: namespace,
            context: context,
            alsoRecording: { db in
                try await db.raw(
                    """
                    INSERT INTO blob_digests (algorithm, digest, address) VALUES (\(bind: alias.algorithm), \(bind: alias.digest), \(bind: address))
                    ON CONFLICT (algorithm, digest) DO NOTHING
                    """
                ).run()
            },
            thenRecording: thenRecording
        )
    }

    /// The blob `namespace` sees under `alias`: found through `blob_digests`, then subject to
    /// the same visibility as every lookup (a live blob row linked into `namespace`).
    ///
    /// - Throws: `invalidName`, `namespaceNotFound`, `blobNotFound` (no mapping, not linked
    ///   into `namespace`, or collected).
    package func blob(namespace: String, alias: OCIDigestAlias) async throws(ControlPlaneError) -> LinkedBlob {
        try NameGrammar.validateNamespace(namespace)
        return try await controlPlane.query("reading blob \(alias.digest)") { db in
            _ = try await Registry.requireNamespace(namespace, in: db)
            guard
                let row = try await db.raw(
                    """
                    SELECT b.address, b.backend_id, b.size, b.sha256, b.blake3 FROM blob_digests d
                    JOIN blobs b ON b.address = d.address JOIN links l ON l.address = b.address
                    WHERE d.algorithm = \(bind: alias.algorithm) AND d.digest = \(bind: alias.digest) AND b.state = 'live'
                    AND l.namespace = \(bind: namespace)
                    """
                ).first()
            else {
                throw ControlPlaneError(.blobNotFound, "blob \(alias.digest) is not in namespace \"\(namespace)\"")
            }
            return try Registry.linkedBlob(from: row, namespace: namespace)
        }
    }

    /// Links the blob `source` sees under `digest` into `namespace` without moving a byte, and
    /// audits `blob.mount`. Returns `nil` when `source` does not see it (the caller then starts an
    /// ordinary upload, as the OCI spec says). The caller checks read access to `source`.
    ///
    /// - Throws: `invalidName`, `namespaceNotFound` (for `namespace`).
    package func mountBlob(
        digest: Digest,
        from source: String,
        into namespace: String,
        context: RequestContext
    ) async throws(ControlPlaneError) -> LinkedBlob? {
        try NameGrammar.validateNamespace(namespace)
        try NameGrammar.validateNamespace(source)
        let found: LinkedBlob
        do {
            found = try await registry.blob(namespace: source, digest: digest)
        } catch  where error.kind == .blobNotFound || error.kind == .namespaceNotFound {
            return nil
        }
        let now = controlPlane.nowMilliseconds()
        return try await controlPlane.mutate("mounting \(digest) from \"\(source)\" into \"\(namespace)\"") { db in
            _ = try await Registry.requireNamespace(namespace, in: db)
            guard try await Registry.visibleBlob(found.address, namespace: source, in: db) != nil else { return nil }
            try await Registry.insertLink(found.address, into: namespace, at: now, in: db)
            let address = found.address.description
            try await AuditLog.append(
                AuditEvent(action: "blob.mount", namespace: namespace, target: address, digests: [address], detail: "from \(source)"),
                context: context,
                at: now,
                in: db
            )
            var mounted = found
            mounted.namespace = namespace
            mounted.deduplicated = true
            return mounted
        }
    }
}
