public import ArtifactStoreAPI
import Foundation
import Logging
package import SQLKit
import Synchronization

/// The append-only, keyed hash chain of every mutation and failed authorisation.
///
/// Exists so operators can prove who did what (DESIGN.md §5). Records are written by the other
/// parts inside the transaction of the change they describe (``append(_:context:at:in:)``), so a
/// change and its record commit or vanish together. They are written pending (`audit_pending`,
/// a random key, no shared row), and the one sequencer (``AuditSequencer``) seals them into the
/// chain shortly after commit (docs/control-plane.md, "Audit log"). ``verifyChain()`` finds
/// tampering done directly in the database; ``records(_:page:)`` and
/// ``exportJSONLines(_:pageSize:write:)`` show sealed records only. Each of the three first runs
/// a seal round when this process can take the sequencer role, so what was acknowledged before
/// the call is shown; when another node holds the role they show what it has sealed.
public struct AuditLog: Sendable {
    let controlPlane: ControlPlane

    /// The writer of the running transaction (the keys its pending records are MAC'd with, and
    /// whether it wrote one): set by the control plane around every transaction body
    /// (``ControlPlane/transaction(priority:_:)``), so the parts need not pass keys to every
    /// ``append(_:context:at:in:)``.
    @TaskLocal static var writer: AuditWriter?

    /// Writes `event` as a pending record in the transaction `db`. Internal: callers are the
    /// other parts. One insert under a random key: concurrent writers share no row.
    ///
    /// - Throws: when called outside a control-plane transaction (no ``writerKeys``): a record
    ///   without its writer's MAC would never be sealed, so the change is refused instead.
    package static func append(_ event: AuditEvent, context: RequestContext, at time: Int64, in db: any SQLDatabase) async throws {
        guard let writer else {
            throw ControlPlaneError(
                .internalError,
                "recording \(event.action): an audit record was written outside a control-plane transaction"
            )
        }
        try await AuditPendingRecord(event, context: context, at: time, keys: writer.keys).insert(in: db)
        writer.recordAppend()
        // The change's webhook deliveries commit (or vanish) with it (docs/webhooks.md).
        try await WebhookOutbox.enqueue(event, context: context, at: time, in: db)
        // So does the change's push replication (docs/replication.md).
        try await ReplicationQueue.enqueue(event, at: time, in: db)
    }

    /// Appends a record in a transaction of its own (failed authorisations, which change nothing else).
    func appendAlone(_ event: AuditEvent, context: RequestContext) async throws(ControlPlaneError) {
        let time = controlPlane.nowMilliseconds()
        try await controlPlane.mutate("recording \(event.action)") { db in
            try await Self.append(event, context: context, at: time, in: db)
        }
    }

    /// One page of sealed records matching `filter`, oldest first.
    ///
    /// - Throws: `database` naming the record when a stored record is malformed (edited in the
    ///   database; ``verifyChain(pageSize:)`` reports it as a fault).
    public func records(
        _ filter: AuditFilter = AuditFilter(),
        page: PageRequest = .first()
    ) async throws(ControlPlaneError) -> Page<AuditRecord> {
        let after =
            try page.validated(arity: 1).map { key throws(ControlPlaneError) -> Int64 in
                guard let value = Int64(key[0]) else {
                    throw ControlPlaneError(.invalidPageRequest, "audit cursor is not a sequence number")
                }
                return value
            } ?? 0
        let limit = page.limit
        await sealIfSequencer()
        let fetched = try await controlPlane.query("listing audit records") { db in
            try await Self.fetch(filter, after: after, limit: limit + 1, in: db)
        }
        var records: [AuditRecord] = []
        for row in fetched {
            switch row {
            case .record(let record): records.append(record)
            case .malformed(let sequence, let problem):
                throw ControlPlaneError(.database, "audit record \(sequence.map(String.init) ?? "?") is malformed: \(problem)")
            }
        }
        return Page.from(fetched: records, limit: limit) { [String($0.sequence)] }
    }

    /// Writes every sealed record matching `filter` as JSON Lines (one compact JSON object and
    /// `\n` per record, oldest first), reading `pageSize` records at a time; returns how many.
    ///
    /// A malformed stored record ends the export with one error line,
    /// `{"error":{"code":"auditRecordMalformed","message":…,"sequence":N}}`, instead of the
    /// record (``errorLine(code:message:sequence:)``); the records before it were written.
    public func exportJSONLines(
        _ filter: AuditFilter = AuditFilter(),
        pageSize: Int = 1000,
        write: (String) async throws -> Void
    ) async throws(ControlPlaneError) -> Int {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        await sealIfSequencer()
        var after: Int64 = 0
        var written = 0
        while true {
            let cursor = after
            let batch = try await controlPlane.query("exporting audit records") { db in
                try await Self.fetch(filter, after: cursor, limit: pageSize, in: db)
            }
            for row in batch {
                do {
                    switch row {
                    case .record(let record):
                        try await write(String(decoding: try encoder.encode(record), as: UTF8.self) + "\n")
                        after = record.sequence
                    case .malformed(let sequence, let problem):
                        let label = sequence.map { "audit record \($0)" } ?? "an audit record"
                        let message = "\(label) is malformed: \(problem)"
                        try await write(Self.errorLine(code: .auditRecordMalformed, message: message, sequence: sequence))
                        return written
                    }
                } catch {
                    throw ControlPlaneError(
                        .internalError,
                        "exporting audit records failed after \(written) records",
                        underlying: error
                    )
                }
                written += 1
            }
            guard batch.count == pageSize else { return written }
        }
    }

    /// The line that ends a JSON Lines export early: `{"error":{"code":…,"message":…}}` (with
    /// `sequence` when the failure is about one record) and `\n`. Never a record: a record has
    /// no `error` key.
    public static func errorLine(code: ControlPlaneErrorCode, message: String, sequence: Int64? = nil) -> String {
        struct Line: Encodable {
            struct Failure: Encodable {
                var code: String
                var message: String
                var sequence: Int64?
            }
            var error: Failure
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(Line(error: .init(code: code.rawValue, message: message, sequence: sequence)))) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// Runs a seal round if this process can take the sequencer role now (never waits for it),
    /// so a read shows what was acknowledged before it. A failure is logged: the read goes on
    /// with what is sealed.
    func sealIfSequencer() async {
        do {
            _ = try await controlPlane.auditSequencer.sealPending()
        } catch {
            controlPlane.logger.warning("sealing pending audit records before a read failed", metadata: ["error": "\(error)"])
        }
    }

    /// One stored row: a record, or what is wrong with it (its sequence number when that much
    /// could be read).
    enum FetchedRow: Sendable {
        case record(AuditRecord)
        case malformed(sequence: Int64?, problem: String)
    }

    static func fetch(_ filter: AuditFilter, after: Int64, limit: Int, in db: any SQLDatabase) async throws -> [FetchedRow] {
        var sql: SQLQueryString = """
            SELECT seq, time, actor, action, namespace, target, digests, outcome, request_id, client_address, detail,
                   previous_hash, hash, key_id
            FROM audit_log WHERE seq > \(bind: after)
            """
        if let since = filter.since { sql += " AND time >= \(bind: Int64((since.timeIntervalSince1970 * 1000).rounded(.down)))" }
        if let until = filter.until { sql += " AND time < \(bind: Int64((until.timeIntervalSince1970 * 1000).rounded(.down)))" }
        if let actor = filter.actor { sql += " AND actor = \(bind: actor)" }
        if let namespace = filter.namespace { sql += " AND namespace = \(bind: namespace)" }
        if let action = filter.action { sql += " AND action = \(bind: action)" }
        sql += " ORDER BY seq LIMIT \(literal: limit)"
        return try await db.raw(sql).all().map(Self.decode)
    }

    /// Decodes one `audit_log` row column by column, naming the first column that does not
    /// decode instead of failing the whole read.
    static func decode(_ row: any SQLRow) -> FetchedRow {
        let sequence = try? row.int("seq")
        var column = "seq"
        do {
            let seq = try row.int("seq")
            column = "time"
            let time = try row.int("time")
            column = "digests"
            let digests = try row.string("digests")
            column = "actor, action, namespace, target, outcome, request_id, client_address or detail"
            let record = AuditRecord(
                sequence: seq,
                timeMilliseconds: time,
                actor: try row.string("actor"),
                action: try row.string("action"),
                namespace: try row.optionalString("namespace"),
                target: try row.string("target"),
                digests: digests.isEmpty ? [] : digests.split(separator: " ").map(String.init),
                outcome: try row.string("outcome"),
                requestID: try row.optionalString("request_id"),
                clientAddress: try row.optionalString("client_address"),
                detail: try row.optionalString("detail"),
                previousHash: "",
                hash: ""
            )
            column = "previous_hash, hash or key_id"
            var sealed = record
            sealed.previousHash = try row.string("previous_hash")
            sealed.hash = try row.string("hash")
            sealed.keyID = try row.optionalString("key_id")
            return .record(sealed)
        } catch {
            return .malformed(sequence: sequence, problem: "column \(column) cannot be read as its type")
        }
    }
}
