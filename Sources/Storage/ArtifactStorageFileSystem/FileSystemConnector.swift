public import ArtifactStorage
import Glibc
public import Logging
public import NIOPosix

/// Connects to a directory on the local filesystem (`file:///abs/path`).
///
/// The directory must already exist: a connector never creates its root, so a typo in a
/// configuration is `unreachable` rather than a new, empty store somewhere unexpected.
public struct FileSystemConnector: StorageConnector {
    /// The absolute path of the root directory.
    public let rootPath: String
    let threadPool: NIOThreadPool
    let logger: Logger
    /// Whether backends it opens probe their file system's change times
    /// (``FileSystemBackend/stampsEveryLaterChange``); `false` takes them to move with a coarse
    /// clock, as on kernels before Linux 6.13, so tests can pin that behaviour on any kernel.
    package var probesChangeTimes = true
    /// How backends it opens make writes durable (`?sync=` of the URL).
    public let syncMode: FileSystemSyncMode

    /// - Throws: `invalidConfiguration` unless `rootPath` is absolute and free of NUL.
    public init(
        rootPath: String,
        threadPool: NIOThreadPool = .singleton,
        logger: Logger,
        syncMode: FileSystemSyncMode = .automatic
    ) throws(StorageError) {
        guard rootPath.hasPrefix("/") else {
            throw StorageError(.invalidConfiguration, "filesystem root \"\(rootPath)\" is not an absolute path")
        }
        guard !rootPath.utf8.contains(0) else {
            throw StorageError(.invalidConfiguration, "filesystem root contains a NUL character")
        }
        self.rootPath = rootPath
        self.syncMode = syncMode
        self.threadPool = threadPool
        self.logger = logger
    }

    public func verifyConnection() async throws(StorageError) {
        let rootPath = self.rootPath
        try await FileSystemBackend.run(threadPool) { () throws(StorageError) in
            var info = Glibc.stat()
            guard stat(rootPath, &info) == 0 else {
                let code = errno
                let reason = String(cString: strerror(code))
                if code == EACCES || code == EPERM {
                    throw StorageError(.accessDenied, "cannot reach storage root \(rootPath): \(reason)")
                }
                throw StorageError(.unreachable, "storage root \(rootPath) does not exist: \(reason)")
            }
            guard Sys.isDirectory(info) else {
                throw StorageError(.unreachable, "storage root \(rootPath) is not a directory")
            }
        }
    }

    public func verifyAccess(user: String?, permissions: UInt32?) async throws(StorageError) {
        let backend = try await connect()
        try await StorageAccessProbe.run(on: backend, user: user, permissions: permissions)
    }

    public func connect() async throws(StorageError) -> any StorageBackend {
        try await verifyConnection()
        return try await FileSystemBackend.open(
            rootPath: rootPath,
            threadPool: threadPool,
            logger: logger,
            resolution: .automatic,
            probesChangeTimes: probesChangeTimes,
            syncMode: syncMode
        )
    }
}
