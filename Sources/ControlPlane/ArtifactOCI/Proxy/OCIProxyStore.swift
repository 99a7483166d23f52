public import ArtifactControlPlane
import ArtifactStoreAPI
import Foundation
import SQLKit

/// Proxy namespaces' rows: `oci_proxies` (one upstream per namespace) and `oci_proxy_tags` (when
/// each cached tag was last checked upstream).
///
/// Exists so the configuration is stored and audited through the registry's transactions like
/// every other change. The password is stored in the `password` column of the control plane's
/// database (as the token hashes and audit keys' neighbours are: whoever can read the database
/// can read it); it is never returned by ``list()``'s answers, never logged, and never part of an
/// audit record (`proxy.set` says only whether credentials were given).
public struct OCIProxyStore: Sendable {
    public let controlPlane: ControlPlane

    public init(controlPlane: ControlPlane) {
        self.controlPlane = controlPlane
    }

    /// Makes `configuration.namespace` a proxy namespace (creating the namespace if absent, in
    /// the same transaction), replacing any earlier configuration; audited `proxy.set`.
    public func set(_ configuration: OCIProxyConfiguration, context: RequestContext) async throws(ControlPlaneError) {
        let now = controlPlane.nowMilliseconds()
        let ns = configuration.namespace
        try await controlPlane.mutate("configuring proxy namespace \"\(ns)\"") { db in
            if try await Registry.namespace(ns, in: db) == nil {
                try await db.raw(
                    """
                    INSERT INTO namespaces (name, immutable_tags, created_by, created_at)
                    VALUES (\(bind: ns), \(bind: Int64(0)), \(bind: context.actor), \(bind: now))
                    """
                ).run()
                try await NamespaceUsageCounter.create(ns, in: db)
                try await AuditLog.append(
                    AuditEvent(action: "namespace.create", namespace: ns, target: ns),
                    context: context,
                    at: now,
                    in: db
                )
            }
            try await db.raw("DELETE FROM oci_proxies WHERE namespace = \(bind: ns)").run()
            // The password is sealed under an audit key (docs/oci.md, "Proxy namespaces"): a
            // dump of the database does not hand it out.
            let password = try configuration.password.map { try WebhookSecretBox.proxy(keys).sealText($0) }
            try await db.raw(
                """
                INSERT INTO oci_proxies (namespace, upstream, prefix, allow_patterns, deny_patterns, redirect_hosts, tag_ttl_seconds,
                evict_after_seconds, username, password, created_by, created_at)
                VALUES (\(bind: ns), \(bind: configuration.upstream.absoluteString),
                \(bind: configuration.prefix), \(bind: configuration.allow.joined(separator: "\n")),
                \(bind: configuration.deny.joined(separator: "\n")), \(bind: configuration.redirectHosts.joined(separator: "\n")),
                \(bind: configuration.tagTTLSeconds), \(bind: configuration.evictUnusedAfterSeconds), \(bind: configuration.username),
                \(bind: password),
                \(bind: context.actor), \(bind: now))
                """
            ).run()
            // The tags' check times belong to the upstream they were checked against.
            try await db.raw("DELETE FROM oci_proxy_tags WHERE namespace = \(bind: ns)").run()
            let detail = "upstream \(configuration.upstream.absoluteString)" + (configuration.password == nil ? "" : ", with credentials")
            try await AuditLog.append(
                AuditEvent(action: "proxy.set", namespace: ns, target: ns, detail: detail),
                context: context,
                at: now,
                in: db
            )
        }
    }

    /// Every proxy namespace, by name.
    public func list() async throws(ControlPlaneError) -> [OCIProxyConfiguration] {
        try await controlPlane.query("listing proxy namespaces") { db in
            try await db.raw("SELECT * FROM oci_proxies ORDER BY namespace").all().map { try Self.configuration(from: $0, keys: keys) }
        }
    }

    /// The proxy configuration of `namespace`, or `nil` for an ordinary namespace.
    public func configuration(_ namespace: String) async throws(ControlPlaneError) -> OCIProxyConfiguration? {
        try await controlPlane.query("reading proxy namespace \"\(namespace)\"") { db in
            try await db.raw("SELECT * FROM oci_proxies WHERE namespace = \(bind: namespace)").first().map {
                try Self.configuration(from: $0, keys: keys)
            }
        }
    }

    /// Makes `namespace` an ordinary namespace again (its cached content stays); audited `proxy.delete`.
    ///
    /// - Throws: `proxyNotFound`.
    public func delete(_ namespace: String, context: RequestContext) async throws(ControlPlaneError) {
        try NameGrammar.validateNamespace(namespace)
        let now = controlPlane.nowMilliseconds()
        try await controlPlane.mutate("removing proxy namespace \"\(namespace)\"") { db in
            guard try await db.raw("SELECT namespace FROM oci_proxies WHERE namespace = \(bind: namespace)").first() != nil else {
                throw ControlPlaneError(.proxyNotFound, "namespace \"\(namespace)\" is not a proxy namespace")
            }
            try await db.raw("DELETE FROM oci_proxies WHERE namespace = \(bind: namespace)").run()
            try await db.raw("DELETE FROM oci_proxy_tags WHERE namespace = \(bind: namespace)").run()
            try await db.raw("DELETE FROM oci_proxy_usage WHERE namespace = \(bind: namespace)").run()
            try await AuditLog.append(
                AuditEvent(action: "proxy.delete", namespace: namespace, target: namespace),
                context: context,
                at: now,
                in: db
            )
        }
    }

    // MARK: Tag checks

    /// When `tag` of `artifact` was last checked upstream (milliseconds), or `nil`.
    public func tagCheckedAt(namespace: String, artifact: String, tag: String) async throws(ControlPlaneError) -> Int64? {
        try await controlPlane.query("reading the check time of tag \"\(tag)\"") { db in
            try await db.raw(
                """
                SELECT checked_at FROM oci_proxy_tags WHERE namespace = \(bind: namespace) AND artifact = \(bind: artifact)
                AND tag = \(bind: tag)
                """
            ).first()?.int("checked_at")
        }
    }

    /// Records that `tag` was checked upstream now.
    public func recordTagCheck(namespace: String, artifact: String, tag: String) async throws(ControlPlaneError) {
        let now = controlPlane.nowMilliseconds()
        try await controlPlane.mutate("recording the check of tag \"\(tag)\"") { db in
            try await db.raw(
                """
                INSERT INTO oci_proxy_tags (namespace, artifact, tag, checked_at) VALUES (\(bind: namespace), \(bind: artifact),
                \(bind: tag), \(bind: now)) ON CONFLICT (namespace, artifact, tag) DO UPDATE SET checked_at = \(bind: now)
                """
            ).run()
        }
    }

    /// Now, in milliseconds, on the control plane's (injectable) clock.
    public func now() -> Int64 { controlPlane.nowMilliseconds() }

    /// The audit keys that seal upstream passwords.
    var keys: AuditKeyring { controlPlane.configuration.auditKeys }

    static func configuration(from row: any SQLRow, keys: AuditKeyring) throws -> OCIProxyConfiguration {
        let lines = { (text: String) in text.split(separator: "\n").map(String.init) }
        let text = try row.string("upstream")
        guard let upstream = URL(string: text) else {
            throw ControlPlaneError(.database, "oci_proxies holds an upstream that is not a URL")
        }
        return OCIProxyConfiguration(
            namespace: try row.string("namespace"),
            upstream: upstream,
            prefix: try row.string("prefix"),
            allow: lines(try row.string("allow_patterns")),
            deny: lines(try row.string("deny_patterns")),
            redirectHosts: lines(try row.string("redirect_hosts")),
            tagTTLSeconds: try row.int("tag_ttl_seconds"),
            username: try row.optionalString("username"),
            password: try row.optionalString("password").map { try WebhookSecretBox.proxy(keys).openText($0) },
            evictUnusedAfterSeconds: try row.optionalInt("evict_after_seconds")
        )
    }
}
