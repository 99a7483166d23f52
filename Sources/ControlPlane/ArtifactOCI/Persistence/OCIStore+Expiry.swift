package import ArtifactControlPlane
import ArtifactMetadata
package import Foundation
import SQLKit

/// Abandoned upload sessions: removed once they are older than the configured expiry.
extension OCIStore {
    /// Most sessions one ``expireUploads(startedBefore:)`` call removes (one transaction).
    package static let expiryBatch = 1000

    /// Removes up to ``expiryBatch`` sessions started before `cutoff` (abandoned uploads), each
    /// with an `oci.upload.expire` record by `system:oci-uploads`, and the data plane's stages of
    /// those sessions. Returns how many.
    package func expireUploads(startedBefore cutoff: Date) async throws(ControlPlaneError) -> Int {
        let cutoffMilliseconds = Int64((cutoff.timeIntervalSince1970 * 1000).rounded(.down))
        let now = controlPlane.nowMilliseconds()
        let context = RequestContext(actor: "system:oci-uploads")
        let expired = try await controlPlane.mutate("expiring abandoned uploads", priority: .background) { db in
            let expired = try await db.raw(
                """
                SELECT id, namespace FROM oci_uploads WHERE created_at < \(bind: cutoffMilliseconds)
                ORDER BY id LIMIT \(literal: Self.expiryBatch)
                """
            ).all().map { (try $0.string("id"), try $0.string("namespace")) }
            for (id, namespace) in expired {
                _ = try await Self.removeUpload(id, in: db)
                try await AuditLog.append(
                    AuditEvent(action: "oci.upload.expire", namespace: namespace, target: id, detail: "abandoned"),
                    context: context,
                    at: now,
                    in: db
                )
            }
            return expired.map(\.0)
        }
        await discardStages(of: expired)
        return expired.count
    }

    /// A service that expires upload sessions older than `maximumAge` every `interval` of `clock`.
    package func uploadExpiryService<C: Clock<Duration>>(
        maximumAge: Duration,
        interval: Duration,
        clock: C = ContinuousClock()
    ) -> OCIUploadExpiryService<C> {
        OCIUploadExpiryService(store: self, maximumAge: maximumAge, interval: interval, clock: clock)
    }
}
