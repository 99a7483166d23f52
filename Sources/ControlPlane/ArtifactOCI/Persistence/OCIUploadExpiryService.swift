import ArtifactControlPlane
import Foundation
import Logging
import ServiceLifecycle

/// Expires abandoned OCI upload sessions as a long-running service: every ``interval``, removes
/// the sessions started more than ``maximumAge`` ago (their chunks' blobs then age out through
/// the garbage collector's grace period), until graceful shutdown.
package struct OCIUploadExpiryService<C: Clock<Duration>>: Service {
    package let store: OCIStore
    package let maximumAge: Duration
    package let interval: Duration
    /// What ``interval`` is measured on (the sessions' age is the control plane's clock).
    let clock: C

    package func run() async throws {
        let controlPlane = store.controlPlane
        let (seconds, attoseconds) = maximumAge.components
        let age = Double(seconds * 1000 + attoseconds / 1_000_000_000_000_000) / 1000
        await runPeriodically(every: interval, on: clock) {
            do {
                let cutoff = controlPlane.clock().addingTimeInterval(-age)
                var expired = 0
                while true {
                    let batch = try await store.expireUploads(startedBefore: cutoff)
                    expired += batch
                    if batch < OCIStore.expiryBatch { break }
                }
                if expired > 0 { controlPlane.logger.info("expired abandoned OCI uploads", metadata: ["count": "\(expired)"]) }
            } catch {
                controlPlane.logger.error("expiring OCI uploads failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
