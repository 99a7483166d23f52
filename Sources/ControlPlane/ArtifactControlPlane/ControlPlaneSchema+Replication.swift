extension ControlPlaneSchema {
    /// Replication (docs/replication.md): `replication_rules` holds one rule per name — its
    /// direction (`push` or `pull`), the remote's URL, the repository glob, the pull interval,
    /// the optional user name and the password sealed like a webhook secret (AES-GCM under a key
    /// derived from the audit key; `password_key_id`, `password_sealed`), and the outcome of the
    /// last attempt (`last_success_at`, `last_error`, `last_error_at`, `last_run_at`).
    /// `replication_queue` is the durable queue of push work: one row per rule and committed
    /// manifest or tag, written in the transaction of the commit, claimed by one node at a time
    /// through `claimed_until` (a lease, as `webhook_deliveries`).
    static let replication: [String] = [
        """
        CREATE TABLE replication_rules (
            name TEXT PRIMARY KEY,
            direction TEXT NOT NULL,
            remote TEXT NOT NULL,
            repositories TEXT NOT NULL,
            interval_seconds BIGINT NOT NULL,
            username TEXT,
            password_key_id TEXT,
            password_sealed TEXT,
            created_by TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            last_run_at BIGINT,
            last_success_at BIGINT,
            last_error TEXT,
            last_error_at BIGINT
        )
        """,
        """
        CREATE TABLE replication_queue (
            id TEXT PRIMARY KEY,
            rule TEXT NOT NULL,
            repository TEXT NOT NULL,
            reference TEXT NOT NULL,
            state TEXT NOT NULL,
            attempts BIGINT NOT NULL,
            next_attempt_at BIGINT NOT NULL,
            claimed_until BIGINT NOT NULL,
            claimed_by TEXT,
            last_error TEXT,
            created_at BIGINT NOT NULL,
            done_at BIGINT
        )
        """,
        "CREATE INDEX replication_queue_due ON replication_queue (state, next_attempt_at)",
        "CREATE INDEX replication_queue_by_rule ON replication_queue (rule, state, created_at)",
    ]
}
