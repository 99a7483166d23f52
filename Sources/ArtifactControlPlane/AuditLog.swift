import Foundation
import SQLKit
import Synchronization

/// The append-only, hash-chained record of every mutation and failed authorisation.
///
/// Exists so operators can prove who did what (DESIGN.md §5). Records are appended by the other
/// parts inside the transaction of the change they describe (``append(_:context:at:in:)``), so a
/// change and its record commit or vanish together. ``verifyChain()`` finds tampering done
/// directly in the database; ``exportJSONLines(_:pageSize:write:)`` streams records out.
///
/// The chain head (last sequence and hash) is kept in `audit_head`, updated in the same
/// transaction; every append therefore writes that one row, which on PostgreSQL serialises
/// concurrent appends (one transaction waits or retries), and lets verification notice records
/// cut off the end.
public struct AuditLog: Sendable {
    let controlPlane: ControlPlane

    /// The chain head as this process last wrote it: a hint that spares an append the read of
    /// `audit_head`. Never trusted: the append moves the head only `WHERE` it still is this
    /// (``append(_:context:at:in:)``), so a stale hint (another process or server appended, the
    /// transaction that wrote it was rolled back, another database) changes nothing and the
    /// head is read instead.
    static let headHint = Mutex<AuditHead?>(nil)

    /// A chain head: the last record's sequence number and hash.
    struct AuditHead: Sendable, Equatable {
        let sequence: Int64
        let hash: String
    }

    /// Appends `event` in the transaction `db`. Internal: callers are the other parts.
    ///
    /// Two statements when ``headHint`` is right (the usual case: this process wrote the last
    /// record): the head moves from the hint to the new record, then the record is inserted.
    /// Otherwise the head is read first, as it always was.
    static func append(_ event: AuditEvent, context: RequestContext, at time: Int64, in db: any SQLDatabase) async throws {
        if let hint = headHint.withLock({ $0 }) {
            let record = AuditRecord(event, context: context, at: time, after: hint)
            let moved = try await db.raw(
                """
                UPDATE audit_head SET seq = \(bind: record.sequence), hash = \(bind: record.hash)
                WHERE id = 1 AND seq = \(bind: hint.sequence) AND hash = \(bind: hint.hash) RETURNING seq
                """
            ).first()
            if moved != nil {
                try await insert(record, in: db)
                headHint.withLock { $0 = AuditHead(sequence: record.sequence, hash: record.hash) }
                return
            }
        }
        let row = try await db.raw("SELECT seq, hash FROM audit_head WHERE id = 1").first()
        let head = try row.map { AuditHead(sequence: try $0.int("seq"), hash: try $0.string("hash")) }
        let record = AuditRecord(event, context: context, at: time, after: head ?? AuditHead(sequence: 0, hash: AuditRecord.genesisHash))
        try await insert(record, in: db)
        if head == nil {
            try await db.raw("INSERT INTO audit_head (id, seq, hash) VALUES (1, \(bind: record.sequence), \(bind: record.hash))").run()
        } else {
            try await db.raw("UPDATE audit_head SET seq = \(bind: record.sequence), hash = \(bind: record.hash) WHERE id = 1").run()
        }
        headHint.withLock { $0 = AuditHead(sequence: record.sequence, hash: record.hash) }
    }

    private static func insert(_ record: AuditRecord, in db: any SQLDatabase) async throws {
        try await db.raw(
            """
            INSERT INTO audit_log (seq, time, actor, action, namespace, target, digests, outcome, request_id, client_address, detail, previous_hash, hash)
            VALUES (\(bind: record.sequence), \(bind: record.timeMilliseconds), \(bind: record.actor), \(bind: record.action), \(bind: record.namespace),
                    \(bind: record.target), \(bind: record.digests.joined(separator: " ")), \(bind: record.outcome), \(bind: record.requestID),
                    \(bind: record.clientAddress), \(bind: record.detail), \(bind: record.previousHash), \(bind: record.hash))
            """
        ).run()
    }

    /// Appends a record in a transaction of its own (failed authorisations, which change nothing else).
    func appendAlone(_ event: AuditEvent, context: RequestContext) async throws(ControlPlaneError) {
        let time = controlPlane.nowMilliseconds()
        try await controlPlane.mutate("recording \(event.action)") { db in
            try await Self.append(event, context: context, at: time, in: db)
        }
    }

    /// One page of records matching `filter`, oldest first.
    public func records(_ filter: AuditFilter = AuditFilter(), page: PageRequest = .first()) async throws(ControlPlaneError) -> Page<AuditRecord> {
        let after = try page.validated(arity: 1).map { key throws(ControlPlaneError) -> Int64 in
            guard let value = Int64(key[0]) else { throw ControlPlaneError(.invalidPageRequest, "audit cursor is not a sequence number") }
            return value
        } ?? 0
        let limit = page.limit
        let fetched = try await controlPlane.query("listing audit records") { db in
            try await Self.fetch(filter, after: after, limit: limit + 1, in: db)
        }
        return Page.from(fetched: fetched, limit: limit) { [String($0.sequence)] }
    }

    /// Writes every record matching `filter` as JSON Lines (one compact JSON object and `\n` per
    /// record, oldest first), reading `pageSize` records at a time.
    public func exportJSONLines(
        _ filter: AuditFilter = AuditFilter(), pageSize: Int = 1000, write: (String) async throws -> Void
    ) async throws(ControlPlaneError) -> Int {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var after: Int64 = 0
        var written = 0
        while true {
            let cursor = after
            let batch = try await controlPlane.query("exporting audit records") { db in
                try await Self.fetch(filter, after: cursor, limit: pageSize, in: db)
            }
            for record in batch {
                do {
                    let line = String(decoding: try encoder.encode(record), as: UTF8.self) + "\n"
                    try await write(line)
                } catch {
                    throw ControlPlaneError(.database, "exporting audit record \(record.sequence) failed: \(error)", underlying: error)
                }
                written += 1
            }
            guard batch.count == pageSize, let last = batch.last else { return written }
            after = last.sequence
        }
    }

    /// Re-computes every record's hash and link, page by page, and compares the end with the
    /// recorded head. Names the first bad record.
    public func verifyChain(pageSize: Int = 1000) async throws(ControlPlaneError) -> AuditChainReport {
        var expectedSequence: Int64 = 1
        var previousHash = AuditRecord.genesisHash
        var checked: Int64 = 0
        while true {
            let cursor = expectedSequence - 1
            let batch = try await controlPlane.query("verifying the audit chain") { db in
                try await Self.fetch(AuditFilter(), after: cursor, limit: pageSize, in: db)
            }
            for record in batch {
                checked += 1
                if record.sequence != expectedSequence {
                    return AuditChainReport(
                        recordsChecked: checked,
                        firstFault: AuditChainFault(
                            sequence: expectedSequence, reason: .recordMissing,
                            message: "record \(expectedSequence) is missing; the next stored record is \(record.sequence)"))
                }
                if record.computedHash != record.hash {
                    return AuditChainReport(
                        recordsChecked: checked,
                        firstFault: AuditChainFault(
                            sequence: record.sequence, reason: .contentsAltered,
                            message: "its fields hash to \(record.computedHash), not to the stored \(record.hash)"))
                }
                if record.previousHash != previousHash {
                    return AuditChainReport(
                        recordsChecked: checked,
                        firstFault: AuditChainFault(
                            sequence: record.sequence, reason: .chainBroken,
                            message: "its previous hash \(record.previousHash) is not the hash \(previousHash) of record \(record.sequence - 1)"))
                }
                previousHash = record.hash
                expectedSequence += 1
            }
            if batch.count < pageSize { break }
        }
        let lastSequence = expectedSequence - 1
        let finalHash = previousHash
        let head = try await controlPlane.query("reading the audit head") { db -> (Int64, String)? in
            guard let row = try await db.raw("SELECT seq, hash FROM audit_head WHERE id = 1").first() else { return nil }
            return (try row.int("seq"), try row.string("hash"))
        }
        let headSequence = head?.0 ?? 0
        let headHash = head?.1 ?? AuditRecord.genesisHash
        if headSequence != lastSequence || headHash != finalHash {
            return AuditChainReport(
                recordsChecked: checked,
                firstFault: AuditChainFault(
                    sequence: min(headSequence, lastSequence) + 1, reason: .headMismatch,
                    message: "the log ends at record \(lastSequence) but the head names record \(headSequence)"))
        }
        return AuditChainReport(recordsChecked: checked, firstFault: nil)
    }

    static func fetch(_ filter: AuditFilter, after: Int64, limit: Int, in db: any SQLDatabase) async throws -> [AuditRecord] {
        var sql: SQLQueryString =
            "SELECT seq, time, actor, action, namespace, target, digests, outcome, request_id, client_address, detail, previous_hash, hash FROM audit_log WHERE seq > \(bind: after)"
        if let since = filter.since { sql += " AND time >= \(bind: Int64((since.timeIntervalSince1970 * 1000).rounded(.down)))" }
        if let until = filter.until { sql += " AND time < \(bind: Int64((until.timeIntervalSince1970 * 1000).rounded(.down)))" }
        if let actor = filter.actor { sql += " AND actor = \(bind: actor)" }
        if let namespace = filter.namespace { sql += " AND namespace = \(bind: namespace)" }
        if let action = filter.action { sql += " AND action = \(bind: action)" }
        sql += " ORDER BY seq LIMIT \(literal: limit)"
        return try await db.raw(sql).all().map { row in
            let digests = try row.string("digests")
            return AuditRecord(
                sequence: try row.int("seq"), timeMilliseconds: try row.int("time"), actor: try row.string("actor"),
                action: try row.string("action"), namespace: try row.optionalString("namespace"), target: try row.string("target"),
                digests: digests.isEmpty ? [] : digests.split(separator: " ").map(String.init), outcome: try row.string("outcome"),
                requestID: try row.optionalString("request_id"), clientAddress: try row.optionalString("client_address"),
                detail: try row.optionalString("detail"), previousHash: try row.string("previous_hash"), hash: try row.string("hash"))
        }
    }
}
