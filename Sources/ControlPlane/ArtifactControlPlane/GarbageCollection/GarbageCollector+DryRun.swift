import Foundation
import SQLKit

extension GarbageCollector {
    /// What a collection started now would do, changing nothing: no link, mark, state, byte or
    /// audit record is touched, and no lock is taken.
    ///
    /// Exists so an operator can see the effect of the grace period before running a collection
    /// (`POST /v1/gc?dryRun=true`, `artifactstore gc --dry-run`). Each count is one aggregate
    /// query, so memory does not grow with the store:
    /// - `linksExpired`: links older than the cutoff that no committed version uses;
    /// - `blobsMarked`: live, unmarked blobs that would have no reference once those links expired;
    /// - `blobsDeleted`/`bytesDeleted`: blobs already marked before the cutoff and still
    ///   unreferenced, plus deletions left unfinished by an earlier run.
    /// A real run that follows may differ by what changed in between.
    public func dryRun() async throws(ControlPlaneError) -> GarbageCollectionReport {
        let now = controlPlane.nowMilliseconds()
        let cutoff = now - controlPlane.configuration.gcGracePeriod.milliseconds
        return try await controlPlane.query("dry-running garbage collection") { db in
            var report = GarbageCollectionReport(ran: true)
            report.dryRun = true
            // A link that keeps its blob: young, or used by a version in its namespace.
            let keepingLink: SQLQueryString = """
                EXISTS (SELECT 1 FROM links l WHERE l.address = b.address AND (l.linked_at >= \(bind: cutoff)
                OR EXISTS (SELECT 1 FROM version_files vf WHERE vf.namespace = l.namespace AND vf.address = l.address)))
                """
            // Used by a version, or held by an upload session as a chunk.
            let unused: SQLQueryString = """
                NOT EXISTS (SELECT 1 FROM version_files f WHERE f.address = b.address)
                AND NOT EXISTS (SELECT 1 FROM oci_upload_chunks c WHERE c.address = b.address)
                """
            report.linksExpired = Int(
                try await db.raw(
                    """
                    SELECT COUNT(*) AS n FROM links l WHERE l.linked_at < \(bind: cutoff)
                    AND NOT EXISTS (SELECT 1 FROM version_files f WHERE f.namespace = l.namespace AND f.address = l.address)
                    """
                ).first()?.int("n") ?? 0
            )
            report.blobsMarked = Int(
                try await db.raw(
                    "SELECT COUNT(*) AS n FROM blobs b WHERE b.state = 'live' AND b.unreferenced_since IS NULL AND NOT " + keepingLink
                        + " AND " + unused
                ).first()?.int("n") ?? 0
            )
            let due = try await db.raw(
                """
                SELECT COUNT(*) AS n, CAST(COALESCE(SUM(b.size), 0) AS BIGINT) AS bytes FROM blobs b WHERE b.state = 'deleting'
                OR (b.state = 'live' AND b.unreferenced_since IS NOT NULL AND b.unreferenced_since < \(bind: cutoff)
                AND NOT EXISTS (SELECT 1 FROM links l WHERE l.address = b.address)
                """ + " AND " + unused + ")"
            ).first()
            report.blobsDeleted = Int(try due?.int("n") ?? 0)
            report.bytesDeleted = UInt64(max(0, try due?.int("bytes") ?? 0))
            return report
        }
    }
}
