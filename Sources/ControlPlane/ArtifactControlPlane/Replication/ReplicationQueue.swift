public import ArtifactMetadata
public import ArtifactStoreAPI
import Foundation
import SQLKit

/// The durable queue of push replication: one row per push rule and committed OCI manifest or
/// tag, written in the transaction of the commit (docs/replication.md, "Push rules").
///
/// Exists so a restart loses nothing: ``enqueue(_:at:in:)`` runs inside
/// ``AuditLog/append(_:context:at:in:)`` beside the webhook outbox, so an item exists exactly when
/// its commit does; the replication service claims items with the webhook deliveries' lease
/// (``LeasedRows``), copies them, and records the outcome only while its lease holds. A node
/// killed mid-copy leaves its lease to expire and the item is copied again (copies are
/// idempotent: the remote already has what arrived).
public struct ReplicationQueue: Sendable {
    public let controlPlane: ControlPlane
    /// Retries, backoff, lease and batch size: the same settings type as webhook deliveries.
    public let settings: WebhookDeliverySettings
    let lease = LeasedRows(table: "replication_queue", node: UUID().uuidString.lowercased())

    public init(controlPlane: ControlPlane, settings: WebhookDeliverySettings = .init(lease: .seconds(60))) {
        self.controlPlane = controlPlane
        self.settings = settings
    }

    /// One claimed item: copy `reference` (a `sha256:` digest or a tag) of `repository` by `rule`.
    public struct Item: Sendable, Hashable {
        public var id: String
        public var rule: String
        public var repository: String
        public var reference: String
        public var attempts: Int
        public var leaseEnd: Int64
    }

    /// The item of an audited change, if it is one: a committed OCI manifest version
    /// (`ns/artifact@sha256-<hex>`) or a tag set (`ns/artifact:tag`).
    static func item(forAction action: String, target: String) -> (repository: String, reference: String)? {
        switch action {
        case "version.commit":
            guard let at = target.lastIndex(of: "@") else { return nil }
            let version = target[target.index(after: at)...]
            guard version.hasPrefix("sha256-") else { return nil }
            return (String(target[..<at]), "sha256:" + version.dropFirst("sha256-".count))
        case "tag.set":
            guard let colon = target.lastIndex(of: ":") else { return nil }
            return (String(target[..<colon]), String(target[target.index(after: colon)...]))
        default:
            return nil
        }
    }

    /// Writes the items of an audited change for every push rule covering its repository, inside
    /// its transaction `db`. One indexed read of the push rules when there is none.
    static func enqueue(_ event: AuditEvent, at time: Int64, in db: any SQLDatabase) async throws {
        guard event.outcome == .success, let (repository, reference) = item(forAction: event.action, target: event.target) else { return }
        let rules = try await db.raw("SELECT name, repositories FROM replication_rules WHERE direction = 'push'").all()
        for row in rules {
            let (name, glob) = (try row.string("name"), try row.string("repositories"))
            guard (try? ArtifactGlob(glob))?.matches(repository) == true else { continue }
            try await db.raw(
                """
                INSERT INTO replication_queue (id, rule, repository, reference, state, attempts, next_attempt_at, claimed_until, created_at)
                VALUES (\(bind: AuditPendingRecord.newID()), \(bind: name), \(bind: repository), \(bind: reference), 'pending', 0,
                    \(bind: time), 0, \(bind: time))
                """
            ).run()
        }
    }

    /// Claims up to ``WebhookDeliverySettings/batchSize`` due items, oldest first (one read when
    /// none is due).
    public func claim() async throws(ControlPlaneError) -> [Item] {
        let now = controlPlane.nowMilliseconds()
        let leaseEnd = now + settings.lease.milliseconds
        let (lease, limit) = (self.lease, settings.batchSize)
        let due = try await controlPlane.query("looking for due replication items") { db in try await lease.anyDue(now: now, in: db) }
        guard due else { return [] }
        return try await controlPlane.mutate("claiming replication items", priority: .background) { db in
            try await lease.claim(
                """
                SELECT id, rule, repository, reference, attempts FROM replication_queue
                WHERE state = 'pending' AND next_attempt_at <= \(bind: now) AND claimed_until < \(bind: now)
                ORDER BY created_at, id LIMIT \(literal: limit)
                """,
                now: now,
                leaseEnd: leaseEnd,
                in: db
            ) { row in
                Item(
                    id: try row.string("id"),
                    rule: try row.string("rule"),
                    repository: try row.string("repository"),
                    reference: try row.string("reference"),
                    attempts: Int(try row.int("attempts")),
                    leaseEnd: leaseEnd
                )
            }
        }
    }

    /// Records an item's outcome (`failure` nil: copied) and the rule's last success or error, if
    /// this node's lease still holds; returns the item's new state, or `nil` when the lease was
    /// lost (another node has the item now, and its outcome is the one that counts).
    public func record(_ item: Item, failure: String?) async throws(ControlPlaneError) -> WebhookDeliveryState? {
        let now = controlPlane.nowMilliseconds()
        let attempts = item.attempts + 1
        let (state, next) = LeasedRows.outcome(succeeded: failure == nil, attempts: attempts, now: now, settings: settings)
        let lease = self.lease
        return try await controlPlane.mutate("recording replication item \(item.id)", priority: .background) { db in
            guard try await lease.holds(id: item.id, leaseEnd: item.leaseEnd, in: db) else { return nil }
            try await lease.release(
                id: item.id,
                leaseEnd: item.leaseEnd,
                state: state.rawValue,
                attempts: attempts,
                nextAttemptAt: next,
                error: failure,
                extra: ", done_at = \(bind: state == .delivered ? now : nil)",
                in: db
            )
            let error = failure.map { "\(item.repository) \(item.reference): \($0)" }
            try await Replication.writeOutcome(item.rule, error: error, at: now, in: db)
            return state
        }
    }

    /// Removes delivered items older than ``WebhookDeliverySettings/keepDelivered`` and dead ones
    /// older than ``WebhookDeliverySettings/keepDead`` (1000 a call); returns how many.
    public func prune() async throws(ControlPlaneError) -> Int {
        let now = controlPlane.nowMilliseconds()
        let (delivered, dead) = (now - settings.keepDelivered.milliseconds, now - settings.keepDead.milliseconds)
        let lease = self.lease
        return try await controlPlane.mutate("removing old replication items", priority: .background) { db in
            try await lease.prune(doneColumn: "done_at", deliveredBefore: delivered, deadBefore: dead, in: db)
        }
    }

    /// The pending and dead counts of `rule` and the age of its oldest pending item.
    static func lag(rule: String, now: Int64, in db: any SQLDatabase) async throws -> ReplicationStatus {
        let pending = try await db.raw(
            "SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM replication_queue WHERE rule = \(bind: rule) AND state = 'pending'"
        ).first()
        let dead = try await db.raw(
            "SELECT COUNT(*) AS n FROM replication_queue WHERE rule = \(bind: rule) AND state = 'dead'"
        ).first()
        let oldest = try pending?.optionalInt("oldest")
        return ReplicationStatus(
            pending: Int(try pending?.int("n") ?? 0),
            dead: Int(try dead?.int("n") ?? 0),
            lagSeconds: oldest.map { max(0, (now - $0) / 1000) } ?? 0
        )
    }
}
