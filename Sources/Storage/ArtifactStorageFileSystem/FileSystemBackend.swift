public import ArtifactStorage
public import ArtifactStoreCore
import Foundation
import Glibc
public import Logging
public import NIOPosix

/// A ``StorageBackend`` over a directory on a local filesystem.
///
/// Promises, beyond the protocol's:
/// - Confinement does not rest on string checks. The root is opened once; every path is resolved
///   beneath that descriptor with `openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS)` (or, on
///   kernels without it, component by component with `O_NOFOLLOW`, refusing every symlink), and
///   every operation then acts relative to the descriptors it resolved. A symlink that leads out
///   of the root, even one swapped in between a check and a use, is `pathEscapesRoot`.
/// - Writes are atomic and durable: bytes go to `.artifactstore-tmp-…` in the target's
///   directory, are fsynced, get their mode and owner, are renamed over the target, and the
///   directory is fsynced (skipped for `durableName: false`; a move fsyncs the destination's
///   directory, and the source's unless `durableSource: false`, which is how the data plane
///   commits an ingest with two syncs: the bytes and the final name). A directory a write
///   creates is durable before the write returns either way: its parent is fsynced on a second
///   thread beside the write (``DirectorySync``), and a write into a directory another write of
///   this process created moments before waits for that fsync too (``PendingDirectorySyncs``).
///   That is ``FileSystemSyncMode/eachFile``. Under ``FileSystemSyncMode/sharedFlush`` (the
///   automatic choice on ext4, XFS, Btrfs, F2FS and tmpfs with Linux 5.8 or later) a small
///   write's directory syncs are one `syncfs` shared with every write waiting at the time
///   (``SharedFlush``), and so are a new object's bytes (an overwrite's are still fsynced
///   before its rename); a large one (streamed, moved, staged) fsyncs its bytes and every
///   directory up to the root itself.
///   Temporaries abandoned by a crash are removed by ``removeAbandonedTemporaries(_:)``, which
///   the data plane's sweep service runs at start and periodically (opening a backend does not
///   walk the root).
/// - Blocking system calls run on a `NIOThreadPool`, never on Swift's cooperative pool. Reads
///   stream in ``readChunkSize`` chunks pulled on demand with `pread`, so memory stays bounded.
///   An open or read the kernel can answer from its caches without waiting for the device
///   (`RESOLVE_CACHED`, `RWF_NOWAIT`) is done on the calling thread instead of being handed to
///   the pool and back (``readCounters`` counts both).
/// - Symbolic links inside the root are never listed; names the backend cannot express as a
///   ``StoragePath`` are skipped by listings.
public struct FileSystemBackend: StorageBackend {
    /// The size of the buffers a read yields.
    public static let readChunkSize = 512 * 1024
    /// How many written bytes accumulate before the device is asked to start writing them, so
    /// the fsync that makes a large write durable finds most of it already on the device.
    public static let writebackInterval: Int64 = 8 << 20

    /// Names starting with this are the backend's temporaries: hidden from listings, refused as
    /// object names (by ``StoragePath``), and removed by ``removeAbandonedTemporaries(_:)``.
    public static let temporaryPrefix = StoragePath.reservedPrefix

    let root: OwnedDescriptor
    /// The root as configured, for messages and logs.
    public let rootPath: String
    let threadPool: NIOThreadPool
    /// Directories created beneath the root whose entry is not yet durable, and their fsyncs
    /// (``FileSystemSyncMode/eachFile`` only).
    let pendingDirectorySyncs = PendingDirectorySyncs()
    /// The flush writes wait for under ``FileSystemSyncMode/sharedFlush``; `nil` when each file
    /// and directory is fsynced on its own.
    let sharedFlush: SharedFlush?
    /// How writes are made durable, as resolved at open (never ``FileSystemSyncMode/automatic``).
    public var syncMode: FileSystemSyncMode { sharedFlush == nil ? .eachFile : .sharedFlush }
    let logger: Logger
    let resolution: Resolution
    /// Opens and whole reads answered from the kernel's caches, and those sent to the pool.
    package let readCounters = FileSystemReadCounters()
    /// Whether any change to a file after its stamp was read moves the stamp, even within one
    /// tick of the coarse clock (``changeTimesMoveOnEveryChange(root:)``, probed at open).
    public let stampsEveryLaterChange: Bool

    /// Opens the directory at `rootPath` (which must exist). Nothing beneath it is walked:
    /// temporaries a crashed process left are removed by ``removeAbandonedTemporaries(_:)``,
    /// which `serve` and the data-plane daemon run at start and then periodically
    /// (`LocalDataPlane.temporarySweepService`), so a start walks the root once, not twice.
    /// One temporary is written and removed in the root, to learn whether its file system's
    /// change times see every change (``stampsEveryLaterChange``).
    ///
    /// - Throws: `unreachable` when the directory is missing or not a directory,
    ///   `accessDenied` when it cannot be opened.
    /// - Parameter syncMode: how writes are made durable. ``FileSystemSyncMode/automatic``
    ///   shares flushes wherever the kernel and file system keep that promise; an explicit
    ///   ``FileSystemSyncMode/sharedFlush`` where they do not is `invalidConfiguration`.
    public static func open(
        rootPath: String,
        threadPool: NIOThreadPool = .singleton,
        logger: Logger,
        syncMode: FileSystemSyncMode = .automatic
    ) async throws(StorageError) -> FileSystemBackend {
        try await open(rootPath: rootPath, threadPool: threadPool, logger: logger, resolution: .automatic, syncMode: syncMode)
    }

    static func open(
        rootPath: String,
        threadPool: NIOThreadPool,
        logger: Logger,
        resolution: Resolution,
        probesChangeTimes: Bool = true,
        syncMode: FileSystemSyncMode = .automatic
    ) async throws(StorageError) -> FileSystemBackend {
        let root: OwnedDescriptor = try await run(threadPool) { () throws(StorageError) in
            do throws(SystemCallError) {
                let fd = try Sys.openat(AT_FDCWD, rootPath, O_PATH | O_DIRECTORY)
                return fd
            } catch {
                switch error.errno {
                case EACCES, EPERM:
                    throw StorageError(.accessDenied, "cannot open storage root \(rootPath): \(error.reason)", underlying: error)
                default:
                    throw StorageError(.unreachable, "cannot open storage root \(rootPath): \(error.reason)", underlying: error)
                }
            }
        }
        let fineChangeTimes =
            probesChangeTimes
            ? try await run(threadPool) { () throws(StorageError) in Self.changeTimesMoveOnEveryChange(root: root) } : false
        let sharedFlush = try await run(threadPool) { () throws(StorageError) in
            try Self.sharedFlush(root: root, rootPath: rootPath, mode: syncMode, threadPool: threadPool, logger: logger)
        }
        return FileSystemBackend(
            root: root,
            rootPath: rootPath,
            threadPool: threadPool,
            logger: logger,
            resolution: resolution,
            stampsEveryLaterChange: fineChangeTimes,
            sharedFlush: sharedFlush
        )
    }

    /// The shared flush `mode` asks for, or `nil` for fsyncs of each file. Blocking.
    private static func sharedFlush(
        root: OwnedDescriptor,
        rootPath: String,
        mode: FileSystemSyncMode,
        threadPool: NIOThreadPool,
        logger: Logger
    ) throws(StorageError) -> SharedFlush? {
        guard mode != .eachFile else { return nil }
        if let reason = FileSystemSyncMode.sharedFlushUnavailableReason(root: root.raw) {
            guard mode == .automatic else {
                throw StorageError(
                    .invalidConfiguration,
                    "storage root \(rootPath) cannot use sync=filesystem: \(reason); use sync=file or sync=auto"
                )
            }
            logger.info(
                "storage root fsyncs each file and directory",
                metadata: ["root": "\(rootPath)", "reason": "\(reason)"]
            )
            return nil
        }
        // syncfs needs a descriptor that is open for reading; the root's is `O_PATH`.
        let flushed: OwnedDescriptor
        do {
            flushed = try Sys.openat(root.raw, ".", O_RDONLY | O_DIRECTORY)
        } catch {
            throw .from(error, .lookUp, path: nil, verb: "open for flushing")
        }
        return SharedFlush(pool: threadPool) { () throws(SystemCallError) in try Sys.syncfs(flushed.raw) }
    }

    init(
        root: OwnedDescriptor,
        rootPath: String,
        threadPool: NIOThreadPool,
        logger: Logger,
        resolution: Resolution,
        stampsEveryLaterChange: Bool,
        sharedFlush: SharedFlush?
    ) {
        self.sharedFlush = sharedFlush
        self.stampsEveryLaterChange = stampsEveryLaterChange
        self.resolution = resolution
        self.root = root
        self.rootPath = rootPath
        self.threadPool = threadPool
        self.logger = logger
    }

    /// Runs blocking work on the thread pool, passing ``StorageError``s through.
    static func run<T: Sendable>(
        _ pool: NIOThreadPool,
        _ body: @escaping @Sendable () throws(StorageError) -> T
    ) async throws(StorageError) -> T {
        do {
            return try await pool.runIfActive { () throws -> T in try body() }
        } catch let error as StorageError {
            throw error
        } catch let error as CancellationError {
            throw StorageError(.io, "the operation was cancelled", underlying: error)
        } catch {
            throw StorageError(.io, "the file I/O thread pool is not running: \(error)", underlying: error)
        }
    }

    func run<T: Sendable>(_ body: @escaping @Sendable () throws(StorageError) -> T) async throws(StorageError) -> T {
        try await Self.run(threadPool, body)
    }

    /// Runs clean-up work on the thread pool even when the calling task has been cancelled
    /// (the pool refuses work from cancelled tasks), waiting for it to finish.
    func runCleanUp(_ body: @escaping @Sendable () -> Void) async {
        let pool = threadPool
        await Task.detached {
            do {
                try await pool.runIfActive(body)
            } catch {
                body()
            }
        }.value
    }

    // MARK: Objects

    public func exists(_ path: StoragePath) async throws(StorageError) -> Bool {
        try await run { () throws(StorageError) in
            do {
                let fd = try resolve(path, flags: O_PATH)
                return Sys.isRegular(try Sys.fstat(fd.raw))
            } catch let error as SystemCallError where error.errno == ENOENT || error.errno == ENOTDIR {
                return false
            } catch {
                throw .from(error, .lookUp, path: path, verb: "check")
            }
        }
    }

    public func stat(_ path: StoragePath) async throws(StorageError) -> StorageObjectInfo {
        try await statStamped(path).info
    }

    static func objectInfo(_ path: StoragePath, _ info: Glibc.stat) -> StorageObjectInfo {
        StorageObjectInfo(
            path: path,
            size: UInt64(info.st_size),
            modified: info.st_mtim.date,
            mode: UInt32(info.st_mode) & 0o7777,
            uid: UInt32(info.st_uid),
            gid: UInt32(info.st_gid)
        )
    }

    public func delete(_ path: StoragePath) async throws(StorageError) {
        try await run { () throws(StorageError) in
            do {
                let parent = try openDirectory(path.parent)
                let info = try Sys.fstatat(parent.raw, path.name)
                if Sys.isDirectory(info) {
                    throw StorageError(.objectNotFound, "no object at \"\(path)\"; it is a directory", path: path.string)
                }
                if Sys.isSymlink(info) {
                    // Removing a link never touches its target, but one that leads out is refused
                    // like every other way out.
                    do { _ = try resolve(path, flags: O_PATH) } catch let error as SystemCallError where error.escapesRoot {
                        throw error
                    } catch {}
                }
                try Sys.retrying("unlink") { unlinkat(parent.raw, path.name, 0) }
                try Sys.fsync(parent.raw)
            } catch {
                throw .from(error, .lookUp, path: path, verb: "delete")
            }
        }
    }

    public func move(from source: StoragePath, to destination: StoragePath, options: StorageMoveOptions) async throws(StorageError) {
        let overwrite = options.overwrite
        let verb = "move \"\(source)\" to"
        let sharedFlush = self.sharedFlush != nil
        let (pending, directorySyncs) = try await run { () throws(StorageError) -> ([OwnedDescriptor], [DirectorySync]) in
            let sourceParent: OwnedDescriptor
            do {
                sourceParent = try openDirectory(source.parent)
                let info = try Sys.fstatat(sourceParent.raw, source.name)
                guard Sys.isRegular(info) else {
                    throw StorageError(.objectNotFound, "no object at \"\(source)\" to move", path: source.string)
                }
            } catch {
                throw .from(error, .lookUp, path: source, verb: "move")
            }
            if source.bytes == destination.bytes {
                if overwrite { return ([], []) }
                throw StorageError(.alreadyExists, "cannot move \"\(source)\" onto itself without overwrite", path: destination.string)
            }
            do {
                let (destinationParent, directorySyncs) = try openDirectoryCreating(destination.parent)
                if let existing = try? Sys.fstatat(destinationParent.raw, destination.name), Sys.isDirectory(existing) {
                    throw StorageError(.alreadyExists, "cannot move to \"\(destination)\": a directory is there", path: destination.string)
                }
                if overwrite {
                    try Sys.rename(sourceParent.raw, source.name, destinationParent.raw, destination.name)
                } else {
                    try Sys.renameNoReplace(sourceParent.raw, source.name, destinationParent.raw, destination.name)
                }
                // Under the shared flush a move (an ingest's temporary of 1 MiB or more) makes its
                // names durable itself rather than flush the whole file system.
                if sharedFlush {
                    try syncDirectories(from: destination.parent)
                    if options.durableSource { try Sys.fsync(sourceParent.raw) }
                    return ([], directorySyncs)
                }
                guard options.durableSource else {
                    try Sys.fsync(destinationParent.raw)
                    return ([], directorySyncs)
                }
                return ([destinationParent, sourceParent], directorySyncs)
            } catch {
                throw .from(error, .create, path: destination, verb: verb)
            }
        }
        // Several directories changed (the destination's, the source's, and parents that gained
        // a new directory for it, whose fsyncs are already running): their fsyncs are
        // independent, so they wait for the device together rather than one after another. The
        // move returns once all are durable.
        guard !pending.isEmpty else {
            try await Self.waitForDirectories(directorySyncs, path: destination, verb: verb)
            return
        }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for directory in pending {
                    group.addTask {
                        try await run { () throws(StorageError) in
                            do {
                                try Sys.fsync(directory.raw)
                            } catch {
                                throw .from(error, .create, path: destination, verb: verb)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            try await Self.waitForDirectories(directorySyncs, path: destination, verb: verb)
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError(.io, "\(verb) \"\(destination)\" failed: \(error)", path: destination.string, underlying: error)
        }
    }

    // MARK: Directories

    public func makeDirectory(_ path: StoragePath) async throws(StorageError) {
        let directorySyncs = try await run { () throws(StorageError) -> [DirectorySync] in
            do {
                return try openDirectoryCreating(path).1
            } catch {
                throw .from(error, .create, path: path, verb: "make directory")
            }
        }
        try await Self.waitForDirectories(directorySyncs, path: path, verb: "make directory")
    }

    public func removeDirectory(_ path: StoragePath) async throws(StorageError) {
        try await run { () throws(StorageError) in
            do {
                let parent = try openDirectory(path.parent)
                let info = try Sys.fstatat(parent.raw, path.name)
                guard Sys.isDirectory(info) else {
                    throw StorageError(.objectNotFound, "no directory at \"\(path)\"", path: path.string)
                }
                do {
                    try Sys.retrying("rmdir") { unlinkat(parent.raw, path.name, AT_REMOVEDIR) }
                } catch let error as SystemCallError where error.errno == EEXIST {
                    _ = error
                    throw SystemCallError(errno: ENOTEMPTY, operation: "rmdir")
                }
                try Sys.fsync(parent.raw)
            } catch {
                throw .from(error, .lookUp, path: path, verb: "remove directory")
            }
        }
    }

    // MARK: Health

    public func health() async -> StorageHealth {
        do throws(StorageError) {
            return try await run { () throws(StorageError) in
                var info = statvfs()
                guard fstatvfs(root.raw, &info) == 0 else {
                    let reason = String(cString: strerror(errno))
                    return StorageHealth(reachable: false, writable: false, message: "\(rootPath): statvfs failed: \(reason)")
                }
                let free = UInt64(info.f_bavail) * UInt64(info.f_frsize)
                let total = UInt64(info.f_blocks) * UInt64(info.f_frsize)
                let rootInfo = try? Sys.fstat(root.raw)
                guard let rootInfo, rootInfo.st_nlink > 0 else {
                    return StorageHealth(
                        reachable: false,
                        writable: false,
                        freeBytes: free,
                        totalBytes: total,
                        message: "\(rootPath) has been removed"
                    )
                }
                if info.f_flag & UInt(ST_RDONLY) != 0 {
                    return StorageHealth(
                        reachable: true,
                        writable: false,
                        freeBytes: free,
                        totalBytes: total,
                        message: "\(rootPath) is on a read-only filesystem"
                    )
                }
                let probe = Self.temporaryName()
                do throws(SystemCallError) {
                    let fd = try Sys.openat(root.raw, probe, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600)
                    _ = fd
                    _ = unlinkat(root.raw, probe, 0)
                } catch {
                    return StorageHealth(
                        reachable: true,
                        writable: false,
                        freeBytes: free,
                        totalBytes: total,
                        message: "\(rootPath) is not writable: \(error.reason)"
                    )
                }
                return StorageHealth(
                    reachable: true,
                    writable: true,
                    freeBytes: free,
                    totalBytes: total,
                    message: "\(rootPath): \(free / 1_048_576) MiB free of \(total / 1_048_576) MiB"
                )
            }
        } catch {
            return StorageHealth(reachable: false, writable: false, message: "\(rootPath): \(error.message)")
        }
    }

    // MARK: Names

    /// A temporary's name: the prefix, this process as its writer (``StorageWriterIdentity``, so a
    /// sweep by any process sharing the root can tell whose it is), and a random part.
    static func temporaryName() -> String {
        temporaryPrefix + StorageWriterIdentity.current.token + "-" + randomHex(8)
    }

    /// `bytes` random bytes as hex, drawn eight at a time: each draw from the system's generator
    /// is a `getrandom` system call, and a temporary's name used to make eight.
    static func randomHex(_ bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        var text = ""
        var word: UInt64 = 0
        for index in 0..<bytes {
            if index % 8 == 0 { word = generator.next() }
            let byte = UInt8(truncatingIfNeeded: word >> UInt64(8 * (index % 8)))
            text += String(byte >> 4, radix: 16) + String(byte & 0xF, radix: 16)
        }
        return text
    }
}
