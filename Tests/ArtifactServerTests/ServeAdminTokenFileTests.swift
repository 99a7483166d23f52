import Foundation
import Testing

/// `ARTIFACTSTORE_ADMIN_TOKEN_FILE` through the real `artifactstore serve` and `admin reset-token`
/// (issue 20, part 6): a good file installs its token without printing it, a bad one stops the
/// start before anything is created, and reset-token prints one new token that the server accepts.
@Suite("admin token file and reset-token (binary)", .serialized, .timeLimit(.minutes(5)))
struct ServeAdminTokenFileTests {
    static let token = "ast_00112233445566ff_" + String(repeating: "a1b2c3d4", count: 8)

    static func tokenFile(_ directory: String, mode: Int) throws -> String {
        let path = directory + "/admin-token"
        try Data((token + "\n").utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    @Test("a world-readable token file stops serve with exit 2 naming the variable, never the token; nothing is created")
    func worldReadableRefused() async throws {
        let directory = ServeBinaryTests.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = try Self.tokenFile(directory, mode: 0o644)
        let result = try await ServeStartupTests.run(
            ["serve", "--port", "0", "--data-dir", directory + "/data"],
            environment: ["ARTIFACTSTORE_ADMIN_TOKEN_FILE": file]
        )
        #expect(result.status == 2)
        #expect(result.error.hasPrefix("artifactstore: error: invalidConfiguration: ARTIFACTSTORE_ADMIN_TOKEN_FILE: the admin token file"))
        #expect(!result.error.contains(Self.token) && !result.output.contains(Self.token))
        #expect(!FileManager.default.fileExists(atPath: directory + "/data"))
    }

    @Test("a 0600 token file installs its token (never printed); reset-token prints a new token serve accepts; no store: exit 2")
    func tokenFileThenResetToken() async throws {
        let directory = ServeBinaryTests.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let missing = try await ServeStartupTests.run(["admin", "reset-token", "--data-dir", directory + "/absent"], environment: [:])
        #expect(missing.status == 2 && missing.output.isEmpty)
        #expect(missing.error.hasPrefix("artifactstore: error: invalidConfiguration: dataDir: no database at"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/absent"))

        let data = directory + "/data"
        let file = try Self.tokenFile(directory, mode: 0o600)
        let first = try ServeBinaryTests.Server(dataDirectory: data, environment: ["ARTIFACTSTORE_ADMIN_TOKEN_FILE": file])
        try await first.waitUntilListening()
        #expect(try await first.post("/v1/namespaces", token: Self.token, json: #"{"name":"team"}"#) == 201)
        #expect(!first.standardError.contains(Self.token))
        #expect(await first.terminate() == 0)

        let reset = try await ServeStartupTests.run(["admin", "reset-token", "--data-dir", data], environment: [:])
        #expect(reset.status == 0, "\(reset.error)")
        let lines = reset.output.split(separator: "\n")
        let newToken = try #require(lines.first.map(String.init))
        #expect(lines.count == 1 && newToken.hasPrefix("ast_") && newToken != Self.token)
        #expect(reset.error.contains("new admin token") && !reset.error.contains(newToken))

        let second = try ServeBinaryTests.Server(dataDirectory: data)
        try await second.waitUntilListening()
        #expect(try await second.post("/v1/namespaces", token: newToken, json: #"{"name":"other"}"#) == 201)
        #expect(!second.standardError.contains(newToken))
        #expect(await second.terminate() == 0)
    }
}
