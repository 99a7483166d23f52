import ArtifactStoreTestSupport
import Foundation
import Testing

@testable import ArtifactServer

/// `auditKeyFile`: where the audit keys are, and a bad file stopping the server by name.
@Suite("Audit key configuration", .timeLimit(.minutes(10)))
struct AuditKeyConfigurationTests {
    @Test("DATA_DIR/audit.key by default; the environment or a flag names another; an empty path is refused")
    func location() async throws {
        let defaults = try await ServerConfiguration.load(environment: ["ARTIFACTSTORE_DATA_DIR": "/srv/store"])
        #expect(defaults.effectiveAuditKeyFile == "/srv/store/audit.key")
        let shared = try await ServerConfiguration.load(environment: ["ARTIFACTSTORE_AUDIT_KEY_FILE": "/run/secrets/audit.key"])
        #expect(shared.effectiveAuditKeyFile == "/run/secrets/audit.key")
        do {
            _ = try await ServerConfiguration.load(environment: ["ARTIFACTSTORE_AUDIT_KEY_FILE": ""])
            Issue.record("an empty audit key file path was accepted")
        } catch {
            #expect(error.key == "auditKeyFile")
        }
    }

    @Test("a key file that does not parse stops the start with invalidConfiguration naming auditKeyFile")
    func malformedFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString).key").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "k1 tooshort\n".write(toFile: path, atomically: true, encoding: .utf8)
        var configuration = ServerConfiguration()
        configuration.auditKeyFile = path
        let error = try #require(throws: ServerConfigurationError.self) {
            try ServeApplication.loadAuditKeys(configuration, logger: TestLogs.silent)
        }
        #expect(error.key == "auditKeyFile")
        #expect(error.code == "invalidConfiguration")
        #expect(error.message.contains(path))
    }
}
