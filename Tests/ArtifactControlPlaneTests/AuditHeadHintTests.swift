import ArtifactMetadata
import ArtifactStoreTestSupport
import Foundation
import SQLKit
import Synchronization
import Testing

@testable import ArtifactControlPlane

/// ``AuditLog/headHint`` is only a hint: whatever it says, appends extend the stored chain.
/// (The hint is process-wide and other tests move it concurrently; these assert the chain, never
/// the hint.)
@Suite("Audit head hint")
struct AuditHeadHintTests {
    struct Refusal: Error {}

    /// Verifies the chain, that it covers every stored record, and that there are `expected` more
    /// than `before`.
    static func expectIntact(_ h: Harness, before: Int64, added expected: Int64) async throws {
        let report = try await h.controlPlane.audit.verifyChain()
        #expect(report.isIntact, "\(String(describing: report.firstFault))")
        let count = try await AuditLogTests.count(h)
        #expect(report.recordsChecked == count)
        #expect(count == before + expected)
    }

    /// Runs `body` with namespace `team` created, and the number of records before it was.
    static func withTeam(_ database: TestDatabase, test: String = #function, _ body: (Harness, Int64) async throws -> Void) async throws {
        try await Harness.run(database, test: test) { h in
            let before = try await AuditLogTests.count(h)
            _ = try await h.registry.createNamespace("team", context: h.context)
            try await body(h, before)
        }
    }

    @Test("an append after the hint went stale (an older head, a made-up head) still extends the chain", arguments: TestDatabase.allCases)
    func staleHint(database: TestDatabase) async throws {
        try await Self.withTeam(database) { h, before in
            let first = try #require(try await h.auditRecords(action: "namespace.create").first)
            _ = try await h.ingest(Array("one".utf8), into: "team")
            // As if another process had appended since this one last did.
            AuditLog.headHint.withLock { $0 = AuditLog.AuditHead(sequence: first.sequence, hash: first.hash) }
            _ = try await h.ingest(Array("two".utf8), into: "team")
            AuditLog.headHint.withLock { $0 = AuditLog.AuditHead(sequence: 41, hash: String(repeating: "f", count: 64)) }
            _ = try await h.ingest(Array("three".utf8), into: "team")
            try await Self.expectIntact(h, before: before, added: 4)
        }
    }

    @Test("a transaction that appended and then rolled back leaves the chain as it was; the next append follows it", arguments: TestDatabase.allCases)
    func rolledBackAppend(database: TestDatabase) async throws {
        try await Self.withTeam(database) { h, before in
            await #expect(throws: ControlPlaneError.self) {
                try await h.controlPlane.mutate("appending and refusing") { db in
                    try await AuditLog.append(
                        AuditEvent(action: "test.refused", namespace: "team", target: "x"), context: h.context, at: 1, in: db)
                    throw Refusal()
                }
            }
            #expect(try await h.auditRecords(action: "test.refused").isEmpty)
            _ = try await h.ingest(Array("one".utf8), into: "team")
            try await Self.expectIntact(h, before: before, added: 2)
        }
    }

    @Test("the first append of a new database writes the head row whatever the hint says", arguments: TestDatabase.allCases)
    func firstAppend(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            let before = try await AuditLogTests.count(h)
            try #require(before == 0)
            AuditLog.headHint.withLock { $0 = AuditLog.AuditHead(sequence: 0, hash: AuditRecord.genesisHash) }
            _ = try await h.registry.createNamespace("team", context: h.context)
            try await Self.expectIntact(h, before: 0, added: 1)
        }
    }
}
