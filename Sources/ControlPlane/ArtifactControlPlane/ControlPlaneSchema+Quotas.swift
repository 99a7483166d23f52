extension ControlPlaneSchema {
    /// Namespace quotas and the usage counters that enforce them (docs/operations.md, "Quotas").
    ///
    /// `namespaces.quota_bytes`: the most bytes the namespace's versions may reference (NULL: no
    /// quota). `namespace_usage`: one row per namespace holding its objects (links), files
    /// (version files), bytes referenced (the sum of the files' sizes) and bytes stored (the sum
    /// of the linked blobs' sizes), changed in the same transaction as every link, unlink,
    /// version commit and version delete (``NamespaceUsageCounter``). The last statement fills
    /// the counters of the namespaces that exist from a full count.
    static let quotas: [String] = [
        "ALTER TABLE namespaces ADD COLUMN quota_bytes BIGINT",
        """
        CREATE TABLE namespace_usage (
            namespace TEXT PRIMARY KEY,
            objects BIGINT NOT NULL,
            files BIGINT NOT NULL,
            bytes_referenced BIGINT NOT NULL,
            bytes_stored BIGINT NOT NULL
        )
        """,
        """
        INSERT INTO namespace_usage (namespace, objects, files, bytes_referenced, bytes_stored)
        SELECT n.name,
            (SELECT COUNT(*) FROM links l WHERE l.namespace = n.name),
            (SELECT COUNT(*) FROM version_files f WHERE f.namespace = n.name),
            (SELECT CAST(COALESCE(SUM(f.size), 0) AS BIGINT) FROM version_files f WHERE f.namespace = n.name),
            (SELECT CAST(COALESCE(SUM(b.size), 0) AS BIGINT) FROM links l JOIN blobs b ON b.address = l.address WHERE l.namespace = n.name)
        FROM namespaces n
        """,
    ]

    /// `namespace_usage_changes`: a change to a namespace's counters appended by its transaction
    /// instead of an update of the namespace's one counter row (which every push would otherwise
    /// update, a row every concurrent writer conflicts on); a namespace's usage is its row plus
    /// its changes until ``NamespaceUsageCounter/fold(in:limit:)`` moves them into the row.
    static let usageChanges: [String] = [
        """
        CREATE TABLE namespace_usage_changes (
            id TEXT PRIMARY KEY,
            namespace TEXT NOT NULL,
            objects BIGINT NOT NULL,
            files BIGINT NOT NULL,
            bytes_referenced BIGINT NOT NULL,
            bytes_stored BIGINT NOT NULL
        )
        """,
        "CREATE INDEX namespace_usage_changes_by_namespace ON namespace_usage_changes (namespace)",
    ]
}
