import ArtifactControlPlane
import Foundation
import SQLKit

/// The upload-session rows (`oci_uploads`, `oci_upload_chunks`) read and removed inside a
/// transaction, shared by the session operations and the expiry.
extension OCIStore {
    /// The session `id` if it exists and belongs to `namespace`/`artifact`; `nil` otherwise.
    static func uploadRow(_ id: String, namespace: String, artifact: String, in db: any SQLDatabase) async throws -> OCIUploadSession? {
        guard
            let row = try await db.raw(
                """
                SELECT id, namespace, artifact, created_at, upload_offset, chunk_count FROM oci_uploads
                WHERE id = \(bind: id) AND namespace = \(bind: namespace) AND artifact = \(bind: artifact)
                """
            ).first()
        else { return nil }
        return OCIUploadSession(
            id: try row.string("id"),
            namespace: try row.string("namespace"),
            artifact: try row.string("artifact"),
            createdAt: Date(milliseconds: try row.int("created_at")),
            offset: UInt64(try row.int("upload_offset")),
            chunkCount: Int(try row.int("chunk_count"))
        )
    }

    /// Deletes the session row and its chunk rows (the chunks' blobs then age out through the
    /// collector's grace period unless something else references them). `false` if there was
    /// no such session.
    static func removeUpload(_ id: String, in db: any SQLDatabase) async throws -> Bool {
        guard try await db.raw("SELECT id FROM oci_uploads WHERE id = \(bind: id)").first() != nil else { return false }
        try await db.raw("DELETE FROM oci_upload_chunks WHERE upload_id = \(bind: id)").run()
        try await db.raw("DELETE FROM oci_uploads WHERE id = \(bind: id)").run()
        return true
    }
}
