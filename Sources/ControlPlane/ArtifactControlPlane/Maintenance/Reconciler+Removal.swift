import ArtifactDataPlane
import ArtifactIdentity
import ArtifactMetadata
import Foundation
import Logging
import SQLKit

extension Reconciler {
    /// Removes the stray object `address` from `backendID` through the collector's row states,
    /// so that an ingest about to link the same bytes can never be acknowledged without them.
    ///
    /// The race: an ingest of the same content finds the stray (deduplicates onto it: the file
    /// keeps its old modification time) or has just stored it, and has not yet run its link
    /// transaction. Removing the file now and letting the link insert a `live` row would
    /// acknowledge a push whose bytes are gone. So, exactly like a collection:
    /// 1. a transaction claims the address: it inserts the blob row as `deleting` when there is
    ///    none (`ON CONFLICT DO NOTHING`: a row that appeared meanwhile means an ingest linked
    ///    it, and the stray is no longer one), or moves a `deleted` row to `deleting`;
    /// 2. the bytes (and the outboard) are deleted through the data plane;
    /// 3. a transaction moves the row to `deleted` and appends a `reconcile.delete` audit record.
    /// An ingest's link that meets `deleting` waits, then `deleted`: it re-verifies the bytes
    /// and is refused (`blobCollected`, the client pushes again) when they are gone. A revival
    /// of a `deleted` row only succeeds if the row did not change since that re-verification
    /// (its `state_changed_at`, which each step here advances). A failed deletion leaves the row
    /// `deleting`, which the next garbage collection finishes.
    ///
    /// The claimed row carries the digests the stray's bytes have (read once, here): a row
    /// revived later takes the ingest's own.
    ///
    /// - Returns: whether the stray was removed (`false` when it vanished, could not be read,
    ///   or a row claimed it first).
    func removeStray(
        _ address: ContentAddress,
        backendID: String,
        rowState: String?,
        report: inout ReconcileReport
    )
        async throws(ControlPlaneError) -> Bool
    {
        let facts: VerifyResult
        do {
            facts = try await inventory.verify(address, backendID: backendID)
        } catch {
            controlPlane.logger.debug(
                "a stray could not be read; left for the next run",
                metadata: ["address": "\(address)", "error": "\(error)"]
            )
            return false
        }
        let claimedAt = controlPlane.nowMilliseconds()
        let text = address.description
        let claimed = try await controlPlane.mutate("claiming stray \(text) for removal", priority: .background) { db in
            let row: (any SQLRow)?
            if rowState == nil {
                row = try await db.raw(
                    """
                    INSERT INTO blobs (address, backend_id, size, sha256, blake3, state, created_at, unreferenced_since, state_changed_at)
                    VALUES (\(bind: text), \(bind: backendID), \(bind: Int64(facts.actualSize)),
                            \(bind: facts.actualSHA256Digest.description),
                            \(bind: facts.actualBLAKE3Digest.description), 'deleting', \(bind: claimedAt), NULL, \(bind: claimedAt))
                    ON CONFLICT (address) DO NOTHING RETURNING state
                    """
                ).first()
            } else {
                row = try await db.raw(
                    """
                    UPDATE blobs SET state = 'deleting', backend_id = \(bind: backendID), unreferenced_since = NULL,
                    state_changed_at = CASE WHEN state_changed_at < \(bind: claimedAt) THEN \(bind: claimedAt) ELSE state_changed_at + 1 END
                    WHERE address = \(bind: text) AND state = 'deleted' RETURNING state
                    """
                ).first()
            }
            guard row != nil else { return false }
            try await controlPlane.publish(.blob(address), in: db)
            return true
        }
        guard claimed else { return false }
        controlPlane.caches.apply(.blob(address))
        let deletion: DeletionResult
        do {
            deletion = try await inventory.delete(address, backendID: backendID)
        } catch {
            report.removalsFailed += 1
            controlPlane.logger.warning(
                "could not remove a stray object; the next garbage collection retries",
                metadata: ["address": "\(address)", "backend": "\(backendID)", "error": "\(error)"]
            )
            return false
        }
        let finishedAt = controlPlane.nowMilliseconds()
        try await controlPlane.mutate("recording the removal of stray \(text)", priority: .background) { db in
            try await db.raw(
                """
                UPDATE blobs SET state = 'deleted',
                state_changed_at = CASE WHEN state_changed_at < \(bind: finishedAt) THEN \(bind: finishedAt) ELSE state_changed_at + 1 END
                WHERE address = \(bind: text) AND state = 'deleting'
                """
            ).run()
            try await AuditLog.append(
                AuditEvent(
                    action: "reconcile.delete",
                    namespace: nil,
                    target: text,
                    digests: [text],
                    detail: "stray (\(rowState == nil ? "no row" : "row deleted")): "
                        + (deletion.removed ? "\(deletion.bytesRemoved) bytes from \(backendID)" : "already absent from \(backendID)")
                ),
                context: .reconciler,
                at: finishedAt,
                in: db
            )
        }
        return deletion.removed
    }
}
