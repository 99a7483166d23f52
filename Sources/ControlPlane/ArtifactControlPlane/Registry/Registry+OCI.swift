import ArtifactDataPlane
import ArtifactIdentity
import ArtifactMetadata
import ArtifactStoreAPI
import ArtifactStoreCore
import Foundation
import Logging
import SQLKit
import ServiceLifecycle

// The registry operations the OCI distribution API (ArtifactOCI, docs/oci.md) needs beyond the
// generic ones: durable upload sessions, cross-repository mounts, the manifest facts the
// referrers API lists, and tag and repository listings keyed by name (OCI's `n`/`last`).
// They live here because they share the registry's transactions, rows and audit log.
extension Registry {
    /// A resumable OCI blob upload: the bytes received so far are its chunks, each a blob held
    /// by the session (not linked into the namespace, so invisible to every lookup) and
    /// recorded before the chunk was acknowledged.
    public struct OCIUploadSession: Sendable, Hashable {
        public var id: String
        public var namespace: String
        public var artifact: String
        public var createdAt: Date
        /// Bytes received so far (the sum of the chunks' sizes).
        public var offset: UInt64
        public var chunkCount: Int
    }

    /// One chunk of an upload session, in order.
    public struct OCIUploadChunk: Sendable, Hashable {
        public var index: Int
        public var address: ContentAddress
        public var size: UInt64
        public var sha256: Digest
    }

    /// What appending a chunk did.
    public enum OCIChunkAppend: Sendable, Hashable {
        case appended(OCIUploadSession)
        /// The chunk did not start at the session's offset; nothing was recorded.
        case offsetMismatch(OCIUploadSession)
        /// No such session (finished, cancelled, expired or never made).
        case unknownSession
    }

    /// The facts of a stored manifest the referrers API answers with.
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
            namespace: String, artifact: String, digest: String, mediaType: String, artifactType: String?, subject: String?, annotations: String?,
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

    // MARK: Upload sessions

    /// Starts an upload session into `namespace` for repository `artifact`.
    ///
    /// - Throws: `invalidName`, `namespaceNotFound`.
    public func ociStartUpload(namespace: String, artifact: String, context: RequestContext) async throws(ControlPlaneError) -> OCIUploadSession {
        try NameGrammar.validateNamespace(namespace)
        try NameGrammar.validateArtifact(artifact)
        let now = controlPlane.nowMilliseconds()
        let id = UUID().uuidString.lowercased()
        return try await controlPlane.mutate("starting an upload into \(namespace)/\(artifact)") { db in
            _ = try await Self.requireNamespace(namespace, in: db)
            try await db.raw(
                """
                INSERT INTO oci_uploads (id, namespace, artifact, created_by, created_at, upload_offset, chunk_count)
                VALUES (\(bind: id), \(bind: namespace), \(bind: artifact), \(bind: context.actor), \(bind: now), 0, 0)
                """
            ).run()
            return OCIUploadSession(id: id, namespace: namespace, artifact: artifact, createdAt: Date(milliseconds: now), offset: 0, chunkCount: 0)
        }
    }

    /// The session `id` if it exists and belongs to `namespace`/`artifact`; `nil` otherwise.
    public func ociUpload(id: String, namespace: String, artifact: String) async throws(ControlPlaneError) -> OCIUploadSession? {
        try await controlPlane.query("reading upload \(NameGrammar.printable(id))") { db in
            try await Self.ociUpload(id, namespace: namespace, artifact: artifact, in: db)
        }
    }

    /// Ingests `stream` through the data plane and records it as the next chunk of session
    /// `uploadID`, if the session's offset is still `offset`. The chunk is durable when this
    /// returns. A chunk is not linked into the namespace: no blob lookup sees it, and only the
    /// session holds it (the collector counts `oci_upload_chunks` as a reference), until the
    /// upload is finished (then the result is linked), cancelled or expired (then the bytes are
    /// collected after the grace period unless something else references them).
    ///
    /// - Throws: `namespaceNotFound`, the data plane's errors (`sizeMismatch`, …), `blobCollected`.
    public func ociAppendChunk(
        uploadID: String, namespace: String, artifact: String, at offset: UInt64, _ stream: ByteStream, hints: IngestHints,
        context: RequestContext
    ) async throws(ControlPlaneError) -> OCIChunkAppend {
        let result = try await ingestBytes(stream, hints: hints, doing: "ingesting a chunk of upload \(NameGrammar.printable(uploadID))")
        return try await BlobLinking(controlPlane: controlPlane).record(result, namespace: namespace, purpose: "holding a chunk of an upload:") { db, now in
            guard var session = try await Self.ociUpload(uploadID, namespace: namespace, artifact: artifact, in: db) else { return .unknownSession }
            guard session.offset == offset else { return .offsetMismatch(session) }
            guard result.size > 0 else { return .appended(session) }
            try await db.raw(
                """
                INSERT INTO oci_upload_chunks (upload_id, chunk, namespace, address, size, sha256)
                VALUES (\(bind: uploadID), \(bind: Int64(session.chunkCount)), \(bind: namespace), \(bind: result.address.description),
                        \(bind: Int64(result.size)), \(bind: result.sha256Digest.description))
                """
            ).run()
            session.offset += result.size
            session.chunkCount += 1
            try await db.raw(
                "UPDATE oci_uploads SET upload_offset = \(bind: Int64(session.offset)), chunk_count = \(bind: Int64(session.chunkCount)) WHERE id = \(bind: uploadID)"
            ).run()
            let address = result.address.description
            try await AuditLog.append(
                AuditEvent(
                    action: "oci.upload.chunk", namespace: namespace, target: uploadID, digests: [address],
                    detail: "chunk \(session.chunkCount - 1): \(result.size) bytes at offset \(offset)"),
                context: context, at: now, in: db)
            return .appended(session)
        }
    }

    /// Streams chunk `chunk` of session `uploadID` (the session must still hold it).
    ///
    /// - Throws: `blobNotFound` when the session does not hold that chunk; the data plane's errors.
    public func ociOpenChunk(uploadID: String, chunk: OCIUploadChunk) async throws(ControlPlaneError) -> ByteStream {
        let backendID = try await controlPlane.query("opening chunk \(chunk.index) of upload \(NameGrammar.printable(uploadID))") { db in
            guard
                let row = try await db.raw(
                    """
                    SELECT b.backend_id FROM oci_upload_chunks c JOIN blobs b ON b.address = c.address
                    WHERE c.upload_id = \(bind: uploadID) AND c.chunk = \(bind: Int64(chunk.index)) AND c.address = \(bind: chunk.address.description)
                    AND b.state = 'live'
                    """
                ).first()
            else {
                throw ControlPlaneError(.blobNotFound, "upload \(NameGrammar.printable(uploadID)) holds no chunk \(chunk.index) of blob \(chunk.address)")
            }
            return try row.string("backend_id")
        }
        do {
            return try await controlPlane.dataPlane.serve(chunk.address, range: nil, backendID: backendID)
        } catch {
            throw ControlPlaneError.wrapping(error, "serving chunk \(chunk.index) of upload \(NameGrammar.printable(uploadID))")
        }
    }

    /// Ends session `uploadID` with its only chunk as the result: in one transaction the chunk's
    /// blob is linked into the namespace (it is live: the session's reference kept the
    /// collector away), the session and its chunk row are removed, and `blob.link` and
    /// `oci.upload.finish` are audited. Nothing is copied. Returns `nil` if the session, or that
    /// chunk of it, was already gone.
    public func ociFinishUploadWithChunk(
        uploadID: String, namespace: String, artifact: String, chunk: OCIUploadChunk, context: RequestContext
    ) async throws(ControlPlaneError) -> LinkedBlob? {
        let now = controlPlane.nowMilliseconds()
        let address = chunk.address.description
        return try await controlPlane.mutate("finishing upload \(NameGrammar.printable(uploadID))") { db in
            guard try await Self.ociUpload(uploadID, namespace: namespace, artifact: artifact, in: db) != nil,
                let row = try await db.raw(
                    """
                    SELECT b.size, b.sha256, b.blake3 FROM oci_upload_chunks c JOIN blobs b ON b.address = c.address
                    WHERE c.upload_id = \(bind: uploadID) AND c.chunk = \(bind: Int64(chunk.index)) AND c.address = \(bind: address) AND b.state = 'live'
                    """
                ).first()
            else { return nil }
            try await db.raw(
                """
                INSERT INTO links (namespace, address, linked_at) VALUES (\(bind: namespace), \(bind: address), \(bind: now))
                ON CONFLICT (namespace, address) DO UPDATE SET linked_at = excluded.linked_at
                """
            ).run()
            try await db.raw("UPDATE blobs SET unreferenced_since = NULL WHERE address = \(bind: address)").run()
            guard try await Self.ociRemoveUpload(uploadID, namespace: namespace, in: db) else { return nil }
            let blob = LinkedBlob(
                namespace: namespace, address: chunk.address, size: UInt64(try row.int("size")), sha256: try Self.digest(try row.string("sha256")),
                blake3: try Self.digest(try row.string("blake3")), deduplicated: false)
            try await AuditLog.append(AuditEvent(action: "blob.link", namespace: namespace, target: address, digests: [address]), context: context, at: now, in: db)
            try await AuditLog.append(
                AuditEvent(action: "oci.upload.finish", namespace: namespace, target: uploadID, digests: [address], detail: blob.sha256.description),
                context: context, at: now, in: db)
            return blob
        }
    }

    /// The chunks of session `id`, in order.
    public func ociUploadChunks(uploadID: String) async throws(ControlPlaneError) -> [OCIUploadChunk] {
        try await controlPlane.query("listing the chunks of upload \(NameGrammar.printable(uploadID))") { db in
            try await db.raw("SELECT chunk, address, size, sha256 FROM oci_upload_chunks WHERE upload_id = \(bind: uploadID) ORDER BY chunk").all().map { row in
                OCIUploadChunk(
                    index: Int(try row.int("chunk")), address: try Self.address(try row.string("address")), size: UInt64(try row.int("size")),
                    sha256: try Self.digest(try row.string("sha256")))
            }
        }
    }

    /// Ends session `id` with `result` (linked into its namespace): removes the session and its
    /// chunk rows (the chunks' bytes are then collected after the grace period unless something
    /// else references them) and audits `oci.upload.finish`.
    /// Returns `false` if the session was already gone.
    @discardableResult
    public func ociFinishUpload(uploadID: String, namespace: String, result: LinkedBlob, context: RequestContext) async throws(ControlPlaneError) -> Bool {
        let now = controlPlane.nowMilliseconds()
        return try await controlPlane.mutate("finishing upload \(NameGrammar.printable(uploadID))") { db in
            guard try await Self.ociRemoveUpload(uploadID, namespace: namespace, in: db) else { return false }
            try await AuditLog.append(
                AuditEvent(action: "oci.upload.finish", namespace: namespace, target: uploadID, digests: [result.address.description], detail: result.sha256.description),
                context: context, at: now, in: db)
            return true
        }
    }

    /// Cancels session `id`, auditing `oci.upload.cancel`. Returns `false` if there was none.
    public func ociCancelUpload(uploadID: String, namespace: String, artifact: String, context: RequestContext) async throws(ControlPlaneError) -> Bool {
        let now = controlPlane.nowMilliseconds()
        return try await controlPlane.mutate("cancelling upload \(NameGrammar.printable(uploadID))") { db in
            guard try await Self.ociUpload(uploadID, namespace: namespace, artifact: artifact, in: db) != nil,
                try await Self.ociRemoveUpload(uploadID, namespace: namespace, in: db)
            else { return false }
            try await AuditLog.append(
                AuditEvent(action: "oci.upload.cancel", namespace: namespace, target: uploadID), context: context, at: now, in: db)
            return true
        }
    }

    /// Most sessions one ``ociExpireUploads(startedBefore:)`` call removes (one transaction).
    public static let ociExpiryBatch = 1000

    /// Removes up to ``ociExpiryBatch`` sessions started before `cutoff` (abandoned uploads), each
    /// with an `oci.upload.expire` record by `system:oci-uploads`. Returns how many.
    public func ociExpireUploads(startedBefore cutoff: Date) async throws(ControlPlaneError) -> Int {
        let cutoffMilliseconds = Int64((cutoff.timeIntervalSince1970 * 1000).rounded(.down))
        let now = controlPlane.nowMilliseconds()
        let context = RequestContext(actor: "system:oci-uploads")
        return try await controlPlane.mutate("expiring abandoned uploads", priority: .background) { db in
            let expired = try await db.raw(
                "SELECT id, namespace FROM oci_uploads WHERE created_at < \(bind: cutoffMilliseconds) ORDER BY id LIMIT \(literal: Self.ociExpiryBatch)"
            ).all().map { (try $0.string("id"), try $0.string("namespace")) }
            for (id, namespace) in expired {
                _ = try await Self.ociRemoveUpload(id, namespace: namespace, in: db)
                try await AuditLog.append(
                    AuditEvent(action: "oci.upload.expire", namespace: namespace, target: id, detail: "abandoned"), context: context, at: now, in: db)
            }
            return expired.count
        }
    }

    static func ociUpload(_ id: String, namespace: String, artifact: String, in db: any SQLDatabase) async throws -> OCIUploadSession? {
        guard let row = try await db.raw(
            "SELECT id, namespace, artifact, created_at, upload_offset, chunk_count FROM oci_uploads WHERE id = \(bind: id) AND namespace = \(bind: namespace) AND artifact = \(bind: artifact)"
        ).first() else { return nil }
        return OCIUploadSession(
            id: try row.string("id"), namespace: try row.string("namespace"), artifact: try row.string("artifact"),
            createdAt: Date(milliseconds: try row.int("created_at")), offset: UInt64(try row.int("upload_offset")),
            chunkCount: Int(try row.int("chunk_count")))
    }

    /// Deletes the session row and its chunk rows; touches the chunks' links so they get the
    /// full grace period from now (the session protected them until this moment).
    static func ociRemoveUpload(_ id: String, namespace: String, in db: any SQLDatabase) async throws -> Bool {
        guard try await db.raw("SELECT id FROM oci_uploads WHERE id = \(bind: id)").first() != nil else { return false }
        try await db.raw("DELETE FROM oci_upload_chunks WHERE upload_id = \(bind: id)").run()
        try await db.raw("DELETE FROM oci_uploads WHERE id = \(bind: id)").run()
        return true
    }

    // MARK: Digests the data plane does not compute

    /// A digest a client named a blob by that the data plane does not compute (`sha512:<hex>`),
    /// checked on the bytes by the caller while they were ingested.
    public struct OCIDigestAlias: Sendable, Hashable {
        /// `sha512`.
        public var algorithm: String
        /// The client's whole digest text, `sha512:<hex>`.
        public var digest: String

        public init(algorithm: String, digest: String) {
            self.algorithm = algorithm
            self.digest = digest
        }
    }

    /// As ``ingestBlob(namespace:_:hints:context:)``, and records `alias` → the blob's content
    /// address in `blob_digests` in the transaction that links the blob, so a lookup by `alias`
    /// finds it exactly when the link exists. The caller checks `alias` against the bytes while
    /// the data plane reads `stream` (the stream fails on a mismatch, and nothing is stored);
    /// `verified` says that check ran to the stream's end and matched, and is asked before
    /// anything is recorded, so a mapping is never written for bytes that were not checked.
    ///
    /// - Throws: as ``ingestBlob(namespace:_:hints:context:)``; `invalidDigest` when `verified`
    ///   answers `false` (nothing recorded).
    public func ociIngestBlob(
        namespace: String, _ stream: ByteStream, hints: IngestHints, alias: OCIDigestAlias, verified: @Sendable () -> Bool, context: RequestContext
    ) async throws(ControlPlaneError) -> LinkedBlob {
        _ = try await self.namespace(namespace)
        let result = try await ingestBytes(stream, hints: hints, doing: "ingesting \(alias.digest) into namespace \"\(namespace)\"")
        guard verified() else {
            throw ControlPlaneError(.invalidDigest, "the bytes ingested into \"\(namespace)\" were not checked against \(alias.digest); nothing was recorded")
        }
        let address = result.address.description
        return try await BlobLinking(controlPlane: controlPlane).link(result, into: namespace, context: context) { db in
            try await db.raw(
                """
                INSERT INTO blob_digests (algorithm, digest, address) VALUES (\(bind: alias.algorithm), \(bind: alias.digest), \(bind: address))
                ON CONFLICT (algorithm, digest) DO NOTHING
                """
            ).run()
        }
    }

    /// The blob `namespace` sees under `alias`: found through `blob_digests`, then subject to
    /// the same visibility as every lookup (a live blob row linked into `namespace`).
    ///
    /// - Throws: `invalidName`, `namespaceNotFound`, `blobNotFound` (no mapping, not linked
    ///   into `namespace`, or collected).
    public func ociBlob(namespace: String, alias: OCIDigestAlias) async throws(ControlPlaneError) -> LinkedBlob {
        try NameGrammar.validateNamespace(namespace)
        return try await controlPlane.query("reading blob \(alias.digest)") { db in
            _ = try await Self.requireNamespace(namespace, in: db)
            guard
                let row = try await db.raw(
                    """
                    SELECT b.address, b.backend_id, b.size, b.sha256, b.blake3 FROM blob_digests d
                    JOIN blobs b ON b.address = d.address JOIN links l ON l.address = b.address
                    WHERE d.algorithm = \(bind: alias.algorithm) AND d.digest = \(bind: alias.digest) AND b.state = 'live' AND l.namespace = \(bind: namespace)
                    """
                ).first()
            else {
                throw ControlPlaneError(.blobNotFound, "blob \(alias.digest) is not in namespace \"\(namespace)\"")
            }
            return try Self.linkedBlob(from: row, namespace: namespace)
        }
    }

    /// The OCI manifest version (`sha256-<hex>`) of `namespace`/`artifact` whose file `path` is
    /// the blob `address` (a manifest's exact bytes), or `nil`: how a manifest requested by a
    /// digest the version is not named after (sha512) is found.
    public func ociManifestVersion(namespace: String, artifact: String, path: String, address: ContentAddress) async throws(ControlPlaneError) -> String? {
        try await controlPlane.query("finding the manifest \(address) of \(namespace)/\(artifact)") { db in
            try await db.raw(
                """
                SELECT version FROM version_files
                WHERE namespace = \(bind: namespace) AND artifact = \(bind: artifact) AND path = \(bind: path) AND address = \(bind: address.description)
                AND version LIKE 'sha256-%' ORDER BY version LIMIT 1
                """
            ).first()?.string("version")
        }
    }

    // MARK: Mounts

    /// Links the blob `from` sees under `digest` into `namespace` without moving a byte, and
    /// audits `blob.mount`. Returns `nil` when `from` does not see it (the caller then starts an
    /// ordinary upload, as the OCI spec says). The caller checks read access to `from`.
    ///
    /// - Throws: `invalidName`, `namespaceNotFound` (for `namespace`).
    public func ociMountBlob(digest: Digest, from source: String, into namespace: String, context: RequestContext) async throws(ControlPlaneError) -> LinkedBlob? {
        try NameGrammar.validateNamespace(namespace)
        try NameGrammar.validateNamespace(source)
        let found: LinkedBlob
        do {
            found = try await blob(namespace: source, digest: digest)
        } catch where error.kind == .blobNotFound || error.kind == .namespaceNotFound {
            return nil
        }
        let now = controlPlane.nowMilliseconds()
        return try await controlPlane.mutate("mounting \(digest) from \"\(source)\" into \"\(namespace)\"") { db in
            _ = try await Self.requireNamespace(namespace, in: db)
            guard try await Self.visibleBlob(found.address, namespace: source, in: db) != nil else { return nil }
            try await db.raw(
                """
                INSERT INTO links (namespace, address, linked_at) VALUES (\(bind: namespace), \(bind: found.address.description), \(bind: now))
                ON CONFLICT (namespace, address) DO UPDATE SET linked_at = excluded.linked_at
                """
            ).run()
            try await db.raw("UPDATE blobs SET unreferenced_since = NULL WHERE address = \(bind: found.address.description)").run()
            try await AuditLog.append(
                AuditEvent(
                    action: "blob.mount", namespace: namespace, target: found.address.description, digests: [found.address.description],
                    detail: "from \(source)"),
                context: context, at: now, in: db)
            var mounted = found
            mounted.namespace = namespace
            mounted.deduplicated = true
            return mounted
        }
    }

    // MARK: Manifests

    /// Commits the version a manifest maps to (see ``commitVersion(_:context:)``; the same
    /// bytes pushed again find it committed and keep it) and records the manifest's facts for
    /// the referrers API, in one transaction: a crash leaves both or neither.
    ///
    /// - Throws: what ``commitVersion(_:context:)`` throws, except `versionExists`.
    public func ociCommitManifest(_ version: VersionManifest, record: OCIManifestRecord, context: RequestContext) async throws(ControlPlaneError) {
        try Self.validate(version)
        let now = controlPlane.nowMilliseconds()
        try await controlPlane.mutate("committing manifest \(record.digest) as \(version.namespace)/\(version.artifact)@\(version.version)") { db in
            do {
                _ = try await Self.insertVersion(version, now: now, context: context, in: db)
            } catch let error as ControlPlaneError where error.kind == .versionExists {
                // Refused before writing anything: the manifest is already committed.
            }
            try await db.raw(
                """
                INSERT INTO oci_manifests (namespace, artifact, digest, media_type, artifact_type, subject, annotations, size, created_at)
                VALUES (\(bind: record.namespace), \(bind: record.artifact), \(bind: record.digest), \(bind: record.mediaType), \(bind: record.artifactType),
                        \(bind: record.subject), \(bind: record.annotations), \(bind: Int64(record.size)), \(bind: now))
                ON CONFLICT (namespace, artifact, digest) DO UPDATE SET media_type = excluded.media_type, artifact_type = excluded.artifact_type,
                    subject = excluded.subject, annotations = excluded.annotations, size = excluded.size
                """
            ).run()
        }
    }

    /// Deletes the version `version` (a manifest) and its referrers facts in one transaction,
    /// through the same checks and audit as ``deleteVersion(namespace:artifact:version:context:)``.
    public func ociDeleteManifest(namespace: String, artifact: String, version: String, digest: String, context: RequestContext) async throws(ControlPlaneError) {
        try Self.validate(namespace: namespace, artifact: artifact, version: version)
        let now = controlPlane.nowMilliseconds()
        try await controlPlane.mutate("deleting manifest \(namespace)/\(artifact)@\(digest)") { db in
            try await Self.deleteVersion(namespace, artifact, version, reason: "OCI manifest delete", context: context, at: now, in: db)
            try await db.raw(
                "DELETE FROM oci_manifests WHERE namespace = \(bind: namespace) AND artifact = \(bind: artifact) AND digest = \(bind: digest)"
            ).run()
        }
    }

    /// The manifests of a repository whose `subject` is `subject`, by digest, optionally only
    /// those of `artifactType`.
    public func ociReferrers(namespace: String, artifact: String, subject: String, artifactType: String?) async throws(ControlPlaneError) -> [OCIManifestRecord] {
        try NameGrammar.validateNamespace(namespace)
        try NameGrammar.validateArtifact(artifact)
        return try await controlPlane.query("listing referrers of \(subject)") { db in
            _ = try await Self.requireNamespace(namespace, in: db)
            var sql: SQLQueryString = """
                SELECT m.digest, m.media_type, m.artifact_type, m.subject, m.annotations, m.size FROM oci_manifests m
                WHERE m.namespace = \(bind: namespace) AND m.artifact = \(bind: artifact) AND m.subject = \(bind: subject)
                AND EXISTS (SELECT 1 FROM versions v WHERE v.namespace = m.namespace AND v.artifact = m.artifact AND v.version = REPLACE(m.digest, ':', '-'))
                """
            if let artifactType { sql += " AND m.artifact_type = \(bind: artifactType)" }
            sql += " ORDER BY m.digest LIMIT 10000"
            return try await db.raw(sql).all().map { row in
                OCIManifestRecord(
                    namespace: namespace, artifact: artifact, digest: try row.string("digest"), mediaType: try row.string("media_type"),
                    artifactType: try row.optionalString("artifact_type"),
                    subject: try row.optionalString("subject"),
                    annotations: try row.optionalString("annotations"),
                    size: UInt64(try row.int("size")))
            }
        }
    }

    // MARK: Listings by name

    /// Up to `limit` tag names of a repository after `after`, in order (OCI `n`/`last`).
    ///
    /// - Throws: `namespaceNotFound`, `artifactNotFound` (no manifest was ever pushed there).
    public func ociTagNames(namespace: String, artifact: String, after: String?, limit: Int) async throws(ControlPlaneError) -> [String] {
        try NameGrammar.validateNamespace(namespace)
        try NameGrammar.validateArtifact(artifact)
        let after = after ?? ""
        return try await controlPlane.query("listing tags of \(namespace)/\(artifact)") { db in
            _ = try await Self.requireNamespace(namespace, in: db)
            try await Self.requireArtifact(namespace, artifact, in: db)
            return try await db.raw(
                "SELECT tag FROM tags WHERE namespace = \(bind: namespace) AND artifact = \(bind: artifact) AND tag > \(bind: after) ORDER BY tag LIMIT \(literal: max(0, limit))"
            ).all().map { try $0.string("tag") }
        }
    }

    /// Up to `limit` repositories (`namespace`, `artifact`) after `after`, ordered by namespace
    /// then artifact, in `namespaces` only (every namespace when `nil`).
    public func ociRepositories(after: (namespace: String, artifact: String)?, limit: Int, namespaces: [String]?) async throws(ControlPlaneError) -> [(namespace: String, artifact: String)] {
        if let namespaces, namespaces.isEmpty { return [] }
        let (afterNamespace, afterArtifact) = after ?? ("", "")
        return try await controlPlane.query("listing repositories") { db in
            var sql: SQLQueryString = """
                SELECT namespace, name FROM artifacts
                WHERE (namespace > \(bind: afterNamespace) OR (namespace = \(bind: afterNamespace) AND name > \(bind: afterArtifact)))
                """
            if let namespaces { sql += " AND namespace IN (\(binds: namespaces))" }
            sql += " ORDER BY namespace, name LIMIT \(literal: max(0, limit))"
            return try await db.raw(sql).all().map { (namespace: try $0.string("namespace"), artifact: try $0.string("name")) }
        }
    }
}

/// Expires abandoned OCI upload sessions as a long-running service: every ``interval``, removes
/// the sessions started more than ``maximumAge`` ago (their chunks' links then age out through
/// the garbage collector's grace period), until graceful shutdown.
public struct OCIUploadExpiryService: Service {
    public let registry: Registry
    public let maximumAge: Duration
    public let interval: Duration

    public func run() async throws {
        let controlPlane = registry.controlPlane
        await runPeriodically(every: interval) {
            do {
                let cutoff = controlPlane.clock().addingTimeInterval(-Double(maximumAge.milliseconds) / 1000)
                var expired = 0
                while true {
                    let batch = try await registry.ociExpireUploads(startedBefore: cutoff)
                    expired += batch
                    if batch < Registry.ociExpiryBatch { break }
                }
                if expired > 0 { controlPlane.logger.info("expired abandoned OCI uploads", metadata: ["count": "\(expired)"]) }
            } catch {
                controlPlane.logger.error("expiring OCI uploads failed", metadata: ["error": "\(error)"])
            }
        }
    }
}

extension Registry {
    /// A service that expires upload sessions older than `maximumAge` every `interval`.
    public func ociUploadExpiryService(maximumAge: Duration, interval: Duration) -> OCIUploadExpiryService {
        OCIUploadExpiryService(registry: self, maximumAge: maximumAge, interval: interval)
    }
}
