public import ArtifactMetadata
import ArtifactStorage
import ArtifactStorageFactory
import Foundation
public import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

extension ServeApplication {
    /// What `serve` checks before it migrates the database or mints a token: the listening
    /// address is free (``checkAddress(host:port:)``), then every location can be used
    /// (``checkLocations(_:logger:)``).
    ///
    /// Exists because a port in use was reported only by the listener, after the database had
    /// been migrated and a bootstrap token minted, as `bind(descriptor:ptr:bytes:)` and an errno.
    public static func preflight(_ configuration: ServerConfiguration, logger: Logger) async throws(ServerConfigurationError) {
        try await checkAddress(host: configuration.host, port: configuration.port)
        try await checkLocations(configuration, logger: logger)
    }

    /// `artifactstore serve --check-config`: everything ``preflight(_:logger:)`` checks except the
    /// address (a running server holds it), and that the database location parses. Starts and
    /// changes nothing but the backends' access probes, which remove their objects.
    public static func checkConfiguration(_ configuration: ServerConfiguration, logger: Logger) async throws(ServerConfigurationError) {
        do {
            _ = try MetadataLocation(parsing: configuration.effectiveDatabase)
        } catch {
            throw ServerConfigurationError(key: "database", error.message, underlying: error)
        }
        try await checkLocations(configuration, logger: logger)
        _ = try tlsReloader(configuration, logger: logger)
    }

    /// Binds `host:port` and lets it go: `addressInUse` naming both when another process has it.
    /// Port 0 (any free port) is not checked.
    public static func checkAddress(host: String, port: Int) async throws(ServerConfigurationError) {
        guard port != 0 else { return }
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .bind(host: host, port: port).get()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw ServerConfigurationError(
                .addressInUse,
                key: "port",
                "another process listens on \(host):\(port); stop it or pass --port",
                underlying: error
            )
        } catch let error as IOError where error.errnoCode == EACCES {
            throw ServerConfigurationError(
                key: "port",
                "not permitted to listen on \(host):\(port) (ports below 1024 need privileges); pass --port with a higher port",
                underlying: error
            )
        } catch let error as IOError where error.errnoCode == EADDRNOTAVAIL {
            throw ServerConfigurationError(
                key: "host",
                "\(host) is not an address of this machine; pass --host with one of its addresses",
                underlying: error
            )
        } catch {
            throw ServerConfigurationError(
                key: "host",
                "cannot listen on \(host):\(port): the host does not resolve to an address; check --host",
                underlying: error
            )
        }
        try? await channel.close()
    }

    /// The data directory is a writable directory (or can be created), and every backend in
    /// effect exists and takes a probe object (its connector's `verifyAccess`): a missing or
    /// read-only `file://` root, or an S3 bucket that does not answer, stops the start naming the
    /// backend and its URL. A daemon's backends (`dataPlane` `unix://…`) are the daemon's to check.
    public static func checkLocations(_ configuration: ServerConfiguration, logger: Logger) async throws(ServerConfigurationError) {
        let dataDirectory = configuration.absoluteDataDirectory
        if let problem = directoryProblem(dataDirectory) {
            throw ServerConfigurationError(key: "dataDir", "\"\(dataDirectory)\" \(problem); create it or pass --data-dir")
        }
        guard !configuration.dataPlane.hasPrefix("unix://") else { return }
        let factory = StorageFactory(logger: logger)
        for text in configuration.effectiveBackends {
            let (id, url) = try ServerConfiguration.splitBackend(text)
            // The default backend inside the data directory is created at the start.
            if configuration.backends.isEmpty, !FileManager.default.fileExists(atPath: dataDirectory + "/blobs") { continue }
            do throws(StorageError) {
                try await factory.connector(for: url).verifyAccess(user: nil, permissions: nil)
            } catch {
                let next = error.kind == .invalidConfiguration ? "correct the URL" : "create it, make it writable, or correct the URL"
                throw ServerConfigurationError(key: "backends", "backend \"\(id)\" (\(url)): \(error.message); \(next)", underlying: error)
            }
        }
    }

    /// Why `path` cannot be the data directory: not a directory, or neither it nor (when it
    /// does not exist yet) its nearest existing parent is writable. `nil` when it can.
    static func directoryProblem(_ path: String) -> String? {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { return "is not a directory" }
            return access(path, W_OK | X_OK) == 0 ? nil : "is not writable by this user"
        }
        var parent = (path as NSString).deletingLastPathComponent
        while !parent.isEmpty, parent != "/", !FileManager.default.fileExists(atPath: parent) {
            parent = (parent as NSString).deletingLastPathComponent
        }
        if parent.isEmpty { parent = "/" }
        return access(parent, W_OK | X_OK) == 0 ? nil : "does not exist and cannot be created (\"\(parent)\" is not writable by this user)"
    }
}
