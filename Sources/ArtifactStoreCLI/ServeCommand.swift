import ArgumentParser
import ArtifactServer
import Configuration
import Foundation
import Logging

/// `artifactstore serve`: runs the server until SIGTERM or SIGINT.
///
/// Configuration comes from `--config FILE` (JSON), then `ARTIFACTSTORE_*` environment
/// variables, then these flags, each overriding the last (docs/operations.md). With none of
/// them it serves 127.0.0.1:8080 from `./artifactstore-data`. Exits 0 after a graceful
/// shutdown, 2 for a bad configuration, 1 for any other failure.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the ArtifactStore HTTP server.",
        discussion: """
            On the first start with an empty store, prints a bootstrap admin token once on \
            standard error (or installs ARTIFACTSTORE_ADMIN_TOKEN if set). SIGTERM drains \
            in-flight requests and exits 0.
            """
    )

    @Option(name: .long, help: "Address to listen on (default 127.0.0.1).")
    var host: String?

    @Option(name: .long, help: "Port to listen on (default 8080; 0 picks a free one).")
    var port: Int?

    @Option(name: .customLong("data-dir"), help: "Directory for the SQLite database and the default backend (default ./artifactstore-data).")
    var dataDir: String?

    @Option(name: .long, help: "Metadata database: a path, sqlite://PATH or postgres://… (default DATA_DIR/metadata.sqlite).")
    var database: String?

    @Option(name: .long, help: "A storage backend as ID=URL (file://, s3://, memory://); repeatable.")
    var backend: [String] = []

    @Option(name: .customLong("default-backend"), help: "The backend new blobs go to (default: the first).")
    var defaultBackend: String?

    @Option(name: .customLong("data-plane"), help: "inprocess, or unix:///path of a data-plane daemon.")
    var dataPlane: String?

    @Option(name: .customLong("gc-interval"), help: "Seconds between garbage collections (default 3600).")
    var gcInterval: Int?

    @Option(name: .customLong("audit-key-file"), help: "The audit chain's HMAC key file (default DATA_DIR/audit.key, created 0600).")
    var auditKeyFile: String?

    @Option(name: .long, help: "A JSON configuration file (lowest precedence).")
    var config: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        ServerProcessTuning.apply(environment: environment)
        var flags: [ServerConfiguration.Key: ConfigValue] = [:]
        func set(_ key: ServerConfiguration.Key, _ value: ConfigContent?) {
            if let value { flags[key] = ConfigValue(value, isSecret: false) }
        }
        set(.host, host.map(ConfigContent.string))
        set(.port, port.map(ConfigContent.int))
        set(.dataDir, dataDir.map(ConfigContent.string))
        set(.database, database.map(ConfigContent.string))
        set(.backends, backend.isEmpty ? nil : .stringArray(backend))
        set(.defaultBackend, defaultBackend.map(ConfigContent.string))
        set(.dataPlane, dataPlane.map(ConfigContent.string))
        set(.gcInterval, gcInterval.map(ConfigContent.int))
        set(.auditKeyFile, auditKeyFile.map(ConfigContent.string))
        let configuration: ServerConfiguration
        do {
            configuration = try await ServerConfiguration.load(flags: flags, environment: environment, file: config)
        } catch {
            reportError(error)
            throw ExitCode(2)
        }
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        LoggingSystem.bootstrap(
            { label, metadataProvider in
                var handler = ServerLogHandler.standardError(label: label, metadataProvider: metadataProvider)
                handler.logLevel = level
                return handler
            },
            metadataProvider: RequestLogMetadata.provider)
        let logger = Logger(label: "artifactstore.server")
        do {
            try await ServeApplication.run(
                configuration, adminToken: environment["ARTIFACTSTORE_ADMIN_TOKEN"], logger: logger,
                console: { FileOutput.standardError.write($0) })
        } catch let error as ServerConfigurationError {
            reportError(error)
            throw ExitCode(2)
        } catch {
            reportError(error)
            throw ExitCode(1)
        }
    }
}
