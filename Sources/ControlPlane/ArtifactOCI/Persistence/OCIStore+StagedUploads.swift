package import ArtifactControlPlane
package import ArtifactDataPlane
import ArtifactStoreAPI
import ArtifactStoreCore
import Logging
import SQLKit

/// Upload sessions whose bytes are one stage of the data plane (``StagedIngesting``): each `PATCH`
/// is appended to the stage and hashed as it arrives, and the close commits the stage under its
/// content address, so no byte is written twice. Such a session has no chunk rows: its
/// `upload_offset` is the stage's acknowledged length. A session that already holds chunks (made
/// by a data plane that cannot stage) goes on with chunks.
extension OCIStore {
    /// The data plane's stage of upload `uploadID` (a lower-case UUID, so always a valid name).
    static func stageName(_ uploadID: String) -> String {
        "oci-upload-" + uploadID
    }

    /// The data plane, when it can stage.
    var stagingDataPlane: (any StagedIngesting)? {
        controlPlane.dataPlane as? any StagedIngesting
    }

    /// Records that the stage of session `uploadID` now holds `length` bytes, if the session's
    /// offset is still `offset` and it holds no chunks; audits `oci.upload.chunk`.
    package func recordStagedAppend(
        uploadID: String,
        namespace: String,
        artifact: String,
        from offset: UInt64,
        to length: UInt64,
        context: RequestContext
    ) async throws(ControlPlaneError) -> OCIChunkAppend {
        let now = controlPlane.nowMilliseconds()
        return try await controlPlane.mutate("recording a chunk of upload \(NameGrammar.printable(uploadID))") { db in
            guard var session = try await Self.uploadRow(uploadID, namespace: namespace, artifact: artifact, in: db) else {
                return .unknownSession
            }
            guard session.offset == offset, session.chunkCount == 0 else { return .offsetMismatch(session) }
            try await db.raw(
                """
                UPDATE oci_uploads SET upload_offset = \(bind: Int64(length))
                WHERE id = \(bind: uploadID) AND upload_offset = \(bind: Int64(offset)) AND chunk_count = 0
                """
            ).run()
            session.offset = length
            try await AuditLog.append(
                AuditEvent(
                    action: "oci.upload.chunk",
                    namespace: namespace,
                    target: uploadID,
                    detail: "staged: \(length - offset) bytes at offset \(offset)"
                ),
                context: context,
                at: now,
                in: db
            )
            return .appended(session)
        }
    }

    /// Links the blob a committed stage stored into `namespace` (as every ingest is linked).
    package func linkStaged(
        _ result: IngestResult,
        namespace: String,
        context: RequestContext
    ) async throws(ControlPlaneError) -> LinkedBlob {
        try await BlobLinking(controlPlane: controlPlane).link(result, into: namespace, context: context)
    }

    /// Removes the stages of sessions that ended without their bytes being committed (cancelled
    /// or expired). A stage that cannot be removed now is logged; its bytes are never linked.
    func discardStages(of uploadIDs: [String]) async {
        guard let staging = stagingDataPlane else { return }
        for id in uploadIDs {
            do {
                try await staging.discardStaged(Self.stageName(id), backendID: nil)
            } catch {
                controlPlane.logger.warning(
                    "could not remove the staged bytes of an ended upload",
                    metadata: ["upload": "\(id)", "error": "\(error.message)"]
                )
            }
        }
    }
}
