public import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactDataPlaneLocal
import ArtifactMetadata
import ArtifactStorage
import ArtifactStorageFactory
import Foundation
public import Logging

/// `artifactstore admin fsck | backup | restore`: the store's own checks and copies, run beside
/// (or without) a server, configured exactly as `serve` is (``ServerConfiguration``: `--data-dir`,
/// or `--database` and `--backend ID=URL`).
///
/// Exists so an operator can prove a store, back it up while it serves, and restore it onto an
/// empty machine, with the control plane's own code (``Reconciler``, ``StoreBackup``,
/// ``StoreRestore``) and no HTTP. Nothing here creates a store: an admin task on a data directory
/// or database that does not exist is refused, naming it.
public enum StoreAdministration {
    /// Checks every `live` blob (present, read whole and proved against its address) and lists
    /// stray files, changing nothing. The store may be serving meanwhile.
    ///
    /// - Throws: `ServerConfigurationError` for a bad configuration or a store that does not
    ///   exist (or is reached through a data-plane daemon), `ControlPlaneError` otherwise.
    public static func fsck(_ configuration: ServerConfiguration, logger: Logger) async throws -> ReconcileReport {
        try await withExisting(configuration, logger: logger) { controlPlane in
            guard let reconciler = controlPlane.reconciler else {
                throw ServerConfigurationError(
                    key: "dataPlane",
                    "the data plane \(configuration.dataPlane) cannot list what its backends hold: run fsck with --backend flags"
                )
            }
            return try await reconciler.run(ReconcileOptions(removesStrays: false, verifiesBlobs: true))
        }
    }

    /// Backs the store up into `directory` (new or empty): the SQLite snapshot, the manifest, the
    /// audit key file, and copies of the objects of every `file://` backend (an S3 bucket is
    /// backed up by its versioning; docs/operations.md).
    public static func backup(_ configuration: ServerConfiguration, to directory: String, logger: Logger) async throws -> BackupReport {
        let directory = absolute(directory)
        return try await withExisting(configuration, logger: logger) { controlPlane in
            var copied: [LocalDataPlane.Backend] = []
            var ids: [String] = []
            for text in configuration.effectiveBackends {
                let (id, url) = try ServerConfiguration.splitBackend(text)
                ids.append(id)
                guard url.hasPrefix("file://") else { continue }
                copied.append(try directoryBackend(id: id, path: "\(directory)/\(BackupManifest.objectsDirectory)/\(id)", logger: logger))
            }
            let objects = copied.isEmpty ? nil : try LocalDataPlane(backends: copied, logger: logger)
            return try await controlPlane.backup.write(
                to: directory,
                backends: ids,
                objects: objects,
                auditKeyFile: configuration.effectiveAuditKeyFile
            )
        }
    }

    /// Restores the backup in `directory` into the new store `configuration` names: its data
    /// directory must be empty (or absent), its database and audit key file must not exist, and
    /// its backends must hold no object. Every object is proved against its address on the way.
    public static func restore(_ configuration: ServerConfiguration, from directory: String, logger: Logger) async throws -> RestoreReport {
        let directory = absolute(directory)
        guard case .sqliteFile(let databasePath) = try location(configuration) else {
            throw ServerConfigurationError(
                key: "database",
                "a backup restores into an SQLite database; for PostgreSQL use pg_restore (docs/operations.md)"
            )
        }
        let manifest = try StoreRestore.manifest(in: directory)
        let dataDirectory = configuration.absoluteDataDirectory
        // Checked before anything is created; the restore checks again, with the backends.
        try StoreRestore.requireEmptyDirectory(dataDirectory)
        let targetObjects = try ServeApplication.makeDataPlane(configuration, logger: logger)
        guard let target = targetObjects as? LocalDataPlane else {
            throw ServerConfigurationError(
                key: "dataPlane",
                "a restore writes the backends itself: configure them with --backend, not \(configuration.dataPlane)"
            )
        }
        var sources: [LocalDataPlane.Backend] = []
        for backend in manifest.backends where backend.objectsCopied {
            let root = "\(directory)/\(BackupManifest.objectsDirectory)/\(backend.id)"
            sources.append(.init(id: backend.id, connector: try StorageFactory(logger: logger).connector(for: "file://" + root)))
        }
        // Reads are not proved here: the restore proves every object itself, as it ingests it.
        let source =
            sources.isEmpty ? nil : try LocalDataPlane(backends: sources, configuration: .init(verifiesFullReads: false), logger: logger)
        if configuration.backends.isEmpty {
            try FileManager.default.createDirectory(atPath: dataDirectory + "/blobs", withIntermediateDirectories: true)
        }
        return try await StoreRestore.restore(
            from: directory,
            source: source,
            into: StoreRestore.Destination(
                databasePath: databasePath,
                auditKeyFile: configuration.effectiveAuditKeyFile,
                createdDirectory: dataDirectory,
                objects: target
            ),
            logger: logger
        )
    }

    // MARK: Opening

    static func location(_ configuration: ServerConfiguration) throws(ServerConfigurationError) -> MetadataLocation {
        do {
            return try MetadataLocation(parsing: configuration.effectiveDatabase)
        } catch {
            throw ServerConfigurationError(key: "database", error.message, underlying: error)
        }
    }

    /// The database location, refused when it names an SQLite file that does not exist.
    static func existingLocation(_ configuration: ServerConfiguration) throws(ServerConfigurationError) -> MetadataLocation {
        let location = try location(configuration)
        if case .sqliteFile(let path) = location, !FileManager.default.fileExists(atPath: path) {
            throw ServerConfigurationError(
                key: configuration.database == nil ? "dataDir" : "database",
                "no database at \"\(path)\": name the store's data directory (--data-dir) or database (--database)"
            )
        }
        return location
    }

    /// Runs `body` with the control plane of the store that exists (``openExisting(_:logger:)``),
    /// closed after it whether it throws or not.
    static func withExisting<R>(
        _ configuration: ServerConfiguration,
        auditKeys: AuditKeyring = .processLocal,
        logger: Logger,
        _ body: (ControlPlane) async throws -> R
    ) async throws -> R {
        let controlPlane = try await openExisting(configuration, auditKeys: auditKeys, logger: logger)
        do {
            let result = try await body(controlPlane)
            await ServeApplication.close(controlPlane)
            return result
        } catch {
            await ServeApplication.close(controlPlane)
            throw error
        }
    }

    /// The control plane of a store that exists, without creating a directory or an audit key.
    /// Only `reset-token` writes an audit record, with the store's own keys (`auditKeys`); the
    /// other admin tasks never do (the process-local key is never used).
    static func openExisting(
        _ configuration: ServerConfiguration,
        auditKeys: AuditKeyring = .processLocal,
        logger: Logger
    ) async throws -> ControlPlane {
        let location = try existingLocation(configuration)
        let dataPlane = try ServeApplication.makeDataPlane(configuration, logger: logger)
        return try await ControlPlane.open(
            location,
            dataPlane: dataPlane,
            configuration: ControlPlane.Configuration(gcGracePeriod: configuration.gcGracePeriod, auditKeys: auditKeys),
            logger: logger
        )
    }

    /// A backend over the directory `path`, created when first connected (after the backup has
    /// found its destination empty).
    static func directoryBackend(id: String, path: String, logger: Logger) throws -> LocalDataPlane.Backend {
        LocalDataPlane.Backend(
            id: id,
            connector: DirectoryCreatingConnector(path: path, base: try StorageFactory(logger: logger).connector(for: "file://" + path))
        )
    }

    static func absolute(_ path: String) -> String {
        if path.hasPrefix("/") { return (path as NSString).standardizingPath }
        return ((FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path) as NSString).standardizingPath
    }
}

/// A connector that creates its directory before the first connection.
struct DirectoryCreatingConnector: StorageConnector {
    let path: String
    let base: any StorageConnector

    func verifyConnection() async throws(StorageError) {
        try await base.verifyConnection()
    }

    func verifyAccess(user: String?, permissions: UInt32?) async throws(StorageError) {
        try await base.verifyAccess(user: user, permissions: permissions)
    }

    func connect() async throws(StorageError) -> any StorageBackend {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw StorageError(.accessDenied, "cannot create \"\(path)\": check the permissions of its parent", underlying: error)
        }
        return try await base.connect()
    }
}
