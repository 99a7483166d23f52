public import ArtifactStoreAPI
import Foundation
import SQLKit

/// Webhook endpoints per namespace and the deliveries of their events (docs/webhooks.md).
///
/// Exists so every change a namespace's owners care about reaches their systems at least once,
/// and never one that did not happen: events are written by ``WebhookOutbox`` in the
/// transaction of the change, and ``WebhookDispatcher`` sends them afterwards. Secrets are
/// sealed before they are stored (``WebhookSecretBox``) and are never returned, logged or audited.
public struct Webhooks: Sendable {
    let controlPlane: ControlPlane

    /// Longest URL accepted.
    public static let maximumURLLength = 2048
    /// Longest secret accepted, in bytes.
    public static let maximumSecretLength = 1024

    /// Creates an endpoint of `namespace` receiving `events` (the defaults when empty) at `url`,
    /// signed with `secret`.
    ///
    /// - Throws: `invalidWebhook` for a URL that is not absolute http(s) with a host (or has
    ///   credentials in it), an unknown event name, an empty or oversized secret;
    ///   `webhookAddressRefused` for a URL naming a non-public address the configuration does not
    ///   allow; `namespaceNotFound`. Nothing is stored when it throws.
    public func create(
        namespace: String,
        url: String,
        secret: [UInt8],
        events: [String],
        context: RequestContext
    ) async throws(ControlPlaneError) -> WebhookEndpoint {
        try NameGrammar.validateNamespace(namespace)
        let host = try Self.validateURL(url)
        let names = try Self.validateEvents(events)
        guard !secret.isEmpty else { throw ControlPlaneError(.invalidWebhook, "the webhook secret is empty; give at least one byte") }
        guard secret.count <= Self.maximumSecretLength else {
            throw ControlPlaneError(.invalidWebhook, "the webhook secret has \(secret.count) bytes; at most \(Self.maximumSecretLength)")
        }
        try controlPlane.configuration.webhookNetworks.check(host: host)
        let sealed: (keyID: String, sealed: String)
        do {
            sealed = try WebhookSecretBox(keys: controlPlane.configuration.auditKeys).seal(secret)
        } catch {
            throw ControlPlaneError.wrapping(error, "sealing the webhook secret")
        }
        let id = "wh-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let now = controlPlane.nowMilliseconds()
        let stored = "," + names.map(\.rawValue).joined(separator: ",") + ","
        return try await controlPlane.mutate("creating a webhook of namespace \"\(namespace)\"") { db in
            _ = try await Registry.requireNamespace(namespace, in: db)
            try await db.raw(
                """
                INSERT INTO webhook_endpoints (id, namespace, url, secret_key_id, secret_sealed, events, created_by, created_at)
                VALUES (\(bind: id), \(bind: namespace), \(bind: url), \(bind: sealed.keyID), \(bind: sealed.sealed), \(bind: stored),
                        \(bind: context.actor), \(bind: now))
                """
            ).run()
            try await AuditLog.append(
                AuditEvent(
                    action: "webhook.create",
                    namespace: namespace,
                    target: id,
                    detail: "\(url) events \(names.map(\.rawValue).joined(separator: ","))"
                ),
                context: context,
                at: now,
                in: db
            )
            return WebhookEndpoint(
                id: id,
                namespace: namespace,
                url: url,
                events: names,
                createdBy: context.actor,
                createdAt: Date(milliseconds: now)
            )
        }
    }

    /// One page of `namespace`'s endpoints, by id. - Throws: `namespaceNotFound`.
    public func list(namespace: String, page: PageRequest = .first()) async throws(ControlPlaneError) -> Page<WebhookEndpoint> {
        try NameGrammar.validateNamespace(namespace)
        let after = try page.validated(arity: 1)?[0] ?? ""
        let limit = page.limit
        let fetched = try await controlPlane.query("listing webhooks of namespace \"\(namespace)\"") { db in
            _ = try await Registry.requireNamespace(namespace, in: db)
            return try await db.raw(
                """
                SELECT id, namespace, url, events, created_by, created_at FROM webhook_endpoints
                WHERE namespace = \(bind: namespace) AND id > \(bind: after) ORDER BY id LIMIT \(literal: limit + 1)
                """
            ).all().map(Self.endpoint(from:))
        }
        return Page.from(fetched: fetched, limit: limit) { [$0.id] }
    }

    /// Removes an endpoint and its deliveries (pending ones are not sent).
    ///
    /// - Throws: `webhookNotFound`, `namespaceNotFound`.
    public func delete(namespace: String, id: String, context: RequestContext) async throws(ControlPlaneError) {
        try NameGrammar.validateNamespace(namespace)
        let now = controlPlane.nowMilliseconds()
        try await controlPlane.mutate("deleting webhook \"\(id)\"") { db in
            _ = try await Registry.requireNamespace(namespace, in: db)
            try await Self.requireEndpoint(namespace: namespace, id: id, in: db)
            try await db.raw("DELETE FROM webhook_deliveries WHERE endpoint_id = \(bind: id)").run()
            try await db.raw("DELETE FROM webhook_endpoints WHERE id = \(bind: id)").run()
            try await AuditLog.append(
                AuditEvent(action: "webhook.delete", namespace: namespace, target: id),
                context: context,
                at: now,
                in: db
            )
        }
    }

    /// One page of an endpoint's deliveries, by id (oldest event first), in `state` only when given.
    ///
    /// - Throws: `webhookNotFound`, `namespaceNotFound`.
    public func deliveries(
        namespace: String,
        endpoint id: String,
        state: WebhookDeliveryState? = nil,
        page: PageRequest = .first()
    ) async throws(ControlPlaneError) -> Page<WebhookDelivery> {
        try NameGrammar.validateNamespace(namespace)
        let after = try page.validated(arity: 1)?[0] ?? ""
        let limit = page.limit
        let fetched = try await controlPlane.query("listing deliveries of webhook \"\(id)\"") { db in
            _ = try await Registry.requireNamespace(namespace, in: db)
            try await Self.requireEndpoint(namespace: namespace, id: id, in: db)
            var sql: SQLQueryString = """
                SELECT id, event_id, endpoint_id, event, state, attempts, next_attempt_at, delivered_at, last_status, last_error, created_at
                FROM webhook_deliveries WHERE endpoint_id = \(bind: id) AND id > \(bind: after)
                """
            if let state { sql += " AND state = \(bind: state.rawValue)" }
            sql += " ORDER BY id LIMIT \(literal: limit + 1)"
            return try await db.raw(sql).all().map(Self.delivery(from:))
        }
        return Page.from(fetched: fetched, limit: limit) { [$0.id] }
    }

    // MARK: Validation

    /// The host of an acceptable webhook URL. - Throws: `invalidWebhook` saying what is wrong.
    static func validateURL(_ url: String) throws(ControlPlaneError) -> String {
        let shown = NameGrammar.printable(String(url.prefix(200)))
        guard url.utf8.count <= maximumURLLength else {
            throw ControlPlaneError(.invalidWebhook, "the webhook URL has \(url.utf8.count) bytes; at most \(maximumURLLength)")
        }
        guard NameGrammar.invisibleCharacter(in: url) == nil, !url.contains(" "),
            let parts = URLComponents(string: url), let scheme = parts.scheme?.lowercased()
        else {
            throw ControlPlaneError(.invalidWebhook, "webhook URL \"\(shown)\" is not a URL; write http(s)://host[:port]/path")
        }
        guard scheme == "http" || scheme == "https" else {
            throw ControlPlaneError(.invalidWebhook, "webhook URL \"\(shown)\" is not http or https")
        }
        guard let host = parts.host, !host.isEmpty else {
            throw ControlPlaneError(.invalidWebhook, "webhook URL \"\(shown)\" has no host")
        }
        guard parts.user == nil, parts.password == nil else {
            throw ControlPlaneError(.invalidWebhook, "a webhook URL may not carry credentials; the endpoint's secret signs each delivery")
        }
        guard parts.fragment == nil else { throw ControlPlaneError(.invalidWebhook, "webhook URL \"\(shown)\" has a fragment") }
        return host
    }

    /// Event names, deduplicated in their canonical order; the defaults when `names` is empty.
    static func validateEvents(_ names: [String]) throws(ControlPlaneError) -> [WebhookEventName] {
        if names.isEmpty { return WebhookEventName.defaults }
        var chosen = Set<WebhookEventName>()
        for name in names {
            guard let event = WebhookEventName(rawValue: name) else {
                throw ControlPlaneError(
                    .invalidWebhook,
                    "\"\(NameGrammar.printable(name))\" is not a webhook event; the events are "
                        + WebhookEventName.allCases.map(\.rawValue).joined(separator: ", ")
                )
            }
            chosen.insert(event)
        }
        return WebhookEventName.allCases.filter(chosen.contains)
    }

    // MARK: Rows

    static func requireEndpoint(namespace: String, id: String, in db: any SQLDatabase) async throws {
        let found = try await db.raw("SELECT id FROM webhook_endpoints WHERE id = \(bind: id) AND namespace = \(bind: namespace)").first()
        guard found != nil else {
            throw ControlPlaneError(.webhookNotFound, "namespace \"\(namespace)\" has no webhook \"\(NameGrammar.printable(id))\"")
        }
    }

    static func endpoint(from row: any SQLRow) throws -> WebhookEndpoint {
        let events = try row.string("events").split(separator: ",").compactMap { WebhookEventName(rawValue: String($0)) }
        return WebhookEndpoint(
            id: try row.string("id"),
            namespace: try row.string("namespace"),
            url: try row.string("url"),
            events: events,
            createdBy: try row.string("created_by"),
            createdAt: Date(milliseconds: try row.int("created_at"))
        )
    }

    static func delivery(from row: any SQLRow) throws -> WebhookDelivery {
        let state = WebhookDeliveryState(rawValue: try row.string("state")) ?? .pending
        return WebhookDelivery(
            id: try row.string("id"),
            eventID: try row.string("event_id"),
            endpointID: try row.string("endpoint_id"),
            event: try row.string("event"),
            state: state,
            attempts: Int(try row.int("attempts")),
            createdAt: Date(milliseconds: try row.int("created_at")),
            nextAttemptAt: state == .pending ? Date(milliseconds: try row.int("next_attempt_at")) : nil,
            deliveredAt: try row.optionalInt("delivered_at").map(Date.init(milliseconds:)),
            lastStatus: try row.optionalInt("last_status").map { Int($0) },
            lastError: try row.optionalString("last_error")
        )
    }
}
