public import ArtifactMetadata
import Foundation
import SQLKit

/// What one seal round did.
public struct AuditSealReport: Sendable, Hashable {
    /// `false` when another sequencer held the role and this one sealed nothing.
    public var ran: Bool
    /// Pending records moved into the chain.
    public var sealed = 0
    /// Pending records left unsealed because their writer's MAC does not match or a column does
    /// not decode (tampered in the database; `AuditLog.verifyChain()` reports them).
    public var refused = 0
    /// Batches that lost the head to another sealer (nothing written; the next round retries).
    public var lostRaces = 0

    public init(ran: Bool) {
        self.ran = ran
    }
}

/// Links pending audit records into the keyed hash chain (docs/control-plane.md, "Audit log").
///
/// Exists so writers never serialise on the chain: each change leaves its record in
/// `audit_pending` under a random key, and only the sequencer reads and moves the head. One
/// sequencer at a time holds the role, by the store's exclusive lock `audit-sequencer` (a
/// PostgreSQL advisory lock, or a flock beside an SQLite file), taken afresh for every batch: a
/// node that cannot take it seals nothing, so a node that loses the role stops at once.
///
/// Each batch is one transaction, safe on its own even without the lock: it takes up to
/// ``batchSize`` pending records in `(time, id)` order together with the head (one statement),
/// moves the head by compare-and-set from the value it read (else it writes nothing), inserts
/// the records at the following sequence numbers (the primary key refuses a number twice) and deletes exactly those pending
/// rows (each must still be there). On PostgreSQL the transaction is repeatable read
/// (``TransactionIsolation/snapshot``): two seals that read the same head or the same pending
/// rows both write them, and the second is refused; SQLite runs one writer. A batch that loses is
/// re-run or left to the next round.
public struct AuditSequencer: Sendable {
    let controlPlane: ControlPlane

    /// The name of the exclusive lock that elects the sequencer.
    public static let lockName = "audit-sequencer"
    /// Records sealed per transaction.
    public static let batchSize = 500

    /// Seals every record pending now, batch by batch, unless another sequencer holds the role
    /// (then `ran == false`). Stops at the first batch for which the role is not held.
    public func sealPending() async throws(ControlPlaneError) -> AuditSealReport {
        var report = AuditSealReport(ran: false)
        var cursor: PendingCursor?
        while true {
            let position = cursor
            let batch: BatchOutcome?
            do {
                batch = try await controlPlane.store.withExclusiveLock(named: Self.lockName) {
                    try await self.sealBatch(after: position)
                }
            } catch {
                throw ControlPlaneError.wrapping(error, "sealing audit records")
            }
            guard let batch else { return report }
            report.ran = true
            report.sealed += batch.sealed
            report.refused += batch.refused
            if batch.lostRace { report.lostRaces += 1 }
            guard batch.more, !batch.lostRace else { return report }
            cursor = batch.next
        }
    }

    /// Where a round continues past refused records: the last `(time, id)` it examined.
    struct PendingCursor: Sendable, Hashable {
        var time: Int64
        var id: String
    }

    struct BatchOutcome: Sendable {
        var sealed = 0
        var refused = 0
        /// The head moved under this batch; nothing was written.
        var lostRace = false
        /// The page was full: more may be pending.
        var more = false
        var next: PendingCursor?
    }

    /// Seals one batch in one transaction, without taking the role: the transaction must be
    /// safe on its own (the race test calls this from two sealers at once).
    func sealBatch(
        after cursor: PendingCursor? = nil,
        limit: Int = AuditSequencer.batchSize
    ) async throws(ControlPlaneError) -> BatchOutcome {
        let keys = controlPlane.configuration.auditKeys
        do {
            // The store directly, not `mutate`: a seal must not wake the sequencer again.
            // Snapshot isolation: every conflict of a seal is a write to a row another seal
            // writes (the head's compare-and-set, the pending rows it deletes), and the writers
            // whose pending rows it reads are then never cancelled on its account.
            return try await controlPlane.store.transaction(isolation: .snapshot) { db in
                try await Self.seal(after: cursor, limit: limit, keys: keys, in: db)
            }
        } catch {
            throw ControlPlaneError.wrapping(error, "sealing audit records")
        }
    }

    /// The body of the seal transaction (see the type's documentation).
    private static func seal(
        after cursor: PendingCursor?,
        limit: Int,
        keys: AuditKeyring,
        in db: any SQLDatabase
    ) async throws -> BatchOutcome {
        // The head comes with the page (uncorrelated subqueries, evaluated once): one statement,
        // one snapshot, and a round with nothing pending reads nothing more.
        var sql: SQLQueryString = """
            SELECT \(unsafeRaw: AuditPendingRecord.columns), (SELECT seq FROM audit_head WHERE id = 1) AS head_seq,
                (SELECT hash FROM audit_head WHERE id = 1) AS head_hash
            FROM audit_pending
            """
        if let cursor {
            sql += " WHERE time > \(bind: cursor.time) OR (time = \(bind: cursor.time) AND id > \(bind: cursor.id))"
        }
        sql += " ORDER BY time, id LIMIT \(literal: limit)"
        let rows = try await db.raw(sql).all()
        var outcome = BatchOutcome(more: rows.count == limit)
        guard let first = rows.first else { return outcome }
        let head = try Self.head(from: first)
        var sealed: [AuditRecord] = []
        var pendingIDs: [String] = []
        var last = head
        for row in rows {
            if let time = try? row.int("time"), let id = try? row.string("id") { outcome.next = PendingCursor(time: time, id: id) }
            guard let pending = try? AuditPendingRecord(row: row), pending.isAuthentic(keys: keys),
                let record = AuditRecord(sealing: pending, after: last, keys: keys)
            else {
                outcome.refused += 1
                continue
            }
            sealed.append(record)
            pendingIDs.append(pending.id)
            last = AuditHead(sequence: record.sequence, hash: record.hash)
        }
        guard !sealed.isEmpty else { return outcome }
        guard try await moveHead(from: head, to: last, in: db) else { return BatchOutcome(lostRace: true) }
        try await insert(sealed, in: db)
        let deleted = try await db.raw("DELETE FROM audit_pending WHERE id IN (\(binds: pendingIDs)) RETURNING id").all().count
        guard deleted == pendingIDs.count else {
            throw ControlPlaneError(.database, "pending audit records were sealed by another sequencer at the same time")
        }
        outcome.sealed = sealed.count
        return outcome
    }

    /// The head read with a page of pending records (`head_seq`, `head_hash`; both NULL before
    /// the first seal: the genesis head).
    private static func head(from row: any SQLRow) throws -> AuditHead {
        guard let sequence = try row.optionalInt("head_seq") else { return .genesis }
        return AuditHead(sequence: sequence, hash: try row.string("head_hash"))
    }

    /// Whether any record is pending (with `writtenBy`, only those stamped at or before that
    /// time, in milliseconds since 1970): one read of the `(time, id)` index, without the role or
    /// a transaction. The service asks it before a round of its timer, so an idle store costs one
    /// statement a tick, and a node whose peers are writing is not drawn into rounds by records
    /// their own wake-ups are about to seal.
    public func hasPending(writtenBy cutoff: Int64? = nil) async throws(ControlPlaneError) -> Bool {
        try await controlPlane.query("looking for pending audit records") { db in
            if let cutoff {
                return try await db.raw("SELECT 1 AS pending FROM audit_pending WHERE time <= \(bind: cutoff) LIMIT 1").first() != nil
            }
            return try await db.raw("SELECT 1 AS pending FROM audit_pending LIMIT 1").first() != nil
        }
    }

    /// Compare-and-set: moves the head from `old` to `new` only if it still is `old`; `false`
    /// (nothing written) otherwise. The first head is inserted (the primary key refuses a second).
    private static func moveHead(from old: AuditHead, to new: AuditHead, in db: any SQLDatabase) async throws -> Bool {
        if old == .genesis {
            if try await db.raw("SELECT seq FROM audit_head WHERE id = 1").first() != nil { return false }
            try await db.raw("INSERT INTO audit_head (id, seq, hash) VALUES (1, \(bind: new.sequence), \(bind: new.hash))").run()
            return true
        }
        let moved = try await db.raw(
            """
            UPDATE audit_head SET seq = \(bind: new.sequence), hash = \(bind: new.hash)
            WHERE id = 1 AND seq = \(bind: old.sequence) AND hash = \(bind: old.hash) RETURNING seq
            """
        ).first()
        return moved != nil
    }

    /// One multi-row INSERT for the batch.
    private static func insert(_ records: [AuditRecord], in db: any SQLDatabase) async throws {
        var sql: SQLQueryString = """
            INSERT INTO audit_log (seq, time, actor, action, namespace, target, digests, outcome, request_id, client_address, detail,
                                   previous_hash, hash, key_id) VALUES
            """
        for (index, record) in records.enumerated() {
            sql += index == 0 ? " " : ", "
            sql += """
                (\(bind: record.sequence), \(bind: record.timeMilliseconds), \(bind: record.actor), \(bind: record.action),
                 \(bind: record.namespace), \(bind: record.target), \(bind: record.digests.joined(separator: " ")),
                 \(bind: record.outcome), \(bind: record.requestID), \(bind: record.clientAddress), \(bind: record.detail),
                 \(bind: record.previousHash), \(bind: record.hash), \(bind: record.keyID))
                """
        }
        try await db.raw(sql).run()
    }
}
