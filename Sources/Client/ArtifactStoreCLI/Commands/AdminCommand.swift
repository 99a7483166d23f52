import ArgumentParser
import ArtifactControlPlane
import ArtifactServer
import ArtifactStoreClient
import Configuration
import Foundation
import Logging

/// `artifactstore admin`: the store's own checks and copies, run on the machine that holds it
/// (no server needed, none stopped).
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Check, back up and restore a store directly, or mint a new admin token (fsck, backup, restore, reset-token).",
        subcommands: [FsckCommand.self, BackupCommand.self, RestoreCommand.self, ResetTokenCommand.self]
    )
}

/// Where the store is, given as `serve` takes it: `--data-dir`, or `--database` and `--backend`,
/// or a configuration file and `ARTIFACTSTORE_*` variables (docs/operations.md).
struct StoreLocationOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "The store's data directory (its SQLite database and default backend).")
    var dataDir: String?

    @Option(name: .long, help: "Metadata database: a path, sqlite://PATH or postgres://… (default DATA_DIR/metadata.sqlite).")
    var database: String?

    @Option(name: .long, help: "A storage backend as ID=URL, as serve takes it; repeatable.")
    var backend: [String] = []

    @Option(name: .customLong("default-backend"), help: "The default backend (default: the first).")
    var defaultBackend: String?

    @Option(name: .customLong("audit-key-file"), help: "The audit key file (default DATA_DIR/audit.key).")
    var auditKeyFile: String?

    @Option(name: .customLong("data-plane"), help: "inprocess (default) or unix:///path of the data-plane daemon serve uses.")
    var dataPlane: String?

    @Option(name: .long, help: "A JSON configuration file, as serve reads it (lowest precedence).")
    var config: String?

    /// The configuration `serve` would load from the same flags, file and environment.
    func load() async throws(ServerConfigurationError) -> ServerConfiguration {
        var flags: [ServerConfiguration.Key: ConfigValue] = [:]
        func set(_ key: ServerConfiguration.Key, _ value: ConfigContent?) {
            if let value { flags[key] = ConfigValue(value, isSecret: false) }
        }
        set(.dataDir, dataDir.map(ConfigContent.string))
        set(.database, database.map(ConfigContent.string))
        set(.backends, backend.isEmpty ? nil : .stringArray(backend))
        set(.defaultBackend, defaultBackend.map(ConfigContent.string))
        set(.auditKeyFile, auditKeyFile.map(ConfigContent.string))
        set(.dataPlane, dataPlane.map(ConfigContent.string))
        return try await ServerConfiguration.load(flags: flags, environment: ProcessInfo.processInfo.environment, file: config)
    }
}

extension AdminCommand {
    /// Library log lines (warnings and worse) go to standard error; the report goes to standard output.
    static func logger() -> Logger {
        var logger = Logger(label: "artifactstore.admin", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .warning
        return logger
    }

    /// Reports `error` and exits with the status its code declares (docs/errors.md): 2 for a
    /// configuration or a PostgreSQL store, 5 for a destination that is not empty, 6 for a damaged
    /// backup, 1 for anything else.
    static func fail(_ error: any Error) -> ExitCode {
        reportError(error)
        if error is ServerConfigurationError { return ExitCode(ExitStatus.usage.rawValue) }
        if let error = error as? ControlPlaneError, error.kind.httpStatus == nil, let status = error.kind.exitStatus {
            return ExitCode(status.rawValue)
        }
        return ExitCode(ExitStatus.failure.rawValue)
    }
}
