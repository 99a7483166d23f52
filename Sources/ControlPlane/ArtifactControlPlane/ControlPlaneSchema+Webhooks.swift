extension ControlPlaneSchema {
    /// Webhook endpoints per namespace (URL, the secret sealed under a key derived from the audit
    /// key, the events asked for as `,a,b,`), and the transactional outbox: one delivery row per
    /// event and endpoint, written in the transaction of the change (docs/webhooks.md). A
    /// delivery is claimed by one node at a time through `claimed_until` (a lease).
    static let webhooks: [String] = [
        """
        CREATE TABLE webhook_endpoints (
            id TEXT PRIMARY KEY,
            namespace TEXT NOT NULL,
            url TEXT NOT NULL,
            secret_key_id TEXT NOT NULL,
            secret_sealed TEXT NOT NULL,
            events TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX webhook_endpoints_by_namespace ON webhook_endpoints (namespace, id)",
        """
        CREATE TABLE webhook_deliveries (
            id TEXT PRIMARY KEY,
            event_id TEXT NOT NULL,
            endpoint_id TEXT NOT NULL,
            namespace TEXT NOT NULL,
            event TEXT NOT NULL,
            payload TEXT NOT NULL,
            state TEXT NOT NULL,
            attempts BIGINT NOT NULL,
            next_attempt_at BIGINT NOT NULL,
            claimed_until BIGINT NOT NULL,
            claimed_by TEXT,
            last_status BIGINT,
            last_error TEXT,
            created_at BIGINT NOT NULL,
            delivered_at BIGINT
        )
        """,
        "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at)",
        "CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id)",
    ]
}
