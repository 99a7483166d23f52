package import ArtifactStoreAPI
package import SQLKit

/// Claims and releases the rows of a leased work table: `webhook_deliveries` and
/// `replication_queue` (columns `id`, `state`, `attempts`, `next_attempt_at`, `claimed_until`,
/// `claimed_by`, `last_error`).
///
/// Exists so the two outboxes share one lease discipline instead of two copies of it: due rows
/// are selected and leased in one transaction, setting `claimed_until` only where it has passed
/// (two nodes never hold a row at once); the outcome is written only by the node whose lease it
/// still is (a node that lost its lease to a timeout writes nothing); a failed attempt is
/// retried after exponential backoff until the last attempt, after which the row is `dead`.
package struct LeasedRows: Sendable {
    /// The table: a constant of the caller, never input.
    package let table: String
    /// This node's name in `claimed_by`.
    package let node: String

    package init(table: String, node: String) {
        self.table = table
        self.node = node
    }

    /// Rows removed per ``prune(doneColumn:deliveredBefore:deadBefore:in:)`` call.
    package static let pruneBatch = 1000

    /// Whether any row is due (pending, its attempt time come, its lease passed): one indexed
    /// read outside a transaction, which a poller asks before it claims in one. An idle outbox
    /// then costs a statement a round, not a serializable transaction (and the turn lock that
    /// background work takes around it).
    package func anyDue(now: Int64, in db: any SQLDatabase) async throws -> Bool {
        try await db.raw(
            """
            SELECT 1 AS due FROM \(unsafeRaw: table)
            WHERE state = 'pending' AND next_attempt_at <= \(bind: now) AND claimed_until < \(bind: now) LIMIT 1
            """
        ).first() != nil
    }

    /// Runs `select` (which must filter `claimed_until < now`, return `id`, and be bounded) in
    /// the transaction `db`, leases the rows it returns until `leaseEnd`, and returns them mapped.
    package func claim<T>(
        _ select: SQLQueryString,
        now: Int64,
        leaseEnd: Int64,
        in db: any SQLDatabase,
        map: (any SQLRow) throws -> T
    ) async throws -> [T] {
        let rows = try await db.raw(select).all()
        guard !rows.isEmpty else { return [] }
        let ids = try rows.map { try $0.decode(column: "id", as: String.self) }
        try await db.raw(
            """
            UPDATE \(unsafeRaw: table) SET claimed_until = \(bind: leaseEnd), claimed_by = \(bind: node)
            WHERE id IN (\(binds: ids)) AND claimed_until < \(bind: now)
            """
        ).run()
        return try rows.map(map)
    }

    /// The outcome of attempt number `attempts` (1-based): `delivered` (or the caller's success
    /// state) when it succeeded, `pending` again after a backoff, or `dead` after the last one.
    package static func outcome(
        succeeded: Bool,
        attempts: Int,
        now: Int64,
        settings: WebhookDeliverySettings
    ) -> (state: WebhookDeliveryState, nextAttemptAt: Int64) {
        let state: WebhookDeliveryState = succeeded ? .delivered : (attempts >= settings.maximumAttempts ? .dead : .pending)
        return (state, now + settings.backoff(afterAttempt: attempts).milliseconds)
    }

    /// Whether this node's lease (`leaseEnd`) on row `id` still holds, in the transaction `db`:
    /// what a caller checks before writing anything else that depends on the outcome.
    package func holds(id: String, leaseEnd: Int64, in db: any SQLDatabase) async throws -> Bool {
        try await db.raw(
            "SELECT id FROM \(unsafeRaw: table) WHERE id = \(bind: id) AND claimed_by = \(bind: node) AND claimed_until = \(bind: leaseEnd)"
        ).first() != nil
    }

    /// Writes a claimed row's outcome and frees it, if this node's lease (`leaseEnd`) still holds;
    /// `extra` adds the table's own columns (`, col = value, …`).
    package func release(
        id: String,
        leaseEnd: Int64,
        state: String,
        attempts: Int,
        nextAttemptAt: Int64,
        error: String?,
        extra: SQLQueryString = "",
        in db: any SQLDatabase
    ) async throws {
        var sql: SQLQueryString = """
            UPDATE \(unsafeRaw: table) SET state = \(bind: state), attempts = \(bind: Int64(attempts)),
                next_attempt_at = \(bind: nextAttemptAt), claimed_until = 0, claimed_by = NULL,
                last_error = \(bind: error.map { String($0.prefix(500)) })
            """
        sql += extra
        sql += " WHERE id = \(bind: id) AND claimed_by = \(bind: node) AND claimed_until = \(bind: leaseEnd)"
        try await db.raw(sql).run()
    }

    /// Removes rows delivered before `deliveredBefore` (by `doneColumn`, a constant of the caller)
    /// and dead rows created before `deadBefore`, 1000 a call; returns how many. Any node may
    /// run it: it takes nothing another node holds.
    package func prune(doneColumn: String, deliveredBefore: Int64, deadBefore: Int64, in db: any SQLDatabase) async throws -> Int {
        let old = try await db.raw(
            """
            SELECT id FROM \(unsafeRaw: table)
            WHERE (state = 'delivered' AND \(unsafeRaw: doneColumn) < \(bind: deliveredBefore))
                OR (state = 'dead' AND created_at < \(bind: deadBefore))
            LIMIT \(literal: Self.pruneBatch)
            """
        ).all().map { try $0.decode(column: "id", as: String.self) }
        if !old.isEmpty { try await db.raw("DELETE FROM \(unsafeRaw: table) WHERE id IN (\(binds: old))").run() }
        return old.count
    }
}
