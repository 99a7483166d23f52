public import ArtifactStoreAPI
import SQLKit

extension AuditLog {
    /// Re-computes every sealed record's keyed hash and link, page by page, compares the end with
    /// the recorded head, then checks the writer's MAC of every pending record. Names the first
    /// bad record; never fails because of what a record contains (a column that does not decode
    /// is the fault `malformed`).
    ///
    /// Records without a key id (sealed before schema version 5) are checked by their plain
    /// SHA-256 and may only come before the first keyed record.
    public func verifyChain(pageSize: Int = 1000) async throws(ControlPlaneError) -> AuditChainReport {
        await sealIfSequencer()
        let keys = controlPlane.configuration.auditKeys
        var walk = ChainWalk()
        while true {
            let cursor = walk.expectedSequence - 1
            let batch = try await controlPlane.query("verifying the audit chain") { db in
                try await Self.fetch(AuditFilter(), after: cursor, limit: pageSize, in: db)
            }
            for row in batch {
                if let fault = walk.check(row, keys: keys) {
                    return AuditChainReport(recordsChecked: walk.checked, recordsPending: try await pendingCount(), firstFault: fault)
                }
            }
            if batch.count < pageSize { break }
        }
        let fault = try await checkHead(walk)
        let pending = try await pendingCount()
        if let fault { return AuditChainReport(recordsChecked: walk.checked, recordsPending: pending, firstFault: fault) }
        let forged = try await firstForgedPending(keys: keys, pageSize: pageSize)
        return AuditChainReport(recordsChecked: walk.checked, recordsPending: pending, firstFault: forged)
    }

    /// The state of a walk along the chain.
    struct ChainWalk {
        var expectedSequence: Int64 = 1
        var previousHash = AuditRecord.genesisHash
        var checked: Int64 = 0
        /// Whether a keyed record was seen: unkeyed ones may not follow.
        var keyed = false

        /// Checks the next row; the fault it shows, if any.
        mutating func check(_ row: AuditLog.FetchedRow, keys: AuditKeyring) -> AuditChainFault? {
            checked += 1
            let record: AuditRecord
            switch row {
            case .malformed(let sequence, let problem):
                return AuditChainFault(sequence: sequence ?? expectedSequence, reason: .malformed, message: "its \(problem)")
            case .record(let read):
                record = read
            }
            if record.sequence != expectedSequence {
                return AuditChainFault(
                    sequence: expectedSequence,
                    reason: .recordMissing,
                    message: "record \(expectedSequence) is missing; the next stored record is \(record.sequence)"
                )
            }
            if let keyID = record.keyID {
                keyed = true
                guard let expected = record.computedHash(keys: keys) else {
                    return AuditChainFault(
                        sequence: record.sequence,
                        reason: .keyUnknown,
                        message: "it was sealed with audit key \"\(keyID)\", which is not in this server's key file"
                    )
                }
                if expected != record.hash {
                    return AuditChainFault(
                        sequence: record.sequence,
                        reason: .contentsAltered,
                        message: "its fields do not authenticate to its stored hash \(record.hash) under audit key \"\(keyID)\""
                    )
                }
            } else {
                if keyed {
                    return AuditChainFault(
                        sequence: record.sequence,
                        reason: .contentsAltered,
                        message: "it has no audit key id but follows keyed records (only records sealed before schema 5 may lack one)"
                    )
                }
                if record.computedHash != record.hash {
                    return AuditChainFault(
                        sequence: record.sequence,
                        reason: .contentsAltered,
                        message: "its fields hash to \(record.computedHash), not to the stored \(record.hash)"
                    )
                }
            }
            if record.previousHash != previousHash {
                return AuditChainFault(
                    sequence: record.sequence,
                    reason: .chainBroken,
                    message: "its previous hash \(record.previousHash) is not the hash \(previousHash) of record \(record.sequence - 1)"
                )
            }
            previousHash = record.hash
            expectedSequence += 1
            return nil
        }
    }

    /// Compares the end of the walk with `audit_head`.
    private func checkHead(_ walk: ChainWalk) async throws(ControlPlaneError) -> AuditChainFault? {
        let lastSequence = walk.expectedSequence - 1
        let head = try await controlPlane.query("reading the audit head") { db -> AuditHead? in
            // A head row whose columns do not decode is reported, not thrown (`nil`).
            guard let row = try await db.raw("SELECT seq, hash FROM audit_head WHERE id = 1").first() else { return .genesis }
            guard let sequence = try? row.int("seq"), let hash = try? row.string("hash") else { return nil }
            return AuditHead(sequence: sequence, hash: hash)
        }
        guard let head else {
            return AuditChainFault(
                sequence: lastSequence + 1,
                reason: .headMismatch,
                message: "the audit head row cannot be read as its types (edited in the database)"
            )
        }
        if head.sequence != lastSequence || head.hash != walk.previousHash {
            return AuditChainFault(
                sequence: min(head.sequence, lastSequence) + 1,
                reason: .headMismatch,
                message: "the log ends at record \(lastSequence) but the head names record \(head.sequence)"
            )
        }
        return nil
    }

    /// One pending row as verification sees it.
    private typealias PendingCheck = (time: Int64?, id: String?, authentic: Bool)

    /// How many records are written but not yet sealed.
    func pendingCount() async throws(ControlPlaneError) -> Int64 {
        try await controlPlane.query("counting pending audit records") { db in
            try await db.raw("SELECT COUNT(*) AS n FROM audit_pending").first()?.decode(column: "n", as: Int64.self) ?? 0
        }
    }

    /// The first pending record (in seal order) whose writer's MAC does not match or that does not
    /// decode.
    private func firstForgedPending(keys: AuditKeyring, pageSize: Int) async throws(ControlPlaneError) -> AuditChainFault? {
        var after: (Int64, String)? = nil
        while true {
            let cursor = after
            let page = try await controlPlane.query("checking pending audit records") { db -> [PendingCheck] in
                var sql: SQLQueryString = "SELECT \(unsafeRaw: AuditPendingRecord.columns) FROM audit_pending"
                if let (time, id) = cursor { sql += " WHERE time > \(bind: time) OR (time = \(bind: time) AND id > \(bind: id))" }
                sql += " ORDER BY time, id LIMIT \(literal: pageSize)"
                return try await db.raw(sql).all().map { row in
                    let authentic = (try? AuditPendingRecord(row: row))?.isAuthentic(keys: keys) ?? false
                    return (try? row.int("time"), try? row.string("id"), authentic)
                }
            }
            if let bad = page.first(where: { !$0.authentic }) {
                return AuditChainFault(
                    sequence: 0,
                    reason: .pendingForged,
                    message: "a pending record does not match its writer's MAC (edited or forged in the database); it will not be sealed",
                    pendingID: bad.id ?? "?"
                )
            }
            guard page.count == pageSize, let last = page.last, let time = last.time, let id = last.id else { return nil }
            after = (time, id)
        }
    }
}
