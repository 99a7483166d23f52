import ArtifactStorage
import CArtifactStorageFileSystem
import Glibc
import Synchronization

/// Whether the kernel has `openat2`; cleared the first time it answers ENOSYS.
private let openat2Available = Atomic<Bool>(true)

extension FileSystemBackend {
    /// How paths are resolved beneath the root.
    enum Resolution: Sendable {
        /// `openat2` with `RESOLVE_BENEATH`, or the component walk where the kernel lacks it.
        case automatic
        /// Always the component walk (tests exercise the fallback with this).
        case componentWalk
    }

    /// The `openat2` resolve flags that confine every open to the root: `RESOLVE_BENEATH` and
    /// `RESOLVE_NO_MAGICLINKS` (see ``resolve(_:flags:)``).
    static let confinedResolution = UInt64(ARTIFACTSTORE_RESOLVE_BENEATH | ARTIFACTSTORE_RESOLVE_NO_MAGICLINKS)

    /// Opens `path` beneath the root with `flags` (plus `O_CLOEXEC`).
    ///
    /// With `openat2`, `RESOLVE_BENEATH` makes the kernel refuse, atomically with the lookup,
    /// any `..`, absolute symlink or relative symlink that would leave the root (EXDEV), and
    /// `RESOLVE_NO_MAGICLINKS` refuses `/proc` magic links. Symlinks that stay inside are
    /// followed. Without `openat2` the path is walked one component at a time with `O_NOFOLLOW`,
    /// and any symlink at all is treated as leading out.
    func resolve(_ path: StoragePath, flags: Int32) throws(SystemCallError) -> OwnedDescriptor {
        try resolve(relative: path.string, segments: path.segments, flags: flags)
    }

    func resolve(relative: String, segments: [String], flags: Int32) throws(SystemCallError) -> OwnedDescriptor {
        if resolution == .automatic, openat2Available.load(ordering: .relaxed) {
            let resolveFlags = Self.confinedResolution
            var attempts = 0
            while true {
                let fd = artifactstore_openat2(root.raw, relative, UInt64(UInt32(bitPattern: flags | O_CLOEXEC)), 0, resolveFlags)
                if fd >= 0 { return OwnedDescriptor(fd) }
                let code = errno
                switch code {
                case EINTR:
                    continue
                case EAGAIN where attempts < 64:
                    // A concurrent rename raced the lookup; the kernel asks us to try again.
                    attempts += 1
                    continue
                case ENOSYS:
                    openat2Available.store(false, ordering: .relaxed)
                    return try walk(segments, flags: flags)
                default:
                    throw SystemCallError(errno: code, operation: code == EXDEV ? SystemCallError.resolve : "open")
                }
            }
        }
        return try walk(segments, flags: flags)
    }

    /// The fallback: component by component from the root, never following a symlink.
    ///
    /// Each directory on the way is opened with `O_PATH | O_DIRECTORY | O_NOFOLLOW`, which the
    /// kernel refuses (`ENOTDIR`) for anything but a directory, a symlink included, so what is
    /// checked is what is used and no `fstat` is needed; the last component is opened with
    /// `O_NOFOLLOW` (an `O_PATH` open of it is inspected, since `O_PATH` opens a symlink itself).
    /// A refusal that a symlink explains (``refusal(_:of:in:)``) is `EXDEV`: it leads out. An
    /// object's path (`blobs/<alg>/xx/yy/<hex>`) takes 5 system calls and 4 closes, against 12
    /// and 6 when every component was opened, then inspected, and the root reopened: what every
    /// read pays on a kernel without `openat2` (and under valgrind, which lacks it).
    func walk(_ segments: [String], flags: Int32) throws(SystemCallError) -> OwnedDescriptor {
        guard let last = segments.last else { return try Sys.openat(root.raw, ".", O_PATH | O_DIRECTORY) }
        // nil: the root itself, used without opening it again.
        var parent: OwnedDescriptor?
        for segment in segments.dropLast() {
            let directory = parent?.raw ?? root.raw
            do throws(SystemCallError) {
                parent = try Sys.openat(directory, segment, O_PATH | O_DIRECTORY | O_NOFOLLOW)
            } catch {
                throw Self.refusal(error, of: segment, in: directory)
            }
        }
        let directory = parent?.raw ?? root.raw
        let opened: OwnedDescriptor
        do throws(SystemCallError) {
            opened = try Sys.openat(directory, last, flags | O_NOFOLLOW)
        } catch {
            throw Self.refusal(error, of: last, in: directory)
        }
        if flags & O_PATH != 0, Sys.isSymlink(try Sys.fstat(opened.raw)) {
            throw SystemCallError(errno: EXDEV, operation: SystemCallError.resolve)
        }
        return opened
    }

    /// What the walk reports when opening `name` in `directory` failed with `error`: `EXDEV` (the
    /// path leads out) when `name` is a symlink, which `O_NOFOLLOW` refuses with `ELOOP`, and
    /// `O_DIRECTORY` with `ENOTDIR` (then an `fstatat`, on this failure path only, tells a
    /// symlink from a file); `error` otherwise.
    static func refusal(_ error: SystemCallError, of name: String, in directory: Int32) -> SystemCallError {
        let isSymlink: Bool
        switch error.errno {
        case ELOOP: isSymlink = true
        case ENOTDIR: isSymlink = (try? Sys.fstatat(directory, name, followSymlinks: false)).map(Sys.isSymlink) ?? false
        default: isSymlink = false
        }
        return isSymlink ? SystemCallError(errno: EXDEV, operation: SystemCallError.resolve) : error
    }

    /// Opens the directory at `path` (the root when `nil`) for reading and fsync.
    func openDirectory(_ path: StoragePath?) throws(SystemCallError) -> OwnedDescriptor {
        let flags = O_RDONLY | O_DIRECTORY
        guard let path else { return try Sys.openat(root.raw, ".", flags) }
        return try resolve(path, flags: flags)
    }

    /// Opens the directory at `path` (the root when `nil`), creating it and its parents where
    /// they are missing, and returns with it the fsyncs that must end before anything written in
    /// it is durable: those of the parents that gained an entry here, running on the thread
    /// pool beside the caller's own work, and those still pending from other writers that
    /// created a directory on the path moments before (``PendingDirectorySyncs``). Each
    /// directory is created with `mkdirat` relative to its parent's descriptor, itself resolved
    /// beneath the root, so a swapped-in symlink cannot redirect the creation.
    func openDirectoryCreating(_ path: StoragePath?) throws(SystemCallError) -> (OwnedDescriptor, [DirectorySync]) {
        let flags = O_RDONLY | O_DIRECTORY
        guard let path else { return (try Sys.openat(root.raw, ".", flags), []) }
        let directory: OwnedDescriptor
        do throws(SystemCallError) {
            directory = try resolve(path, flags: flags)
        } catch  where error.errno == ENOENT {
            directory = try createDirectories(path, flags: flags)
        }
        // Looked up once the directory is open: a directory this write can see has its fsync
        // registered already, if it has one pending.
        return (directory, pendingDirectorySyncs.pending(along: path.segments))
    }

    /// Creates what is missing of `path` and opens it; each parent that gains an entry is
    /// fsynced on the thread pool, its sync registered before the `mkdir`.
    private func createDirectories(_ path: StoragePath, flags: Int32) throws(SystemCallError) -> OwnedDescriptor {
        // The deepest directory that exists (usually the parent: a new shard), then each
        // missing one below it, created and opened relative to its parent's descriptor.
        // Walking down from the root instead tried mkdir on every existing ancestor, and
        // mkdir locks its parent: concurrent ingests queued on `blobs/<algorithm>`.
        let segments = path.segments
        var existing = segments.count - 1
        var parent: OwnedDescriptor?
        while existing > 0, parent == nil {
            do throws(SystemCallError) {
                parent = try resolve(
                    relative: segments[0..<existing].joined(separator: "/"),
                    segments: Array(segments[0..<existing]),
                    flags: flags
                )
            } catch  where error.errno == ENOENT {
                existing -= 1
            }
        }
        var current: OwnedDescriptor
        if let parent { current = parent } else { current = try Sys.openat(root.raw, ".", flags) }
        for (index, segment) in zip(existing..., segments[existing...]) {
            // Under a shared flush there is nothing to register: the flush every write waits for
            // starts after the mkdir of any directory it can see.
            let sync = sharedFlush == nil ? pendingDirectorySyncs.register(segments[...index].joined(separator: "/")) : nil
            if mkdirat(current.raw, segment, 0o755) == 0 {
                sync?.start(current, on: threadPool)
            } else {
                let code = errno
                // Created by someone else (whose own sync is registered) or not at all.
                sync?.finish(.success(()))
                if code != EEXIST { throw SystemCallError(errno: code, operation: "mkdir") }
            }
            // O_NOFOLLOW: a symlink swapped in since the mkdir is refused like any way out.
            do throws(SystemCallError) {
                current = try Sys.openat(current.raw, segment, flags | O_NOFOLLOW)
            } catch  where error.errno == ELOOP {
                throw SystemCallError(errno: EXDEV, operation: SystemCallError.resolve)
            }
        }
        return current
    }
}
