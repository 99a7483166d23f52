extension ControlPlaneSchema {
    /// The registry token flow's signing keys and the public-read flag of namespaces.
    ///
    /// `registry_token_keys`: the HMAC-SHA256 keys that sign the `/v2` bearer JWTs
    /// (``RegistryTokens``), one row per key id, the newest (`created_at`) signing. They live in
    /// the database so every server sharing it verifies what any of them issued. The first
    /// server that needs a key inserts one under the fixed id `k1`; a concurrent insert loses on
    /// the primary key and reads the winner's.
    ///
    /// `namespaces.public_read`: 1 lets anyone read the namespace without a token
    /// (``Auth/authorize(token:scope:namespace:repository:context:)``); 0, the default, keeps
    /// every namespace private as before.
    static let identity: [String] = [
        """
        CREATE TABLE registry_token_keys (
            id TEXT PRIMARY KEY,
            algorithm TEXT NOT NULL,
            secret TEXT NOT NULL,
            created_at BIGINT NOT NULL
        )
        """,
        "ALTER TABLE namespaces ADD COLUMN public_read BIGINT NOT NULL DEFAULT 0",
    ]
}
