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
    ]
}
