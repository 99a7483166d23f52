extension ControlPlaneSchema {
    /// The web UI's sessions (``WebSessions``). Only hashes are stored: `id_hash` is the SHA-256
    /// of the session id the browser holds in its cookie, `token_hash` the SHA-256 of the token
    /// the session signed in with (the `secret_hash` of `tokens`), so neither secret is kept.
    static let webSessions: [String] = [
        """
        CREATE TABLE web_sessions (
            id_hash TEXT PRIMARY KEY,
            token_hash TEXT NOT NULL,
            token_id TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            expires_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at)",
        // The last runs of garbage collection and retention (``MaintenanceRuns``), for the web
        // UI's operations page: `id` sorts by finishing time, `summary` is the report's counts.
        """
        CREATE TABLE maintenance_runs (
            id TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            started_at BIGINT NOT NULL,
            finished_at BIGINT NOT NULL,
            summary TEXT NOT NULL
        )
        """,
        "CREATE INDEX maintenance_runs_by_kind ON maintenance_runs (kind, id)",
    ]
}
