extension ControlPlaneSchema {
    /// Proxy namespaces (docs/oci.md, "Proxy namespaces"): `oci_proxies` holds one upstream
    /// registry per namespace (its URL, the optional repository prefix, the allow/deny globs and
    /// the redirect hosts as newline-separated lists, the tag TTL, and the optional credentials:
    /// the password is a secret the API never returns); `oci_proxy_tags` records when each
    /// cached tag was last checked against the upstream, so the TTL survives a restart;
    /// `oci_proxy_pending` lists the files a cached manifest's version still lacks (blobs and
    /// child manifests fetched later), added to the version when they arrive so the collector
    /// counts them as references like a pushed manifest's; `oci_proxy_usage` says when each cached
    /// manifest was last pulled, for the "unused for N days" eviction.
    static let proxies: [String] = [
        """
        CREATE TABLE oci_proxies (
            namespace TEXT PRIMARY KEY,
            upstream TEXT NOT NULL,
            prefix TEXT NOT NULL,
            allow_patterns TEXT NOT NULL,
            deny_patterns TEXT NOT NULL,
            redirect_hosts TEXT NOT NULL,
            tag_ttl_seconds BIGINT NOT NULL,
            evict_after_seconds BIGINT,
            username TEXT,
            password TEXT,
            created_by TEXT NOT NULL,
            created_at BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE oci_proxy_tags (
            namespace TEXT NOT NULL,
            artifact TEXT NOT NULL,
            tag TEXT NOT NULL,
            checked_at BIGINT NOT NULL,
            PRIMARY KEY (namespace, artifact, tag)
        )
        """,
        """
        CREATE TABLE oci_proxy_pending (
            namespace TEXT NOT NULL,
            artifact TEXT NOT NULL,
            version TEXT NOT NULL,
            path TEXT NOT NULL,
            digest TEXT NOT NULL,
            PRIMARY KEY (namespace, artifact, version, path)
        )
        """,
        "CREATE INDEX oci_proxy_pending_by_digest ON oci_proxy_pending (namespace, digest)",
        """
        CREATE TABLE oci_proxy_usage (
            namespace TEXT NOT NULL,
            artifact TEXT NOT NULL,
            version TEXT NOT NULL,
            used_at BIGINT NOT NULL,
            PRIMARY KEY (namespace, artifact, version)
        )
        """,
    ]
}
