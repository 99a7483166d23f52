import ArtifactControlPlane
import ArtifactMetadata
import ArtifactStoreTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing

/// `/v1/audit*` on damaged records: a report, never a 500 or a broken stream (issue 18).
@Suite("Audit API", .timeLimit(.minutes(10)))
struct AuditAPITests {
    /// Three namespaces (three records), all sealed, then record 2's time edited in SQL.
    static func damage(_ harness: ServerHarness, _ edit: SQLQueryString) async throws {
        for name in ["one", "two", "three"] {
            _ = try await harness.controlPlane.registry.createNamespace(name, context: RequestContext(actor: "t"))
        }
        _ = try await harness.controlPlane.auditSequencer.sealPending()
        try await harness.controlPlane.store.transaction { db in try await db.raw(edit).run() }
    }

    @Test(
        "a malformed record is the first fault of /v1/audit/verify (200), and ends the export with an error line",
        arguments: TestDatabase.allCases
    )
    func malformed(database: TestDatabase) async throws {
        try await ServerHarness.run(database) { harness in
            // SQLite keeps a real in the BIGINT column (malformed); PostgreSQL rounds it (an edit).
            try await Self.damage(harness, "UPDATE audit_log SET time = time + 0.5 WHERE seq = 2")
            let auth = TestRequest.bearer(harness.adminToken)
            try await harness.withClient(.live) { client in
                try await client.execute(uri: "/v1/audit/verify", method: .get, headers: auth) { response in
                    #expect(response.status == .ok)
                    let json = response.json()
                    #expect(json["intact"] as? Bool == false)
                    #expect(json["recordsPending"] as? Int == 0)
                    let fault = try #require(json["firstFault"] as? [String: Any])
                    #expect(fault["sequence"] as? Int == 2)
                    #expect(fault["reason"] as? String == (database == .sqlite ? "malformed" : "contentsAltered"))
                }
                guard database == .sqlite else { return }
                try await client.execute(uri: "/v1/audit", method: .get, headers: auth) { response in
                    #expect(response.status == .ok)
                    let lines = String(buffer: response.body).split(separator: "\n").map(String.init)
                    #expect(lines.count == 2)
                    #expect(lines.first?.contains("\"sequence\":1") == true)
                    let last = try JSONSerialization.jsonObject(with: Data((lines.last ?? "").utf8)) as? [String: Any]
                    let error = try #require(last?["error"] as? [String: Any])
                    #expect(error["code"] as? String == "auditRecordMalformed")
                    #expect(error["sequence"] as? Int == 2)
                }
            }
        }
    }
}
