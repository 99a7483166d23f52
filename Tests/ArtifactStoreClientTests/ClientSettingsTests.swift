import Foundation
import Testing

@testable import ArtifactStoreClient

@Suite("Client settings and the login file", .timeLimit(.minutes(5)))
struct ClientSettingsTests {
    @Test func flagsBeatEnvironmentBeatLoginFile() throws {
        let directory = try ScratchDirectory()
        let file = LoginFile(path: directory.path + "/artifactstore/config.json")
        try file.write(LoginFile.Contents(server: "http://file:1", token: "file-token"))
        let environment = ["ARTIFACTSTORE_SERVER": "http://env:2", "ARTIFACTSTORE_TOKEN": "env-token"]

        let all = try ClientSettings.resolve(server: "http://flag:3/", token: "flag-token", environment: environment, loginFile: file)
        #expect(all == ClientSettings(server: "http://flag:3", token: "flag-token"))

        let fromEnvironment = try ClientSettings.resolve(server: nil, token: nil, environment: environment, loginFile: file)
        #expect(fromEnvironment == ClientSettings(server: "http://env:2", token: "env-token"))

        let fromFile = try ClientSettings.resolve(server: nil, token: nil, environment: [:], loginFile: file)
        #expect(fromFile == ClientSettings(server: "http://file:1", token: "file-token"))

        // Each setting is looked up on its own.
        let mixed = try ClientSettings.resolve(
            server: nil,
            token: "flag-token",
            environment: ["ARTIFACTSTORE_SERVER": "http://env:2"],
            loginFile: file
        )
        #expect(mixed == ClientSettings(server: "http://env:2", token: "flag-token"))
        let mixedFile = try ClientSettings.resolve(
            server: "http://flag:3",
            token: nil,
            environment: ["ARTIFACTSTORE_TOKEN": ""],
            loginFile: file
        )
        #expect(mixedFile == ClientSettings(server: "http://flag:3", token: "file-token"))
    }

    @Test func missingServerOrTokenIsNotConfigured() throws {
        let directory = try ScratchDirectory()
        let absent = LoginFile(path: directory.path + "/none/config.json")
        let noServer = #expect(throws: ClientError.self) {
            try ClientSettings.resolve(server: nil, token: "t", environment: [:], loginFile: absent)
        }
        #expect(noServer?.code == "notConfigured")
        #expect(ClientExitStatus(for: noServer!) == .usage)
        let noToken = #expect(throws: ClientError.self) {
            try ClientSettings.resolve(server: "http://x:1", token: nil, environment: [:], loginFile: absent)
        }
        #expect(noToken?.code == "notConfigured")
        let optional = try ClientSettings.resolve(server: "http://x:1", token: nil, environment: [:], loginFile: nil, requireToken: false)
        #expect(optional.token == nil)
    }

    @Test(arguments: ["ftp://host", "127.0.0.1:8080", "http://", "http://host?x=1", "not a url"])
    func badServerIsRefused(_ server: String) throws {
        let error = #expect(throws: ClientError.self) {
            try ClientSettings.resolve(server: server, token: "t", environment: [:], loginFile: nil)
        }
        #expect(error?.code == "invalidArgument")
        #expect(error?.message.contains(server) == true)
    }

    @Test func loginFileLocationHonoursXDGThenHome() {
        #expect(LoginFile(environment: ["XDG_CONFIG_HOME": "/x", "HOME": "/h"])?.path == "/x/artifactstore/config.json")
        #expect(LoginFile(environment: ["XDG_CONFIG_HOME": "", "HOME": "/h"])?.path == "/h/.config/artifactstore/config.json")
        #expect(LoginFile(environment: [:]) == nil)
    }

    @Test func loginFileIsOwnerOnlyAndReplacedAtomically() throws {
        let directory = try ScratchDirectory()
        let configDirectory = directory.path + "/cfg/artifactstore"
        // A directory made by hand with loose permissions, and an old world-readable file.
        try FileManager.default.createDirectory(
            atPath: configDirectory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o755]
        )
        let file = LoginFile(path: configDirectory + "/config.json")
        #expect(FileManager.default.createFile(atPath: file.path, contents: Data("{}".utf8), attributes: [.posixPermissions: 0o644]))

        try file.write(LoginFile.Contents(server: "http://127.0.0.1:8080", token: "ast_secret"))
        #expect(try directory.mode(of: file.path) == 0o600)
        #expect(try directory.mode(of: configDirectory) == 0o700)
        #expect(try file.read() == LoginFile.Contents(server: "http://127.0.0.1:8080", token: "ast_secret"))
        // No temporary file left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: configDirectory) == ["config.json"])

        let fresh = LoginFile(path: directory.path + "/new/a/b/config.json")
        try fresh.write(LoginFile.Contents(server: "http://h:1", token: "t"))
        #expect(try directory.mode(of: fresh.path) == 0o600)
        #expect(try directory.mode(of: directory.path + "/new/a/b") == 0o700)
    }

    @Test func corruptLoginFileIsAConfigurationError() throws {
        let directory = try ScratchDirectory()
        let file = LoginFile(path: directory.path + "/config.json")
        #expect(FileManager.default.createFile(atPath: file.path, contents: Data("{not json".utf8)))
        let error = #expect(throws: ClientError.self) { try file.read() }
        #expect(error?.code == "configuration")
        #expect(error?.message.contains(file.path) == true)
        // And it is not silently replaced by resolving.
        #expect(throws: ClientError.self) { try ClientSettings.resolve(server: nil, token: nil, environment: [:], loginFile: file) }
        #expect(FileManager.default.contents(atPath: file.path) == Data("{not json".utf8))
    }
}
