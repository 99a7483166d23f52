public import ArtifactMetadata
public import ArtifactStoreAPI
import Foundation
import SQLKit

/// Replication rules and their status (docs/replication.md).
///
/// Exists so rules are stored and audited through the control plane's transactions like every
/// other change, and so the replication service of every node reads the same rules. The password
/// is sealed before it is stored (``WebhookSecretBox/replication(_:)``: AES-GCM under a key
/// derived from the audit key, which the database does not hold); it is never returned, logged
/// or audited (`replication.create` says only whether credentials were given).
public struct Replication: Sendable {
    public let controlPlane: ControlPlane

    public init(controlPlane: ControlPlane) {
        self.controlPlane = controlPlane
    }

    /// Stores a new rule; audited `replication.create`.
    ///
    /// - Throws: `replicationExists` when the name is taken.
    public func create(_ rule: ReplicationRuleConfiguration, context: RequestContext) async throws(ControlPlaneError) -> ReplicationRule {
        let sealed: (keyID: String, sealed: String)?
        do {
            sealed = try rule.password.map { try WebhookSecretBox.replication(controlPlane.configuration.auditKeys).seal(Array($0.utf8)) }
        } catch {
            throw ControlPlaneError.wrapping(error, "sealing the replication password")
        }
        let now = controlPlane.nowMilliseconds()
        try await controlPlane.mutate("creating replication rule \"\(rule.name)\"") { db in
            if try await db.raw("SELECT name FROM replication_rules WHERE name = \(bind: rule.name)").first() != nil {
                throw ControlPlaneError(
                    .replicationExists,
                    "replication rule \"\(rule.name)\" exists; delete it first or choose another name"
                )
            }
            try await db.raw(
                """
                INSERT INTO replication_rules (name, direction, remote, repositories, interval_seconds, username, password_key_id,
                    password_sealed, created_by, created_at)
                VALUES (\(bind: rule.name), \(bind: rule.direction.rawValue), \(bind: rule.remote.absoluteString),
                    \(bind: rule.repositories), \(bind: rule.intervalSeconds), \(bind: rule.username), \(bind: sealed?.keyID),
                    \(bind: sealed?.sealed), \(bind: context.actor), \(bind: now))
                """
            ).run()
            let detail =
                "\(rule.direction.rawValue) \(rule.remote.absoluteString) repositories \(rule.repositories)"
                + (rule.password == nil ? "" : ", with credentials")
            try await AuditLog.append(
                AuditEvent(action: "replication.create", namespace: nil, target: rule.name, detail: detail),
                context: context,
                at: now,
                in: db
            )
        }
        return try await self.rule(rule.name)
    }

    /// Every rule with its status, by name.
    public func list() async throws(ControlPlaneError) -> [ReplicationRule] {
        let now = controlPlane.nowMilliseconds()
        return try await controlPlane.query("listing replication rules") { db in
            var rules: [ReplicationRule] = []
            for row in try await db.raw("SELECT * FROM replication_rules ORDER BY name").all() {
                rules.append(try await Self.answer(row, now: now, in: db))
            }
            return rules
        }
    }

    /// One rule with its status. - Throws: `replicationNotFound`.
    public func rule(_ name: String) async throws(ControlPlaneError) -> ReplicationRule {
        let now = controlPlane.nowMilliseconds()
        return try await controlPlane.query("reading replication rule \"\(NameGrammar.printable(name))\"") { db in
            try await Self.answer(try await Self.requireRow(name, in: db), now: now, in: db)
        }
    }

    /// Every rule, checked, with its password opened: what the replication service works from.
    package func configurations() async throws(ControlPlaneError) -> [ReplicationRuleConfiguration] {
        let rows = try await controlPlane.query("reading replication rules") { db in
            try await db.raw("SELECT * FROM replication_rules ORDER BY name").all().map(Self.stored(from:))
        }
        let box = WebhookSecretBox.replication(controlPlane.configuration.auditKeys)
        return try rows.map { (stored: StoredRule) throws(ControlPlaneError) -> ReplicationRuleConfiguration in
            var rule = stored.rule
            if let keyID = stored.keyID, let sealed = stored.sealed {
                do {
                    rule.password = String(decoding: try box.open(keyID: keyID, sealed: sealed), as: UTF8.self)
                } catch {
                    throw ControlPlaneError.wrapping(error, "opening the password of replication rule \"\(rule.name)\"")
                }
            }
            return rule
        }
    }

    /// Deletes a rule and its queue; audited `replication.delete`. - Throws: `replicationNotFound`.
    public func delete(_ name: String, context: RequestContext) async throws(ControlPlaneError) {
        let now = controlPlane.nowMilliseconds()
        try await controlPlane.mutate("deleting replication rule \"\(NameGrammar.printable(name))\"") { db in
            _ = try await Self.requireRow(name, in: db)
            try await db.raw("DELETE FROM replication_queue WHERE rule = \(bind: name)").run()
            try await db.raw("DELETE FROM replication_rules WHERE name = \(bind: name)").run()
            try await AuditLog.append(
                AuditEvent(action: "replication.delete", namespace: nil, target: name),
                context: context,
                at: now,
                in: db
            )
        }
    }

    /// Records the outcome of a rule's work: a success, or a failure in words (never a credential).
    package func recordOutcome(_ name: String, error: String?, ran: Bool = false) async throws(ControlPlaneError) {
        let now = controlPlane.nowMilliseconds()
        try await controlPlane.mutate("recording replication rule \"\(name)\"", priority: .background) { db in
            try await Self.writeOutcome(name, error: error, ran: ran, at: now, in: db)
        }
    }

    /// The rule's last success (clearing its last error) or last error, in the transaction `db`.
    static func writeOutcome(_ name: String, error: String?, ran: Bool = false, at now: Int64, in db: any SQLDatabase) async throws {
        var sql: SQLQueryString = "UPDATE replication_rules SET "
        if let error {
            sql += "last_error = \(bind: String(error.prefix(500))), last_error_at = \(bind: now)"
        } else {
            sql += "last_success_at = \(bind: now), last_error = NULL, last_error_at = NULL"
        }
        if ran { sql += ", last_run_at = \(bind: now)" }
        sql += " WHERE name = \(bind: name)"
        try await db.raw(sql).run()
    }

    /// Claims a pull rule's mirror run: moves `last_run_at` from `previous` to `now`, so of the
    /// nodes that see the run due only the one whose update lands runs it. Returns whether it did.
    package func claimRun(_ name: String, previous: Int64?, now: Int64) async throws(ControlPlaneError) -> Bool {
        try await controlPlane.mutate("claiming a run of replication rule \"\(name)\"", priority: .background) { db in
            var sql: SQLQueryString = "UPDATE replication_rules SET last_run_at = \(bind: now) WHERE name = \(bind: name) AND "
            if let previous { sql += "last_run_at = \(bind: previous)" } else { sql += "last_run_at IS NULL" }
            try await db.raw(sql).run()
            let row = try await db.raw("SELECT last_run_at FROM replication_rules WHERE name = \(bind: name)").first()
            return try row?.optionalInt("last_run_at") == now
        }
    }

    // MARK: Rows

    struct StoredRule: Sendable {
        var rule: ReplicationRuleConfiguration
        var keyID: String?
        var sealed: String?
    }

    static func requireRow(_ name: String, in db: any SQLDatabase) async throws -> any SQLRow {
        guard let row = try await db.raw("SELECT * FROM replication_rules WHERE name = \(bind: name)").first() else {
            throw ControlPlaneError(.replicationNotFound, "no replication rule is named \"\(NameGrammar.printable(name))\"")
        }
        return row
    }

    static func stored(from row: any SQLRow) throws -> StoredRule {
        let direction = ReplicationDirection(rawValue: try row.string("direction")) ?? .push
        guard let remote = URL(string: try row.string("remote")) else {
            throw ControlPlaneError(.database, "replication rule \"\(try row.string("name"))\" has a malformed remote")
        }
        return StoredRule(
            rule: ReplicationRuleConfiguration(
                name: try row.string("name"),
                direction: direction,
                remote: remote,
                repositories: try row.string("repositories"),
                intervalSeconds: try row.int("interval_seconds"),
                username: try row.optionalString("username")
            ),
            keyID: try row.optionalString("password_key_id"),
            sealed: try row.optionalString("password_sealed")
        )
    }

    static func answer(_ row: any SQLRow, now: Int64, in db: any SQLDatabase) async throws -> ReplicationRule {
        let stored = try stored(from: row)
        var status = try await ReplicationQueue.lag(rule: stored.rule.name, now: now, in: db)
        status.lastSuccessAt = try row.optionalInt("last_success_at").map(Date.init(milliseconds:))
        status.lastRunAt = try row.optionalInt("last_run_at").map(Date.init(milliseconds:))
        status.lastError = try row.optionalString("last_error")
        status.lastErrorAt = try row.optionalInt("last_error_at").map(Date.init(milliseconds:))
        return ReplicationRule(
            name: stored.rule.name,
            direction: stored.rule.direction,
            remote: stored.rule.remote.absoluteString,
            repositories: stored.rule.repositories,
            intervalSeconds: stored.rule.intervalSeconds,
            username: stored.rule.username,
            hasPassword: stored.sealed != nil,
            createdBy: try row.string("created_by"),
            createdAt: Date(milliseconds: try row.int("created_at")),
            status: status
        )
    }
}
