import ArtifactServer
import ArtifactStoreTestSupport
import Foundation
import Logging
import Testing

/// Issue 22 item 5: a configuration is taken whole or not at all. An unknown key, a value of the
/// wrong type, malformed JSON, or a backend or data directory that cannot be used stops the start
/// with `invalidConfiguration` and a message naming the key or URL (exact texts asserted).
@Suite("strict configuration", .timeLimit(.minutes(10)))
struct StrictConfigurationTests {
    /// Writes `text` to a new temporary file; its path.
    static func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.path + "/artifactstore-config-\(UUID().uuidString).json"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The error loading `text` as the configuration file throws, with the file's path as `FILE`.
    static func refusal(_ text: String) async throws -> (error: ServerConfigurationError, file: String) {
        let path = try file(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try await ServerConfiguration.load(environment: [:], file: path)
        } catch {
            return (error, path)
        }
        throw TestFailure("\(text) was accepted")
    }

    static let keys =
        "host, port, dataDir, database, backends, defaultBackend, dataPlane, gcInterval, gcGracePeriod, retentionInterval, shutdownGracePeriod, "
        + "cacheLifetime, logLevel, ociUploadExpiry, headerReadTimeout, idleTimeout, bodyIdleTimeout, maxConnections, logFormat, auditKeyFile, "
        + "redirectExemptNamespaces, ociDefaultNamespace, ociCreateNamespaces, webhookAllowedNetworks, registryTokenAuth, registryTokenService, "
        + "registryTokenRealm, registryTokenLifetime, ldapURL, ldapBindDN, ldapGroupBase, ldapGroupAttribute, ldapGroupRules, ldapTimeout, "
        + "tlsCert, tlsKey, http2, oidcIssuer, oidcClientID, oidcClientSecret, oidcClientSecretFile, oidcDeviceClientID, "
        + "oidcDeviceAuthorizationURL, "
        + "oidcRedirectBase, oidcScopes, oidcClaimRules, oidcGroupsClaim, oidcProviderName"

    @Test("an unknown key is refused, naming it, the file, a near key and every key")
    func unknownKey() async throws {
        let (error, file) = try await Self.refusal(#"{"prot": 9000}"#)
        #expect(error.code == "invalidConfiguration" && error.key == "prot")
        #expect(error.message == "prot: unknown key in configuration file \"\(file)\" (did you mean \"port\"?); the keys are \(Self.keys)")
        let (far, farFile) = try await Self.refusal(#"{"port": 9000, "colour": "blue"}"#)
        #expect(far.message == "colour: unknown key in configuration file \"\(farFile)\"; the keys are \(Self.keys)")
    }

    @Test(
        "a value of the wrong type is refused, naming the key, what it is and what it must be",
        arguments: [
            (#"{"port": "8080"}"#, "port", "a string", "an integer"),
            (#"{"port": 80.5}"#, "port", "a number with a fraction", "an integer"),
            (#"{"host": 1}"#, "host", "an integer", "a string"),
            (#"{"backends": "a=memory://a"}"#, "backends", "a string", "an array of strings"),
            (#"{"backends": [1]}"#, "backends", "an array with other values than strings", "an array of strings"),
            (#"{"maxConnections": true}"#, "maxConnections", "a boolean", "an integer"),
            (#"{"logLevel": null}"#, "logLevel", "null", "a string"),
        ] as [(String, String, String, String)]
    )
    func wrongType(_ text: String, _ key: String, _ found: String, _ expected: String) async throws {
        let (error, file) = try await Self.refusal(text)
        #expect(error.key == key)
        #expect(error.message == "\(key): is \(found) in configuration file \"\(file)\"; it must be \(expected)")
    }

    @Test("malformed JSON and a file that is no object are refused naming the file (and where the parser stopped)")
    func malformed() async throws {
        let (error, file) = try await Self.refusal("{\"port\": 80,\n \"host\" 1}")
        #expect(error.key == "config")
        #expect(error.message.hasPrefix("config: configuration file \"\(file)\" is not valid JSON"), "\(error.message)")
        #expect(error.message.hasSuffix("; fix its syntax"))
        #expect(!error.message.contains("NSCocoaErrorDomain") && !error.message.contains("3840"), "\(error.message)")
        let (array, arrayFile) = try await Self.refusal("[1, 2]")
        #expect(array.message == "config: configuration file \"\(arrayFile)\" is not a JSON object; write {\"key\": value, …}")
        do {
            _ = try await ServerConfiguration.load(environment: [:], file: "/nonexistent/artifactstore.json")
            Issue.record("a missing file was accepted")
        } catch {
            #expect(
                error.message
                    == "config: cannot read configuration file \"/nonexistent/artifactstore.json\": no such file; check the path given to --config"
            )
        }
    }

    @Test("an environment variable of the wrong type names the key and where it may come from, not the library's error")
    func environmentType() async throws {
        do {
            _ = try await ServerConfiguration.load(environment: ["ARTIFACTSTORE_MAX_CONNECTIONS": "many"])
            Issue.record("accepted")
        } catch {
            #expect(
                error.message
                    == "maxConnections: is not an integer; check ARTIFACTSTORE_MAX_CONNECTIONS, the command line and the configuration file"
            )
        }
    }

    @Test("connection limits are read from the file, the environment and the flags, and must be positive")
    func connectionLimits() async throws {
        let path = try Self.file(#"{"headerReadTimeout": 5, "idleTimeout": 7, "bodyIdleTimeout": 9, "maxConnections": 100}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let loaded = try await ServerConfiguration.load(environment: ["ARTIFACTSTORE_IDLE_TIMEOUT": "8"], file: path)
        #expect(loaded.connectionLimits.headerReadTimeout == .seconds(5))
        #expect(loaded.connectionLimits.idleTimeout == .seconds(8))
        #expect(loaded.connectionLimits.bodyIdleTimeout == .seconds(9))
        #expect(loaded.connectionLimits.maxConnections == 100)
        let defaults = try await ServerConfiguration.load(environment: [:]).connectionLimits
        #expect(defaults == ConnectionLimits())
        for (variable, key) in [
            ("ARTIFACTSTORE_HEADER_READ_TIMEOUT", "headerReadTimeout"), ("ARTIFACTSTORE_MAX_CONNECTIONS", "maxConnections"),
        ] {
            await #expect(throws: ServerConfigurationError.self) { try await ServerConfiguration.load(environment: [variable: "0"]) }
            do { _ = try await ServerConfiguration.load(environment: [variable: "0"]) } catch { #expect(error.key == key) }
        }
    }

    @Test("a file:// backend that does not exist, is a file, or cannot be written stops the start naming the backend and its URL")
    func backendLocations() async throws {
        let directory = FileManager.default.temporaryDirectory.path + "/artifactstore-strict-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        FileManager.default.createFile(atPath: directory + "/plain", contents: Data())
        let logger = TestLogs.silent
        var configuration = ServerConfiguration()
        configuration.dataDirectory = directory + "/data"

        configuration.backends = ["a=file://\(directory)/missing"]
        do {
            try await ServeApplication.checkLocations(configuration, logger: logger)
            Issue.record("a missing backend root was accepted")
        } catch {
            #expect(error.key == "backends")
            #expect(
                error.message == "backends: backend \"a\" (file://\(directory)/missing): storage root \(directory)/missing does not exist: "
                    + "No such file or directory; create it, make it writable, or correct the URL"
            )
        }
        configuration.backends = ["b=file://\(directory)/plain"]
        do {
            try await ServeApplication.checkLocations(configuration, logger: logger)
            Issue.record("a backend root that is a file was accepted")
        } catch {
            #expect(
                error.message.hasPrefix(
                    "backends: backend \"b\" (file://\(directory)/plain): storage root \(directory)/plain is not a directory"
                )
            )
        }
        // Read-only even for root (the tests may run as root, whom file modes do not stop).
        configuration.backends = ["c=file:///proc"]
        do {
            try await ServeApplication.checkLocations(configuration, logger: logger)
            Issue.record("an unwritable backend root was accepted")
        } catch {
            #expect(error.message.hasPrefix("backends: backend \"c\" (file:///proc): "), "\(error.message)")
            #expect(error.message.hasSuffix("; create it, make it writable, or correct the URL"))
        }
        configuration.backends = ["d=file://\(directory)"]
        try await ServeApplication.checkLocations(configuration, logger: logger)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["plain"], "the probe leaves nothing")

        configuration.dataDirectory = directory + "/plain"
        do {
            try await ServeApplication.checkLocations(configuration, logger: logger)
            Issue.record("a data directory that is a file was accepted")
        } catch {
            #expect(error.message == "dataDir: \"\(directory)/plain\" is not a directory; create it or pass --data-dir")
        }
    }
}
