public import ArtifactMetadata
import SQLKit

/// The control plane's tables, as numbered migrations (docs/control-plane.md, "Schema").
///
/// Exists so SQLite and PostgreSQL get the same schema from the same statements: only types both
/// understand (`TEXT`, `BIGINT`), no engine-specific defaults, no auto-increment (keys are
/// natural or assigned by the code). Times are milliseconds since 1970 in `BIGINT`; flags are
/// `BIGINT` 0/1.
public enum ControlPlaneSchema {
    /// Every migration, oldest first. Append; never edit a published one.
    public static let migrations: [Migration] = [
        Migration(version: 1, name: "registry, blobs, retention, audit, tokens", statements: version1),
        // Blobs found by their SHA-256 (HTTP clients that only know it: RFC 9530, OCI tools)
        // without scanning the namespace's links.
        Migration(version: 2, name: "blobs by sha256", statements: ["CREATE INDEX blobs_by_sha256 ON blobs (sha256)"]),
        // The OCI distribution API (docs/oci.md): durable upload sessions and their chunks (each
        // chunk a blob linked into the namespace, kept from GC while its session lives), and
        // the manifests' media type, artifact type, subject and annotations for the referrers API.
        Migration(version: 3, name: "oci uploads and manifests", statements: version3),
        // Blobs an OCI client named by a digest the data plane does not compute (sha512:):
        // the client's digest → the content address, written in the transaction that links the
        // blob (docs/oci.md, "Digests"). Not a reference: the collector ignores these rows, and
        // a lookup through them still needs a live blob row and a link in the namespace.
        Migration(version: 4, name: "blob digests (oci sha512)", statements: version4),
        // The sequenced, keyed audit log (docs/control-plane.md, "Audit log"): writers put their
        // records in `audit_pending` under a random key (no shared row), the sequencer moves
        // them into `audit_log`, and each sealed record names the HMAC key that sealed it
        // (`key_id`; NULL for the SHA-256 records sealed before this version).
        Migration(version: 5, name: "audit pending records and keyed chain", statements: version5),
        // Webhook endpoints and the transactional outbox of their deliveries (docs/webhooks.md).
        Migration(version: 6, name: "webhook endpoints and deliveries", statements: webhooks),
        // The registry token flow's shared signing keys and public-read namespaces
        // (ControlPlaneSchema+Identity.swift; docs/oci.md, "Token authentication").
        Migration(version: 7, name: "registry token keys and public namespaces", statements: identity),
        // Web UI sessions (docs/ui.md): the SHA-256 of each session id, the hash of the token it
        // signed in with (the same hash the tokens table keeps), and its own expiry; and the
        // last garbage collection and retention runs the UI's operations page shows.
        Migration(version: 8, name: "web ui sessions and maintenance runs", statements: webSessions),
        // Proxy namespaces (pull-through cache of an upstream OCI registry): the upstream's
        // configuration and when each cached tag was last checked (ControlPlaneSchema+Proxies).
        Migration(version: 9, name: "oci proxy namespaces", statements: proxies),
        // A namespace's switch for presigned download redirects (ControlPlaneSchema+DownloadRedirects).
        Migration(version: 10, name: "namespace download redirect switch", statements: downloadRedirects),
        // Namespace quotas and their maintained usage counters (ControlPlaneSchema+Quotas).
        Migration(version: 11, name: "namespace quotas and usage counters", statements: quotas),
        // Replication rules (push to / pull from a remote OCI registry) and the durable queue of
        // push work, written in the transaction of each commit (ControlPlaneSchema+Replication).
        Migration(version: 12, name: "replication rules and queue", statements: replication),
        // Usage changes appended by pushes into namespaces without a quota, folded into the
        // counter rows every second (ControlPlaneSchema+Quotas, NamespaceUsageCounter).
        Migration(version: 13, name: "namespace usage changes", statements: usageChanges),
    ]

    /// The newest schema version this code knows.
    public static var currentVersion: Int { migrations.count }

    static let version1: [String] = [
        """
        CREATE TABLE namespaces (
            name TEXT PRIMARY KEY,
            immutable_tags BIGINT NOT NULL,
            created_by TEXT NOT NULL,
            created_at BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE artifacts (
            namespace TEXT NOT NULL,
            name TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            PRIMARY KEY (namespace, name)
        )
        """,
        """
        CREATE TABLE versions (
            namespace TEXT NOT NULL,
            artifact TEXT NOT NULL,
            version TEXT NOT NULL,
            creator TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            labels TEXT NOT NULL,
            file_count BIGINT NOT NULL,
            total_size BIGINT NOT NULL,
            PRIMARY KEY (namespace, artifact, version)
        )
        """,
        "CREATE INDEX versions_by_age ON versions (namespace, artifact, created_at)",
        """
        CREATE TABLE version_files (
            namespace TEXT NOT NULL,
            artifact TEXT NOT NULL,
            version TEXT NOT NULL,
            path TEXT NOT NULL,
            address TEXT NOT NULL,
            size BIGINT NOT NULL,
            media_type TEXT NOT NULL,
            PRIMARY KEY (namespace, artifact, version, path)
        )
        """,
        "CREATE INDEX version_files_by_address ON version_files (address, namespace)",
        """
        CREATE TABLE tags (
            namespace TEXT NOT NULL,
            artifact TEXT NOT NULL,
            tag TEXT NOT NULL,
            version TEXT NOT NULL,
            updated_by TEXT NOT NULL,
            updated_at BIGINT NOT NULL,
            PRIMARY KEY (namespace, artifact, tag)
        )
        """,
        "CREATE INDEX tags_by_version ON tags (namespace, artifact, version)",
        """
        CREATE TABLE blobs (
            address TEXT PRIMARY KEY,
            backend_id TEXT NOT NULL,
            size BIGINT NOT NULL,
            sha256 TEXT NOT NULL,
            blake3 TEXT NOT NULL,
            state TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            unreferenced_since BIGINT,
            state_changed_at BIGINT NOT NULL
        )
        """,
        """
        CREATE TABLE links (
            namespace TEXT NOT NULL,
            address TEXT NOT NULL,
            linked_at BIGINT NOT NULL,
            PRIMARY KEY (namespace, address)
        )
        """,
        "CREATE INDEX links_by_address ON links (address)",
        "CREATE INDEX links_by_age ON links (linked_at)",
        """
        CREATE TABLE holds (
            namespace TEXT NOT NULL,
            artifact TEXT NOT NULL,
            version TEXT NOT NULL,
            reason TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            PRIMARY KEY (namespace, artifact, version)
        )
        """,
        """
        CREATE TABLE retention_policies (
            namespace TEXT NOT NULL,
            name TEXT NOT NULL,
            artifact_glob TEXT NOT NULL,
            keep_last BIGINT,
            max_age_seconds BIGINT,
            protect_tagged BIGINT NOT NULL,
            created_by TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            PRIMARY KEY (namespace, name)
        )
        """,
        """
        CREATE TABLE audit_log (
            seq BIGINT PRIMARY KEY,
            time BIGINT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            namespace TEXT,
            target TEXT NOT NULL,
            digests TEXT NOT NULL,
            outcome TEXT NOT NULL,
            request_id TEXT,
            client_address TEXT,
            detail TEXT,
            previous_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )
        """,
        "CREATE INDEX audit_by_time ON audit_log (time)",
        """
        CREATE TABLE audit_head (
            id BIGINT PRIMARY KEY,
            seq BIGINT NOT NULL,
            hash TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE tokens (
            id TEXT PRIMARY KEY,
            secret_hash TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            grants TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            expires_at BIGINT,
            revoked_at BIGINT
        )
        """,
    ]

    static let version3: [String] = [
        """
        CREATE TABLE oci_uploads (
            id TEXT PRIMARY KEY,
            namespace TEXT NOT NULL,
            artifact TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            upload_offset BIGINT NOT NULL,
            chunk_count BIGINT NOT NULL
        )
        """,
        "CREATE INDEX oci_uploads_by_age ON oci_uploads (created_at)",
        """
        CREATE TABLE oci_upload_chunks (
            upload_id TEXT NOT NULL,
            chunk BIGINT NOT NULL,
            namespace TEXT NOT NULL,
            address TEXT NOT NULL,
            size BIGINT NOT NULL,
            sha256 TEXT NOT NULL,
            PRIMARY KEY (upload_id, chunk)
        )
        """,
        "CREATE INDEX oci_upload_chunks_by_address ON oci_upload_chunks (address, namespace)",
        """
        CREATE TABLE oci_manifests (
            namespace TEXT NOT NULL,
            artifact TEXT NOT NULL,
            digest TEXT NOT NULL,
            media_type TEXT NOT NULL,
            artifact_type TEXT,
            subject TEXT,
            annotations TEXT,
            size BIGINT NOT NULL,
            created_at BIGINT NOT NULL,
            PRIMARY KEY (namespace, artifact, digest)
        )
        """,
        "CREATE INDEX oci_manifests_by_subject ON oci_manifests (namespace, artifact, subject)",
    ]

    static let version4: [String] = [
        """
        CREATE TABLE blob_digests (
            algorithm TEXT NOT NULL,
            digest TEXT NOT NULL,
            address TEXT NOT NULL,
            PRIMARY KEY (algorithm, digest)
        )
        """,
        "CREATE INDEX blob_digests_by_address ON blob_digests (address)",
    ]

    static let version5: [String] = [
        """
        CREATE TABLE audit_pending (
            id TEXT PRIMARY KEY,
            time BIGINT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            namespace TEXT,
            target TEXT NOT NULL,
            digests TEXT NOT NULL,
            outcome TEXT NOT NULL,
            request_id TEXT,
            client_address TEXT,
            detail TEXT,
            key_id TEXT NOT NULL,
            mac TEXT NOT NULL
        )
        """,
        "CREATE INDEX audit_pending_in_order ON audit_pending (time, id)",
        "ALTER TABLE audit_log ADD COLUMN key_id TEXT",
    ]
}
