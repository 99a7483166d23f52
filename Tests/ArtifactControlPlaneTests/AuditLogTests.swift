import ArtifactControlPlane
import ArtifactMetadata
import ArtifactStoreAPI
import ArtifactStoreTestSupport
import Foundation
import SQLKit
import Synchronization
import Testing

@Suite("Audit log", .timeLimit(.minutes(10)))
struct AuditLogTests {
    /// Ten or so records: namespace, blobs, versions, a tag, a hold, a policy.
    static func populate(_ h: Harness) async throws {
        _ = try await h.registry.createNamespace("team", context: h.context)
        try await h.push("team", "app", "1", files: ["a": Array("one".utf8)])
        try await h.push("team", "app", "2", files: ["a": Array("two".utf8)])
        _ = try await h.registry.setTag(namespace: "team", artifact: "app", tag: "latest", version: "2", context: h.context)
        _ = try await h.controlPlane.retention.placeHold(
            namespace: "team",
            artifact: "app",
            version: "1",
            reason: "case 42",
            context: h.context
        )
        try await h.controlPlane.retention.setPolicy(RetentionPolicy(namespace: "team", name: "keep", keepLast: 5), context: h.context)
    }

    /// Sealed records, after sealing what is pending.
    static func count(_ h: Harness) async throws -> Int64 {
        _ = try await h.controlPlane.auditSequencer.sealPending()
        return try await h.controlPlane.store.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM audit_log").first()!.decode(column: "n", as: Int64.self)
        }
    }

    @Test("an untouched chain verifies, and every record links to the one before", arguments: TestDatabase.allCases)
    func intact(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            try await Self.populate(h)
            let report = try await h.controlPlane.audit.verifyChain(pageSize: 3)
            #expect(report.isIntact, "\(String(describing: report.firstFault))")
            #expect(report.recordsChecked == (try await Self.count(h)))
            let records = try await h.controlPlane.audit.records(page: .first(100)).items
            #expect(records.map(\.sequence) == Array(1...Int64(records.count)))
            #expect(records.first?.previousHash == AuditRecord.genesisHash)
            for (earlier, later) in zip(records, records.dropFirst()) { #expect(later.previousHash == earlier.hash) }
            #expect(
                records.allSatisfy { $0.hash == $0.computedHash(keys: .processLocal) && $0.keyID == AuditKeyring.processLocal.activeID }
            )
            #expect(
                Set(records.map(\.action)).isSuperset(of: [
                    "namespace.create", "blob.link", "version.commit", "tag.set", "hold.place", "policy.set",
                ])
            )
        }
    }

    enum Tampering: String, CaseIterable, CustomStringConvertible {
        case edit, delete, deleteLast, insert, insertForged, reorder
        var description: String { rawValue }
    }

    @Test(
        "tampering done directly in the database is detected and the first bad record named",
        arguments: TestDatabase.allCases,
        Tampering.allCases
    )
    func tampering(database: TestDatabase, tampering: Tampering) async throws {
        try await Harness.run(database) { h in
            try await Self.populate(h)
            let total = try await Self.count(h)
            let records = try await h.controlPlane.audit.records(page: .first(100)).items
            let expected: (Int64, AuditChainFault.Reason)
            switch tampering {
            case .edit:
                try await h.execute("UPDATE audit_log SET actor = 'user:mallory' WHERE seq = 4")
                expected = (4, .contentsAltered)
            case .delete:
                try await h.execute("DELETE FROM audit_log WHERE seq = 4")
                expected = (4, .recordMissing)
            case .deleteLast:
                try await h.execute("DELETE FROM audit_log WHERE seq = \(bind: total)")
                expected = (total, .headMismatch)
            case .insert, .insertForged:
                // Make room at 4 and put a record there.
                try await h.execute("UPDATE audit_log SET seq = seq + 1000 WHERE seq >= 4")
                try await h.execute("UPDATE audit_log SET seq = seq - 999 WHERE seq >= 1000")
                var forged = records[3]
                forged.actor = "user:mallory"
                forged.action = "version.delete"
                forged.previousHash = records[2].hash
                // The forger of .insertForged even holds the key.
                forged.hash = tampering == .insertForged ? forged.computedHash(keys: .processLocal)! : String(repeating: "f", count: 64)
                try await h.execute(
                    """
                    INSERT INTO audit_log (seq, time, actor, action, namespace, target, digests, outcome, request_id, client_address, detail,
                                           previous_hash, hash, key_id)
                    VALUES (4, \(bind: forged.timeMilliseconds), \(bind: forged.actor), \(bind: forged.action), \(bind: forged.namespace), \(bind: forged.target),
                            \(bind: forged.digests.joined(separator: " ")), \(bind: forged.outcome), \(bind: forged.requestID), \(bind: forged.clientAddress),
                            \(bind: forged.detail), \(bind: forged.previousHash), \(bind: forged.hash), \(bind: forged.keyID))
                    """
                )
                // A forger who recomputes the inserted record's hash is caught at the next one,
                // whose sequence number (part of what its hash covers) had to change.
                expected = tampering == .insertForged ? (5, .contentsAltered) : (4, .contentsAltered)
            case .reorder:
                try await h.execute("UPDATE audit_log SET seq = -1 WHERE seq = 4")
                try await h.execute("UPDATE audit_log SET seq = 4 WHERE seq = 5")
                try await h.execute("UPDATE audit_log SET seq = 5 WHERE seq = -1")
                expected = (4, .contentsAltered)
            }
            let report = try await h.controlPlane.audit.verifyChain(pageSize: 3)
            let fault = try #require(report.firstFault)
            #expect(fault.sequence == expected.0, "\(fault)")
            #expect(fault.reason == expected.1, "\(fault)")
        }
    }

    @Test("a record whose stored hash was recomputed still breaks the link of the next", arguments: TestDatabase.allCases)
    func editWithRecomputedHash(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            try await Self.populate(h)
            var record = try await h.controlPlane.audit.records(page: .first(100)).items[5]
            record.actor = "user:mallory"
            record.hash = record.computedHash(keys: .processLocal)!
            // Only someone holding the key can do this; even then the next record's link breaks.
            try await h.execute("UPDATE audit_log SET actor = 'user:mallory', hash = \(bind: record.hash) WHERE seq = 6")
            let fault = try #require(try await h.controlPlane.audit.verifyChain().firstFault)
            #expect(fault.sequence == 7)
            #expect(fault.reason == .chainBroken)
        }
    }

    @Test("without the key, a rebuilt chain fails at its first rebuilt record, keyed or made unkeyed", arguments: TestDatabase.allCases)
    func rebuildWithoutKey(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            try await Self.populate(h)
            let records = try await h.controlPlane.audit.records(page: .first(100)).items
            // Rebuild from record 6 on as a plain SHA-256 chain (what a database writer can compute).
            var previous = records[4].hash
            for var record in records[5...] {
                record.keyID = nil
                record.previousHash = previous
                record.hash = record.computedHash
                previous = record.hash
                try await h.execute(
                    """
                    UPDATE audit_log SET key_id = NULL, previous_hash = \(bind: record.previousHash), hash = \(bind: record.hash)
                    WHERE seq = \(bind: record.sequence)
                    """
                )
            }
            try await h.execute("UPDATE audit_head SET hash = \(bind: previous) WHERE id = 1")
            var fault = try #require(try await h.controlPlane.audit.verifyChain().firstFault)
            #expect(fault.sequence == 6 && fault.reason == .contentsAltered, "\(fault)")
            // A key id the server does not hold.
            try await h.execute("UPDATE audit_log SET key_id = 'k-forged' WHERE seq = 6")
            fault = try #require(try await h.controlPlane.audit.verifyChain().firstFault)
            #expect(fault.sequence == 6 && fault.reason == .keyUnknown, "\(fault)")
        }
    }

    @Test("export writes JSON Lines filtered by time, actor, namespace and action", arguments: TestDatabase.allCases)
    func export(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            let bob = RequestContext(actor: "user:bob", requestID: "req-b", clientAddress: "198.51.100.1")
            _ = try await h.registry.createNamespace("team", context: h.context)
            _ = try await h.registry.createNamespace("other", context: bob)
            let start = h.time
            h.advance(by: 60)
            let middle = h.time
            try await h.push("team", "app", "1", files: ["a": Array("x".utf8)])
            _ = try await h.registry.setTag(namespace: "team", artifact: "app", tag: "t", version: "1", context: bob)
            h.advance(by: 60)
            try await h.push("other", "app", "1", files: ["a": Array("y".utf8)])

            func export(_ filter: AuditFilter) async throws -> [AuditRecord] {
                let lines = Mutex<[String]>([])
                let written = try await h.controlPlane.audit.exportJSONLines(filter, pageSize: 2) { line in
                    lines.withLock { $0.append(line) }
                }
                let collected = lines.withLock { $0 }
                #expect(written == collected.count)
                #expect(collected.allSatisfy { $0.hasSuffix("\n") && !$0.dropLast().contains("\n") })
                return try collected.map { try JSONDecoder().decode(AuditRecord.self, from: Data($0.utf8)) }
            }
            let all = try await export(AuditFilter())
            #expect(all.count == Int(try await Self.count(h)))
            #expect(all.allSatisfy { $0.hash == $0.computedHash(keys: .processLocal) })
            #expect(try await export(AuditFilter(actor: "user:bob")).map(\.action) == ["namespace.create", "tag.set"])
            #expect(try await export(AuditFilter(namespace: "other")).allSatisfy { $0.namespace == "other" })
            #expect(try await export(AuditFilter(namespace: "other")).count == 3)
            #expect(try await export(AuditFilter(action: "version.commit")).map(\.target) == ["team/app@1", "other/app@1"])
            #expect(try await export(AuditFilter(until: middle)).map(\.action) == ["namespace.create", "namespace.create"])
            #expect(try await export(AuditFilter(since: middle, until: middle.addingTimeInterval(60))).count == 3)
            #expect(try await export(AuditFilter(since: start, actor: "user:alice", namespace: "team", action: "blob.link")).count == 1)
            #expect(try await export(AuditFilter(actor: "nobody")).isEmpty)
        }
    }
}
