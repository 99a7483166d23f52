import ArtifactControlPlane
public import ArtifactStoreAPI
import Foundation
import Prometheus

extension ServerMetrics {
    /// Each replication rule's status (docs/replication.md): pending and dead items, the lag
    /// (age of the oldest pending item), the last success, and whether the last attempt failed.
    public func recordReplicationStatus(_ rules: [ReplicationRule]) {
        let pending = Self.descriptor("artifactstore_replication_pending", "Push replication items waiting to be copied, per rule.")
        let dead = Self.descriptor(
            "artifactstore_replication_dead",
            "Push replication items that gave up after their last attempt, per rule."
        )
        let lag = Self.descriptor("artifactstore_replication_lag_seconds", "Age of each rule's oldest pending item (0 when none).")
        let success = Self.descriptor(
            "artifactstore_replication_last_success_timestamp_seconds",
            "When each rule last copied an item or finished a mirror run."
        )
        let failing = Self.descriptor(
            "artifactstore_replication_failing",
            "1 when a rule's last attempt failed (see replication status), else 0."
        )
        for rule in rules {
            let labels = [("rule", rule.name), ("direction", rule.direction.rawValue)]
            registry.makeGauge(descriptor: pending, labels: labels).set(to: Double(rule.status.pending))
            registry.makeGauge(descriptor: dead, labels: labels).set(to: Double(rule.status.dead))
            registry.makeGauge(descriptor: lag, labels: labels).set(to: Double(rule.status.lagSeconds))
            registry.makeGauge(descriptor: success, labels: labels).set(to: rule.status.lastSuccessAt?.timeIntervalSince1970 ?? 0)
            registry.makeGauge(descriptor: failing, labels: labels).set(to: rule.status.lastError == nil ? 0 : 1)
        }
    }

    /// One replication attempt of this node: `copied`, `retrying` or `dead` (push items), or
    /// `mirrored`/`failed` (pull runs).
    public func recordReplicationAttempt(rule: String, outcome: String) {
        let attempts = Self.descriptor(
            "artifactstore_replication_attempts_total",
            "Replication attempts by this node, by rule and outcome."
        )
        registry.makeCounter(descriptor: attempts, labels: [("rule", rule), ("outcome", outcome)]).increment()
    }
}
