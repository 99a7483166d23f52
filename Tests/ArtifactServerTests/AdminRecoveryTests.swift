import ArtifactControlPlane
import ArtifactStoreAPI
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Foundation
import Testing

@testable import ArtifactServer

/// Recovery of a lost admin token (issue 20, part 6): `admin reset-token` minting a token offline
/// into the audit chain, and `ARTIFACTSTORE_ADMIN_TOKEN_FILE` with every refusal, none of which
/// repeats the token.
@Suite("admin token recovery", .serialized, .timeLimit(.minutes(10)))
struct AdminRecoveryTests {
    static let token = "ast_0123456789abcdef_" + String(repeating: "0123456789abcdef", count: 4)

    static func directory() throws -> String {
        let path = NSTemporaryDirectory() + "artifactstore-recovery-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func file(_ directory: String, _ text: String, mode: Int) throws -> String {
        let path = directory + "/token-\(UUID().uuidString)"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    @Test("reset-token: a new admin token that authenticates, recorded and sealed in an intact audit chain; the old one still works")
    func resetTokenMintsIntoTheChain() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var configuration = ServerConfiguration()
        configuration.dataDirectory = directory
        let first = try await ServeApplication.openControlPlane(configuration, logger: TestLogs.silent)
        _ = try await first.auth.bootstrap(providedToken: Self.token)
        await ServeApplication.close(first)

        let issued = try await StoreAdministration.resetAdminToken(configuration, logger: TestLogs.silent)
        #expect(issued.token != Self.token && issued.info.grants == [.global(.admin)] && issued.info.createdBy == "system:reset-token")

        let reopened = try await ServeApplication.openControlPlane(configuration, logger: TestLogs.silent)
        do {
            let context = RequestContext(actor: "test")
            #expect(try await reopened.auth.authenticate(token: issued.token, context: context).tokenID == issued.info.id)
            #expect(try await reopened.auth.authenticate(token: Self.token, context: context).name == "bootstrap-admin")
            let records = try await reopened.audit.records().items
            let minted = records.filter { $0.action == "token.create" && $0.target == "token:\(issued.info.id)" }
            #expect(minted.count == 1 && minted.first?.actor == "system:reset-token")
            let chain = try await reopened.audit.verifyChain()
            #expect(chain.isIntact && chain.recordsPending == 0)
            #expect(records.allSatisfy { !($0.detail ?? "").contains(issued.token) })
        } catch {
            await ServeApplication.close(reopened)
            throw error
        }
        await ServeApplication.close(reopened)
    }

    @Test("reset-token on a store that does not exist, or without its audit key file: refused naming it, nothing created")
    func resetTokenRefusals() async throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var missing = ServerConfiguration()
        missing.dataDirectory = directory + "/absent"
        let noStore = await #expect(throws: ServerConfigurationError.self) {
            _ = try await StoreAdministration.resetAdminToken(missing, logger: TestLogs.silent)
        }
        #expect(noStore?.key == "dataDir" && noStore?.message.contains("no database at") == true)
        #expect(!FileManager.default.fileExists(atPath: directory + "/absent"))

        var configuration = ServerConfiguration()
        configuration.dataDirectory = directory
        let controlPlane = try await ServeApplication.openControlPlane(configuration, logger: TestLogs.silent)
        await ServeApplication.close(controlPlane)
        try FileManager.default.removeItem(atPath: directory + "/audit.key")
        let noKey = await #expect(throws: ServerConfigurationError.self) {
            _ = try await StoreAdministration.resetAdminToken(configuration, logger: TestLogs.silent)
        }
        #expect(noKey?.key == "auditKeyFile")
        #expect(!FileManager.default.fileExists(atPath: directory + "/audit.key"))
    }

    @Test("ARTIFACTSTORE_ADMIN_TOKEN_FILE: a 0600 file is read (whitespace ignored); a missing file is refused")
    func tokenFileRead() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let good = try Self.file(directory, "  \(Self.token)\n", mode: 0o600)
        #expect(try AdminTokenFile.token(environment: [AdminTokenFile.fileVariable: good]) == Self.token)
        #expect(try AdminTokenFile.token(environment: [AdminTokenFile.variable: Self.token]) == Self.token)
        #expect(try AdminTokenFile.token(environment: [:]) == nil)
        let missing = #expect(throws: ServerConfigurationError.self) {
            _ = try AdminTokenFile.token(environment: [AdminTokenFile.fileVariable: directory + "/none"])
        }
        #expect(missing?.message.hasPrefix("ARTIFACTSTORE_ADMIN_TOKEN_FILE: no admin token file at") == true)
    }

    @Test("ARTIFACTSTORE_ADMIN_TOKEN_FILE refusals: readable by others, malformed, a directory, both variables; no message holds the token")
    func tokenFileRefusals() throws {
        let directory = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let exposed = try Self.file(directory, Self.token, mode: 0o644)
        let almost = String(Self.token.dropLast()) + "G"
        let malformed = try Self.file(directory, almost, mode: 0o600)
        let cases: [([String: String], String)] = [
            ([AdminTokenFile.fileVariable: exposed], "can be read by every user"),
            ([AdminTokenFile.fileVariable: malformed], "(85 characters) does not hold a token of the form"),
            ([AdminTokenFile.fileVariable: directory], "is not a regular file"),
            ([AdminTokenFile.fileVariable: exposed, AdminTokenFile.variable: Self.token], "set only one"),
        ]
        for (environment, expected) in cases {
            let error = #expect(throws: ServerConfigurationError.self) { _ = try AdminTokenFile.token(environment: environment) }
            #expect(error?.code == "invalidConfiguration" && error?.key == AdminTokenFile.fileVariable)
            #expect(error?.message.contains(expected) == true, "\(error?.message ?? "")")
            #expect(error?.message.contains(Self.token) == false && error?.message.contains(almost) == false)
        }
    }
}
