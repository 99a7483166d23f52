public import ArtifactControlPlane
import ArtifactStoreAPI
import Foundation
import Logging
import SQLKit
public import ServiceLifecycle

/// "Unused for N days": when each cached manifest was last pulled, and the eviction of those a
/// proxy namespace's `evictUnusedAfterSeconds` says are unused.
///
/// Exists so a pull-through cache does not keep what nobody pulls any more: an evicted manifest
/// is deleted like an OCI manifest delete (its version, tags and referrers row; audited
/// `version.delete`, refused for a held version, which is then kept), and the collector takes its
/// blobs after the grace period unless another version references them.
extension OCIProxyStore {
    /// How often a manifest's last use is rewritten at most (a pull in between changes nothing).
    static let usageResolutionMilliseconds: Int64 = 3_600_000

    /// Records that `version` of `artifact` was pulled now (at most one write an hour per manifest).
    public func recordUse(namespace: String, artifact: String, version: String) async throws(ControlPlaneError) {
        let now = controlPlane.nowMilliseconds()
        let stale = now - Self.usageResolutionMilliseconds
        try await controlPlane.mutate("recording the use of \(namespace)/\(artifact)@\(version)") { db in
            try await db.raw(
                """
                INSERT INTO oci_proxy_usage (namespace, artifact, version, used_at) VALUES (\(bind: namespace), \(bind: artifact),
                \(bind: version), \(bind: now)) ON CONFLICT (namespace, artifact, version) DO UPDATE SET used_at = excluded.used_at
                WHERE oci_proxy_usage.used_at < \(bind: stale)
                """
            ).run()
        }
    }

    /// Deletes the cached manifests of every proxy namespace with an eviction age that were not
    /// pulled for that long (never pulled: counted from when they were cached). Returns how many.
    public func evictUnused() async throws(ControlPlaneError) -> Int {
        let context = RequestContext(actor: "system:proxy-eviction")
        let store = OCIStore(registry: controlPlane.registry)
        var evicted = 0
        for proxy in try await list() {
            guard let age = proxy.evictUnusedAfterSeconds else { continue }
            let cutoff = controlPlane.nowMilliseconds() - age * 1000
            let ns = proxy.namespace
            let unused = try await controlPlane.query("finding unused manifests of \"\(ns)\"") { db in
                try await db.raw(
                    """
                    SELECT v.artifact, v.version FROM versions v JOIN oci_manifests m ON m.namespace = v.namespace
                    AND m.artifact = v.artifact AND REPLACE(m.digest, ':', '-') = v.version
                    LEFT JOIN oci_proxy_usage u ON u.namespace = v.namespace AND u.artifact = v.artifact AND u.version = v.version
                    WHERE v.namespace = \(bind: ns) AND COALESCE(u.used_at, v.created_at) < \(bind: cutoff)
                    ORDER BY v.artifact, v.version LIMIT 1000
                    """
                ).all().map { (artifact: try $0.string("artifact"), version: try $0.string("version")) }
            }
            for manifest in unused {
                do {
                    try await store.deleteManifest(
                        namespace: ns,
                        artifact: manifest.artifact,
                        version: manifest.version,
                        digest: manifest.version.replacingOccurrences(of: "sha256-", with: "sha256:"),
                        context: context
                    )
                    evicted += 1
                } catch  where error.kind == .versionHeld || error.kind == .versionNotFound {
                    continue
                }
                _ = try? await controlPlane.mutate("forgetting the use of \(ns)/\(manifest.artifact)@\(manifest.version)") { db in
                    try await db.raw(
                        """
                        DELETE FROM oci_proxy_usage WHERE namespace = \(bind: ns) AND artifact = \(bind: manifest.artifact)
                        AND version = \(bind: manifest.version)
                        """
                    ).run()
                }
            }
        }
        return evicted
    }

    /// The service that runs ``evictUnused()`` every `interval` of `clock` until graceful shutdown.
    public func evictionService<C: Clock<Duration>>(interval: Duration, clock: C = ContinuousClock()) -> OCIProxyEvictionService<C> {
        OCIProxyEvictionService(store: self, interval: interval, clock: clock)
    }
}

/// Evicts unused cached manifests of proxy namespaces periodically (`artifactstore serve` runs it
/// every `gcInterval`); failures are logged and retried at the next run.
public struct OCIProxyEvictionService<C: Clock<Duration>>: Service {
    let store: OCIProxyStore
    let interval: Duration
    let clock: C

    public func run() async throws {
        let controlPlane = store.controlPlane
        await runPeriodically(every: interval, on: clock) {
            do {
                let evicted = try await store.evictUnused()
                if evicted > 0 { controlPlane.logger.info("evicted unused proxy manifests", metadata: ["count": "\(evicted)"]) }
            } catch {
                controlPlane.logger.error("evicting unused proxy manifests failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
