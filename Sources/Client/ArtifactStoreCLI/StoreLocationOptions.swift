import ArgumentParser
import ArtifactServer
import Configuration
import Foundation

/// Where the store is: `--data-dir`, or `--database` and `--backend`, with `--default-backend`,
/// `--audit-key-file` and a `--config` file under `ARTIFACTSTORE_*` variables (docs/operations.md).
///
/// Exists so `serve` and the `admin` commands that open a store directly take these flags with
/// the same names, help and meaning, and load them into a ``ServerConfiguration`` the same way.
struct StoreLocationOptions: ParsableArguments {
    @Option(
        name: .customLong("data-dir"),
        help: "The store's data directory: its SQLite database and default backend (default ./artifactstore-data)."
    )
    var dataDir: String?

    @Option(name: .long, help: "Metadata database: a path, sqlite://PATH or postgres://… (default DATA_DIR/metadata.sqlite).")
    var database: String?

    @Option(name: .long, help: "A storage backend as ID=URL (file://, s3://, memory://); repeatable.")
    var backend: [String] = []

    @Option(name: .customLong("default-backend"), help: "The backend new blobs go to (default: the first).")
    var defaultBackend: String?

    @Option(
        name: .customLong("audit-key-file"),
        help: "The audit chain's HMAC key file (default DATA_DIR/audit.key; serve creates it, mode 0600)."
    )
    var auditKeyFile: String?

    @Option(name: .long, help: "A JSON configuration file (lowest precedence).")
    var config: String?

    /// The configuration keys these flags set (only those given).
    var flags: [ServerConfiguration.Key: ConfigValue] {
        var flags: [ServerConfiguration.Key: ConfigValue] = [:]
        flags.set(.dataDir, dataDir.map(ConfigContent.string))
        flags.set(.database, database.map(ConfigContent.string))
        flags.set(.backends, backend.isEmpty ? nil : .stringArray(backend))
        flags.set(.defaultBackend, defaultBackend.map(ConfigContent.string))
        flags.set(.auditKeyFile, auditKeyFile.map(ConfigContent.string))
        return flags
    }

    /// The configuration from these flags and `more` (a command's own flags), over the
    /// environment, over the `--config` file.
    func load(
        adding more: [ServerConfiguration.Key: ConfigValue] = [:],
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws(ServerConfigurationError) -> ServerConfiguration {
        try await ServerConfiguration.load(flags: flags.merging(more) { _, command in command }, environment: environment, file: config)
    }
}

extension [ServerConfiguration.Key: ConfigValue] {
    /// Sets `key` to `value` when the flag was given; flags are never secret.
    mutating func set(_ key: ServerConfiguration.Key, _ value: ConfigContent?) {
        if let value { self[key] = ConfigValue(value, isSecret: false) }
    }
}
