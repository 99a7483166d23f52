public import ArtifactControlPlane
import Prometheus

extension ServerMetrics {
    /// A webhook delivery round of this node (docs/webhooks.md): attempts by outcome, so a
    /// receiver that is down shows as `retrying` and given-up deliveries as `dead`.
    public func recordWebhookRound(_ report: WebhookRoundReport) {
        guard report.claimed > 0 else { return }
        let attempts = Self.descriptor(
            "artifactstore_webhook_attempts_total",
            "Webhook delivery attempts by this node, by outcome: delivered (2xx), retrying (will be sent again), dead (given up)."
        )
        for (outcome, count) in [("delivered", report.delivered), ("retrying", report.retrying), ("dead", report.dead)] where count > 0 {
            registry.makeCounter(descriptor: attempts, labels: [("outcome", outcome)]).increment(by: Int64(count))
        }
    }
}
