import Foundation
import Testing

/// `artifactstore audit verify|export` against a live server whose audit log was damaged in the
/// database (issue 18): exit 6 and the record named, never exit 7.
@Suite("artifactstore audit against a damaged log", .serialized, .timeLimit(.minutes(5)))
struct AuditCommandTests {
    /// Runs sqlite3 on the server's database (WAL: alongside the running server).
    static func sqlite(_ server: ServerProcess, _ statement: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let database = server.dataDirectory.url.appendingPathComponent("data/metadata.sqlite").path
        process.arguments = ["sqlite3", "-cmd", ".timeout 10000", database, statement]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "sqlite3 \(statement)")
    }

    @Test func malformedRecordIsExitSixWithTheRecordNamed() throws {
        let server = try ServerProcess()
        let user = try CLIUser(server)
        // The key file is created on the first start, readable by its owner only.
        let keyFile = server.dataDirectory.url.appendingPathComponent("data/audit.key").path
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? Int)
        #expect(mode & 0o077 == 0, "mode \(String(mode, radix: 8))")
        // Three token.create records (the bootstrap token left one before them).
        for name in ["one", "two", "three"] {
            #expect(try user.admin(["token", "create", "--name", name, "--scope", "read"]).status == 0)
        }
        // The last record is sealed within the seal bound after its commit (docs/control-plane.md,
        // "The bound": some 50 ms). On a loaded two-core CI machine one verify right after the
        // last command once still counted it pending, so verify again until it is sealed, for up
        // to 30 s, far past the bound.
        var (intact, report) = try user.json(["audit", "verify"])
        let deadline = Date().addingTimeInterval(30)
        while (report as? [String: Any])?["recordsPending"] as? Int != 0, Date() < deadline {
            usleep(100_000)
            (intact, report) = try user.json(["audit", "verify"])
        }
        #expect(intact.status == 0, "\(intact.standardError)")
        #expect((report as? [String: Any])?["recordsPending"] as? Int == 0)

        try Self.sqlite(server, "UPDATE audit_log SET time = 'abc' WHERE seq = 2")
        let (verify, damaged) = try user.json(["audit", "verify"])
        #expect(verify.status == 6, "\(verify.standardOutput)\(verify.standardError)")
        let fault = try #require((damaged as? [String: Any])?["firstFault"] as? [String: Any])
        #expect(fault["sequence"] as? Int == 2)
        #expect(fault["reason"] as? String == "malformed")

        let export = try user.admin(["audit", "export"])
        #expect(export.status == 6, "\(export.standardError)")
        #expect(export.lines.count == 1)
        #expect(export.standardError.contains("auditRecordMalformed"))
        #expect(export.standardError.contains("audit record 2"))
    }
}
