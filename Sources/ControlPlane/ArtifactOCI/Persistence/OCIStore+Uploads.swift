package import ArtifactControlPlane
package import ArtifactDataPlane
import ArtifactIdentity
import ArtifactStoreAPI
package import ArtifactStoreCore
import Foundation
package import SQLKit

/// Durable upload sessions: started, appended to chunk by chunk, read back, finished or cancelled.
extension OCIStore {
    /// Starts an upload session into `namespace` for repository `artifact`.
    ///
    /// - Throws: `invalidName`, `namespaceNotFound`.
    package func startUpload(
        namespace: String,
        artifact: String,
        context: RequestContext
    ) async throws(ControlPlaneError) -> OCIUploadSession {
        try NameGrammar.validateNamespace(namespace)
        try NameGrammar.validateArtifact(artifact)
        // Namespaces are never deleted, so one found now (or cached) still exists at the insert,
        // as ``BlobLinking`` relies on: the transaction does not look again.
        _ = try await registry.namespace(namespace)
        let now = controlPlane.nowMilliseconds()
        let id = UUID().uuidString.lowercased()
        return try await controlPlane.mutate("starting an upload into \(namespace)/\(artifact)") { db in
            try await db.raw(
                """
                INSERT INTO oci_uploads (id, namespace, artifact, created_by, created_at, upload_offset, chunk_count)
                VALUES (\(bind: id), \(bind: namespace), \(bind: artifact), \(bind: context.actor), \(bind: now), 0, 0)
                """
            ).run()
            return OCIUploadSession(
                id: id,
                namespace: namespace,
                artifact: artifact,
                createdAt: Date(milliseconds: now),
                offset: 0,
                chunkCount: 0
            )
        }
    }

    /// The session `id` if it exists and belongs to `namespace`/`artifact`; `nil` otherwise.
    package func upload(id: String, namespace: String, artifact: String) async throws(ControlPlaneError) -> OCIUploadSession? {
        try await controlPlane.query("reading upload \(NameGrammar.printable(id))") { db in
            try await Self.uploadRow(id, namespace: namespace, artifact: artifact, in: db)
        }
    }

    /// Ingests `stream` through the data plane and records it as the next chunk of session
    /// `uploadID`, if the session's offset is still `offset`. The chunk is durable when this
    /// returns. A chunk is not linked into the namespace: no blob lookup sees it, and only the
    /// session holds it (the collector counts `oci_upload_chunks` as a reference), until the
    /// upload is finished (then the result is linked), cancelled or expired (then the bytes are
    /// collected after the grace period unless something else references them).
    ///
    /// - Throws: `namespaceNotFound`, the data plane's errors (`sizeMismatch`, …), `blobCollected`,
    ///   `quotaExceeded` (the chunk with the session's earlier ones does not fit the room the
    ///   namespace's quota leaves; nothing stored).
    package func appendChunk(
        uploadID: String,
        namespace: String,
        artifact: String,
        at offset: UInt64,
        _ stream: ByteStream,
        hints: IngestHints,
        context: RequestContext
    ) async throws(ControlPlaneError) -> OCIChunkAppend {
        let result = try await registry.ingestWithinQuota(
            stream,
            into: try await registry.namespace(namespace),
            hints: hints,
            holding: offset,
            doing: "ingesting a chunk of upload \(NameGrammar.printable(uploadID))"
        )
        let linking = BlobLinking(controlPlane: controlPlane)
        return try await linking.record(result, namespace: namespace, purpose: "holding a chunk of an upload:") { db, now in
            guard var session = try await Self.uploadRow(uploadID, namespace: namespace, artifact: artifact, in: db) else {
                return .unknownSession
            }
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
                """
                UPDATE oci_uploads SET upload_offset = \(bind: Int64(session.offset)), chunk_count = \(bind: Int64(session.chunkCount))
                WHERE id = \(bind: uploadID)
                """
            ).run()
            let address = result.address.description
            try await AuditLog.append(
                AuditEvent(
                    action: "oci.upload.chunk",
                    namespace: namespace,
                    target: uploadID,
                    digests: [address],
                    detail: "chunk \(session.chunkCount - 1): \(result.size) bytes at offset \(offset)"
                ),
                context: context,
                at: now,
                in: db
            )
            return .appended(session)
        }
    }

    /// Streams chunk `chunk` of session `uploadID` (the session must still hold it).
    ///
    /// - Throws: `blobNotFound` when the session does not hold that chunk; the data plane's errors.
    package func openChunk(uploadID: String, chunk: OCIUploadChunk) async throws(ControlPlaneError) -> ByteStream {
        let backendID = try await controlPlane.query("opening chunk \(chunk.index) of upload \(NameGrammar.printable(uploadID))") { db in
            guard
                let row = try await db.raw(
                    """
                    SELECT b.backend_id FROM oci_upload_chunks c JOIN blobs b ON b.address = c.address
                    WHERE c.upload_id = \(bind: uploadID) AND c.chunk = \(bind: Int64(chunk.index))
                    AND c.address = \(bind: chunk.address.description) AND b.state = 'live'
                    """
                ).first()
            else {
                throw ControlPlaneError(
                    .blobNotFound,
                    "upload \(NameGrammar.printable(uploadID)) holds no chunk \(chunk.index) of blob \(chunk.address)"
                )
            }
            return try row.string("backend_id")
        }
        do {
            return try await controlPlane.dataPlane.serve(chunk.address, range: nil, backendID: backendID)
        } catch {
            throw ControlPlaneError.wrapping(error, "serving chunk \(chunk.index) of upload \(NameGrammar.printable(uploadID))")
        }
    }

    /// The chunks of session `uploadID`, in order.
    package func uploadChunks(uploadID: String) async throws(ControlPlaneError) -> [OCIUploadChunk] {
        try await controlPlane.query("listing the chunks of upload \(NameGrammar.printable(uploadID))") { db in
            try await db.raw(
                "SELECT chunk, address, size, sha256 FROM oci_upload_chunks WHERE upload_id = \(bind: uploadID) ORDER BY chunk"
            ).all().map { row in
                OCIUploadChunk(
                    index: Int(try row.int("chunk")),
                    address: try Registry.address(try row.string("address")),
                    size: UInt64(try row.int("size")),
                    sha256: try Registry.digest(try row.string("sha256"))
                )
            }
        }
    }

    /// Ends session `uploadID` with its only chunk as the result: in one transaction the chunk's
    /// blob is linked into the namespace (it is live: the session's reference kept the
    /// collector away), the session and its chunk row are removed, and `blob.link` and
    /// `oci.upload.finish` are audited. Nothing is copied. Returns `nil` if the session, or that
    /// chunk of it, was already gone.
    package func finishUploadWithChunk(
        uploadID: String,
        namespace: String,
        artifact: String,
        chunk: OCIUploadChunk,
        context: RequestContext
    ) async throws(ControlPlaneError) -> LinkedBlob? {
        let now = controlPlane.nowMilliseconds()
        let address = chunk.address.description
        return try await controlPlane.mutate("finishing upload \(NameGrammar.printable(uploadID))") { db -> LinkedBlob? in
            guard try await Self.uploadRow(uploadID, namespace: namespace, artifact: artifact, in: db) != nil,
                let row = try await db.raw(
                    """
                    SELECT b.address, b.size, b.sha256, b.blake3 FROM oci_upload_chunks c JOIN blobs b ON b.address = c.address
                    WHERE c.upload_id = \(bind: uploadID) AND c.chunk = \(bind: Int64(chunk.index)) AND c.address = \(bind: address)
                    AND b.state = 'live'
                    """
                ).first()
            else { return nil }
            try await Registry.insertLink(chunk.address, into: namespace, at: now, in: db)
            guard try await Self.removeUpload(uploadID, in: db) else { return nil }
            let blob = try Registry.linkedBlob(from: row, namespace: namespace)
            try await AuditLog.append(
                AuditEvent(action: "blob.link", namespace: namespace, target: address, digests: [address]),
                context: context,
                at: now,
                in: db
            )
            try await AuditLog.append(
                AuditEvent(
                    action: "oci.upload.finish",
                    namespace: namespace,
                    target: uploadID,
                    digests: [address],
                    detail: blob.sha256.description
                ),
                context: context,
                at: now,
                in: db
            )
            return blob
        }
    }

    /// Ends session `uploadID` with `result` (linked into its namespace): removes the session and
    /// its chunk rows (the chunks' bytes are then collected after the grace period unless
    /// something else references them) and audits `oci.upload.finish`.
    /// Returns `false` if the session was already gone.
    @discardableResult
    package func finishUpload(
        uploadID: String,
        namespace: String,
        result: LinkedBlob,
        context: RequestContext
    ) async throws(ControlPlaneError) -> Bool {
        let now = controlPlane.nowMilliseconds()
        return try await controlPlane.mutate("finishing upload \(NameGrammar.printable(uploadID))") { db in
            try await Self.recordFinish(uploadID, namespace: namespace, result: result, context: context, at: now, in: db)
        }
    }

    /// In the transaction `db`: ends session `uploadID` with `result` as ``finishUpload(uploadID:namespace:result:context:)``
    /// does. Returns `false` (and audits nothing) if the session was already gone.
    package static func recordFinish(
        _ uploadID: String,
        namespace: String,
        result: LinkedBlob,
        context: RequestContext,
        at now: Int64,
        in db: any SQLDatabase
    ) async throws -> Bool {
        guard try await removeUpload(uploadID, in: db) else { return false }
        try await AuditLog.append(
            AuditEvent(
                action: "oci.upload.finish",
                namespace: namespace,
                target: uploadID,
                digests: [result.address.description],
                detail: result.sha256.description
            ),
            context: context,
            at: now,
            in: db
        )
        return true
    }

    /// Cancels session `uploadID`, auditing `oci.upload.cancel`, and removes its stage (if any).
    /// Returns `false` if there was none.
    package func cancelUpload(
        uploadID: String,
        namespace: String,
        artifact: String,
        context: RequestContext
    ) async throws(ControlPlaneError) -> Bool {
        let now = controlPlane.nowMilliseconds()
        let cancelled = try await controlPlane.mutate("cancelling upload \(NameGrammar.printable(uploadID))") { db in
            guard try await Self.uploadRow(uploadID, namespace: namespace, artifact: artifact, in: db) != nil,
                try await Self.removeUpload(uploadID, in: db)
            else { return false }
            try await AuditLog.append(
                AuditEvent(action: "oci.upload.cancel", namespace: namespace, target: uploadID),
                context: context,
                at: now,
                in: db
            )
            return true
        }
        if cancelled { await discardStages(of: [uploadID]) }
        return cancelled
    }
}
