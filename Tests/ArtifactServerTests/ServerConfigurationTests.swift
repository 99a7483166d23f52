import ArtifactServer
import Configuration
import Foundation
import Testing

@Suite("Server configuration", .timeLimit(.minutes(10)))
struct ServerConfigurationTests {
    @Test("embedded defaults: 127.0.0.1:8080, ./artifactstore-data, SQLite and a filesystem backend inside it, in process")
    func defaults() async throws {
        let configuration = try await ServerConfiguration.load(environment: [:])
        #expect(configuration.host == "127.0.0.1")
        #expect(configuration.port == 8080)
        #expect(configuration.dataDirectory == "./artifactstore-data")
        #expect(configuration.dataPlane == "inprocess")
        #expect(configuration.effectiveDatabase.hasSuffix("/artifactstore-data/metadata.sqlite"))
        #expect(configuration.effectiveBackends.count == 1)
        #expect(configuration.effectiveBackends[0].hasPrefix("default=file:///"))
        #expect(configuration.effectiveBackends[0].hasSuffix("/artifactstore-data/blobs"))
    }

    @Test("file, then environment, then flags, each overriding the last")
    func precedence() async throws {
        let file = FileManager.default.temporaryDirectory.path + "/artifactstore-config-\(UUID().uuidString).json"
        try Data(
            #"{"host":"0.0.0.0","port":9000,"dataDir":"/srv/file","database":"/srv/file.sqlite","backends":["a=memory://a"],"gcInterval":60,"logLevel":"debug"}"#
                .utf8
        ).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }

        let fromFile = try await ServerConfiguration.load(environment: [:], file: file)
        #expect(fromFile.host == "0.0.0.0" && fromFile.port == 9000 && fromFile.dataDirectory == "/srv/file")
        #expect(fromFile.backends == ["a=memory://a"] && fromFile.gcInterval == .seconds(60) && fromFile.logLevel == "debug")

        let environment = [
            "ARTIFACTSTORE_PORT": "9100", "ARTIFACTSTORE_DATA_DIR": "/srv/env", "ARTIFACTSTORE_BACKENDS": "b=memory://b,c=memory://c",
            "ARTIFACTSTORE_DEFAULT_BACKEND": "c", "ARTIFACTSTORE_GC_INTERVAL": "120", "UNRELATED_PORT": "1",
        ]
        let fromEnvironment = try await ServerConfiguration.load(environment: environment, file: file)
        #expect(fromEnvironment.host == "0.0.0.0")
        #expect(fromEnvironment.port == 9100 && fromEnvironment.dataDirectory == "/srv/env")
        #expect(fromEnvironment.backends == ["b=memory://b", "c=memory://c"] && fromEnvironment.defaultBackend == "c")
        #expect(fromEnvironment.gcInterval == .seconds(120))

        let flags: [ServerConfiguration.Key: ConfigValue] = [
            .port: ConfigValue(.int(9200), isSecret: false), .host: ConfigValue(.string("::1"), isSecret: false),
            .backends: ConfigValue(.stringArray(["d=memory://d"]), isSecret: false),
        ]
        let fromFlags = try await ServerConfiguration.load(flags: flags, environment: environment, file: file)
        #expect(fromFlags.host == "::1" && fromFlags.port == 9200 && fromFlags.backends == ["d=memory://d"])
        #expect(fromFlags.dataDirectory == "/srv/env" && fromFlags.database == "/srv/file.sqlite")
    }

    @Test("cacheLifetime: an hour by default, 0 turns the caches off")
    func cacheLifetime() async throws {
        #expect(try await ServerConfiguration.load(environment: [:]).cacheLifetime == .seconds(3600))
        #expect(try await ServerConfiguration.load(environment: ["ARTIFACTSTORE_CACHE_LIFETIME": "0"]).cacheLifetime == .zero)
        #expect(try await ServerConfiguration.load(environment: ["ARTIFACTSTORE_CACHE_LIFETIME": "10"]).cacheLifetime == .seconds(10))
    }

    @Test("malformed values are refused naming the key")
    func refusals() async throws {
        for (environment, key) in [
            (["ARTIFACTSTORE_PORT": "eighty"], "port"), (["ARTIFACTSTORE_PORT": "70000"], "port"),
            (["ARTIFACTSTORE_BACKENDS": "noequals"], "backends"), (["ARTIFACTSTORE_DATA_PLANE": "tcp://x"], "dataPlane"),
            (["ARTIFACTSTORE_GC_INTERVAL": "0"], "gcInterval"), (["ARTIFACTSTORE_LOG_LEVEL": "loud"], "logLevel"),
            (["ARTIFACTSTORE_CACHE_LIFETIME": "-1"], "cacheLifetime"), (["ARTIFACTSTORE_CACHE_LIFETIME": "soon"], "cacheLifetime"),
        ] {
            await #expect(throws: ServerConfigurationError.self, "\(environment)") {
                try await ServerConfiguration.load(environment: environment)
            }
            do {
                _ = try await ServerConfiguration.load(environment: environment)
            } catch {
                #expect(error.key == key)
                #expect(error.code == "invalidConfiguration")
            }
        }
        do {
            _ = try await ServerConfiguration.load(environment: [:], file: "/nonexistent/artifactstore.json")
            Issue.record("a missing configuration file was accepted")
        } catch {
            #expect(error.key == "config")
        }
    }
}
