import ArtifactDataPlane
import ArtifactMetadata
package import ArtifactStoreAPI
import Foundation
import Logging
import SQLKit

/// The transactional outbox: an event's delivery rows, written in the transaction of the change.
///
/// Exists so an event leaves exactly when its change commits: ``AuditLog/append(_:context:at:in:)``
/// calls ``enqueue(_:context:at:in:)`` in the same transaction as the change's audit record, so a
/// change that rolls back leaves no delivery, and a committed one always has its rows. One
/// `INSERT … SELECT` fans the event out to the namespace's endpoints that asked for it. The
/// CloudEvent (structured mode, JSON) is built here, once, so every endpoint receives the event
/// exactly as it was committed, and only after one indexed read has found an endpoint that asked
/// for it: most namespaces have none, and building the event cost a push more than that read.
enum WebhookOutbox {
    /// The event an audited action is, if it is one (docs/webhooks.md, "Events").
    static func eventName(forAction action: String) -> WebhookEventName? {
        switch action {
        case "version.commit": .push
        case "version.delete", "tag.delete": .delete
        case "tag.set": .tagMove
        case "hold.place", "hold.release": .hold
        case "gc.unlink": .gcDelete
        default: nil
        }
    }

    /// Writes the deliveries of an audited change, inside its transaction `db`.
    static func enqueue(_ event: AuditEvent, context: RequestContext, at time: Int64, in db: any SQLDatabase) async throws {
        guard event.outcome == .success, let namespace = event.namespace, let name = eventName(forAction: event.action) else { return }
        try await insert(
            name,
            namespace: namespace,
            subject: event.target,
            digests: event.digests,
            action: event.action,
            detail: event.detail,
            context: context,
            at: time,
            in: db
        )
    }

    /// Writes one event's deliveries to every endpoint of `namespace` that asked for `name`.
    static func insert(
        _ name: WebhookEventName,
        namespace: String,
        subject: String,
        digests: [String],
        action: String,
        detail: String?,
        context: RequestContext,
        at time: Int64,
        in db: any SQLDatabase
    ) async throws {
        let listening = try await db.raw(
            """
            SELECT 1 AS listening FROM webhook_endpoints WHERE namespace = \(bind: namespace) AND events LIKE \(bind: "%,\(name.rawValue),%")
            LIMIT 1
            """
        ).first()
        guard listening != nil else { return }
        let eventID = AuditPendingRecord.newID()
        let payload = cloudEvent(
            id: eventID,
            name: name,
            namespace: namespace,
            subject: subject,
            digests: digests,
            action: action,
            detail: detail,
            context: context,
            at: time
        )
        try await db.raw(
            """
            INSERT INTO webhook_deliveries
                (id, event_id, endpoint_id, namespace, event, payload, state, attempts, next_attempt_at, claimed_until, created_at)
            SELECT CAST(\(bind: eventID + "/") AS TEXT) || id, \(bind: eventID), id, namespace, \(bind: name.rawValue), \(bind: payload),
                   'pending', 0, \(bind: time), 0, \(bind: time)
            FROM webhook_endpoints WHERE namespace = \(bind: namespace) AND events LIKE \(bind: "%,\(name.rawValue),%")
            """
        ).run()
    }

    /// The CloudEvents 1.0 JSON of an event (structured content mode).
    static func cloudEvent(
        id: String,
        name: WebhookEventName,
        namespace: String,
        subject: String,
        digests: [String],
        action: String,
        detail: String?,
        context: RequestContext,
        at time: Int64
    ) -> String {
        struct Data: Encodable {
            var namespace: String
            var action: String
            var target: String
            var digests: [String]
            var actor: String
            var requestId: String?
            var detail: String?
        }
        struct Event: Encodable {
            var specversion = "1.0"
            var id: String
            var source: String
            var type: String
            var subject: String
            var time: String
            var datacontenttype = "application/json"
            var data: Data
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let event = Event(
            id: id,
            source: "/artifactstore/namespaces/\(namespace)",
            type: name.cloudEventType,
            subject: subject,
            time: formatter.string(from: Date(milliseconds: time)),
            data: Data(
                namespace: namespace,
                action: action,
                target: subject,
                digests: digests,
                actor: context.actor,
                requestId: context.requestID,
                detail: detail
            )
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(event)) ?? Foundation.Data("{}".utf8), as: UTF8.self)
    }
}

extension Webhooks {
    /// Records an event that changes nothing (a pull, a verification that failed) in a
    /// transaction of its own, when an endpoint of `namespace` asked for it. A pull costs one
    /// indexed read when no endpoint asked for pulls.
    package func record(
        _ name: WebhookEventName,
        namespace: String,
        subject: String,
        digests: [String],
        detail: String? = nil,
        context: RequestContext
    ) async throws(ControlPlaneError) {
        let pattern = "%,\(name.rawValue),%"
        let wanted = try await controlPlane.query("looking for webhooks of namespace \"\(namespace)\"") { db in
            try await db.raw(
                "SELECT id FROM webhook_endpoints WHERE namespace = \(bind: namespace) AND events LIKE \(bind: pattern) LIMIT 1"
            ).first() != nil
        }
        guard wanted else { return }
        let now = controlPlane.nowMilliseconds()
        try await controlPlane.mutate("recording a \(name.rawValue) event", priority: .background) { db in
            try await WebhookOutbox.insert(
                name,
                namespace: namespace,
                subject: subject,
                digests: digests,
                action: name.rawValue,
                detail: detail,
                context: context,
                at: now,
                in: db
            )
        }
    }
}

extension Webhooks {
    /// A `verify.failure` event for a verification that found bytes not matching their address.
    /// The verification's answer does not depend on it: a failure to record is logged.
    func recordVerifyFailure(namespace: String, _ result: VerifyResult) async {
        do {
            try await record(
                .verifyFailure,
                namespace: namespace,
                subject: "\(result.address)",
                digests: ["\(result.address)"],
                detail: result.mismatch,
                context: RequestContext(actor: "system:verify")
            )
        } catch {
            controlPlane.logger.error("recording a verify.failure webhook event failed", metadata: ["error": "\(error.message)"])
        }
    }
}
