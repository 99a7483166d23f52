public import ArtifactMetadata
import ArtifactStoreAPI
import Crypto
import Foundation
import SQLKit

/// What one delivery round did.
public struct WebhookRoundReport: Sendable, Hashable {
    /// Deliveries this node claimed (and tried).
    public var claimed = 0
    public var delivered = 0
    /// Failed attempts that will be retried.
    public var retrying = 0
    /// Failed attempts that were the last: the delivery is dead.
    public var dead = 0

    public init(claimed: Int = 0, delivered: Int = 0, retrying: Int = 0, dead: Int = 0) {
        self.claimed = claimed
        self.delivered = delivered
        self.retrying = retrying
        self.dead = dead
    }
}

/// Sends due deliveries: claims them with a lease, signs and posts each, records the outcome.
///
/// Exists so delivery is at least once and safe with several nodes on one database: a delivery
/// is claimed in a serializable transaction that sets `claimed_until` only where it has passed
/// (so two nodes never hold it at once), sent, and then marked delivered, or rescheduled with
/// exponential backoff, or dead after the last attempt, only by the node whose lease it still
/// is. A node that dies mid-send leaves its lease to expire, and another node sends again: the
/// receiver may see an event twice (it has the same CloudEvents `id`), never zero times.
public struct WebhookDispatcher: Sendable {
    public let controlPlane: ControlPlane
    public let transport: any WebhookTransport
    public let settings: WebhookDeliverySettings
    /// The deliveries' lease, under this node's name in `claimed_by` (random per dispatcher).
    let lease = LeasedRows(table: "webhook_deliveries", node: UUID().uuidString.lowercased())

    /// The signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
    public static let signatureHeader = "ArtifactStore-Signature"
    /// The delivery id header (`<event id>/<endpoint id>`).
    public static let deliveryHeader = "ArtifactStore-Delivery"

    public init(controlPlane: ControlPlane, transport: any WebhookTransport, settings: WebhookDeliverySettings = .init()) {
        self.controlPlane = controlPlane
        self.transport = transport
        self.settings = settings
    }

    /// The signature header's value for `body` at `timestamp` (seconds since 1970) under `secret`.
    public static func signature(secret: [UInt8], timestamp: Int64, body: [UInt8]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("\(timestamp).".utf8) + body, using: SymmetricKey(data: secret))
        return "t=\(timestamp),v1=" + AuditKeyring.lowercaseHex(mac)
    }

    struct Claimed: Sendable {
        var id: String
        var url: String
        var payload: String
        var attempts: Int
        var keyID: String
        var sealed: String
    }

    /// One round: claims up to ``WebhookDeliverySettings/batchSize`` due deliveries and sends them
    /// (one read when none is due).
    public func deliverDue() async throws(ControlPlaneError) -> WebhookRoundReport {
        let now = controlPlane.nowMilliseconds()
        let leaseEnd = now + settings.lease.milliseconds
        let (lease, limit) = (self.lease, settings.batchSize)
        let due = try await controlPlane.query("looking for due webhook deliveries") { db in try await lease.anyDue(now: now, in: db) }
        guard due else { return WebhookRoundReport() }
        let claimed = try await controlPlane.mutate("claiming webhook deliveries", priority: .background) { db -> [Claimed] in
            try await lease.claim(
                """
                SELECT d.id, d.payload, d.attempts, e.url, e.secret_key_id, e.secret_sealed
                FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
                WHERE d.state = 'pending' AND d.next_attempt_at <= \(bind: now) AND d.claimed_until < \(bind: now)
                ORDER BY d.next_attempt_at, d.id LIMIT \(literal: limit)
                """,
                now: now,
                leaseEnd: leaseEnd,
                in: db
            ) { row in
                Claimed(
                    id: try row.string("id"),
                    url: try row.string("url"),
                    payload: try row.string("payload"),
                    attempts: Int(try row.int("attempts")),
                    keyID: try row.string("secret_key_id"),
                    sealed: try row.string("secret_sealed")
                )
            }
        }
        var report = WebhookRoundReport(claimed: claimed.count)
        let outcomes = await withTaskGroup(of: (Claimed, Int?, String?).self) { group in
            for delivery in claimed {
                group.addTask { await send(delivery) }
            }
            var all: [(Claimed, Int?, String?)] = []
            for await outcome in group { all.append(outcome) }
            return all
        }
        for (delivery, status, failure) in outcomes {
            let state = try await record(delivery, status: status, failure: failure, leaseEnd: leaseEnd)
            switch state {
            case .delivered: report.delivered += 1
            case .pending: report.retrying += 1
            case .dead: report.dead += 1
            }
        }
        return report
    }

    /// Removes deliveries delivered longer ago than ``WebhookDeliverySettings/keepDelivered`` and
    /// dead ones created longer ago than ``WebhookDeliverySettings/keepDead`` (1000 a call);
    /// returns how many. Any node may run it: it takes nothing another node holds.
    public func prune() async throws(ControlPlaneError) -> Int {
        let now = controlPlane.nowMilliseconds()
        let (delivered, dead) = (now - settings.keepDelivered.milliseconds, now - settings.keepDead.milliseconds)
        let lease = self.lease
        return try await controlPlane.mutate("removing old webhook deliveries", priority: .background) { db in
            try await lease.prune(doneColumn: "delivered_at", deliveredBefore: delivered, deadBefore: dead, in: db)
        }
    }

    /// Posts one delivery; the status if an answer came, and why it failed if it did.
    func send(_ delivery: Claimed) async -> (Claimed, Int?, String?) {
        let secret: [UInt8]
        do {
            secret = try WebhookSecretBox(keys: controlPlane.configuration.auditKeys).open(keyID: delivery.keyID, sealed: delivery.sealed)
            guard let host = URLComponents(string: delivery.url)?.host else {
                return (delivery, nil, "the endpoint URL has no host")
            }
            try controlPlane.configuration.webhookNetworks.check(host: host)
        } catch let error as ControlPlaneError {
            return (delivery, nil, error.message)
        } catch {
            return (delivery, nil, "the delivery could not be prepared")
        }
        let body = Array(delivery.payload.utf8)
        let timestamp = controlPlane.nowMilliseconds() / 1000
        let headers = [
            ("Content-Type", "application/cloudevents+json; charset=utf-8"),
            (Self.deliveryHeader, delivery.id),
            (Self.signatureHeader, Self.signature(secret: secret, timestamp: timestamp, body: body)),
        ]
        do {
            let status = try await transport.post(url: delivery.url, headers: headers, body: body)
            return (delivery, status, (200..<300).contains(status) ? nil : "the endpoint answered \(status)")
        } catch let failure as WebhookTransportFailure {
            return (delivery, nil, failure.reason)
        } catch {
            return (delivery, nil, "the request failed without an answer")
        }
    }

    /// Marks the outcome, if this node's lease still holds; returns the delivery's new state.
    func record(
        _ delivery: Claimed,
        status: Int?,
        failure: String?,
        leaseEnd: Int64
    ) async throws(ControlPlaneError) -> WebhookDeliveryState {
        let now = controlPlane.nowMilliseconds()
        let attempts = delivery.attempts + 1
        let (state, next) = LeasedRows.outcome(succeeded: failure == nil, attempts: attempts, now: now, settings: settings)
        let (lease, id) = (self.lease, delivery.id)
        try await controlPlane.mutate("recording webhook delivery \(id)", priority: .background) { db in
            try await lease.release(
                id: id,
                leaseEnd: leaseEnd,
                state: state.rawValue,
                attempts: attempts,
                nextAttemptAt: next,
                error: failure,
                extra: ", last_status = \(bind: status.map(Int64.init)), delivered_at = \(bind: state == .delivered ? now : nil)",
                in: db
            )
        }
        return state
    }
}
