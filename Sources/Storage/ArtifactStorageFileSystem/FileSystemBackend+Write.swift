public import ArtifactStorage
public import ArtifactStoreCore
import CArtifactStorageFileSystem
import Glibc
import NIOCore
import Synchronization

extension FileSystemBackend {
    @discardableResult
    public func write(
        _ path: StoragePath,
        from bytes: ByteStream,
        options: StorageWriteOptions
    ) async throws(StorageError)
        -> StorageObjectInfo
    {
        try await write(path, from: bytes, options: options, stamped: false).info
    }

    /// The write, and the stamp of the file it wrote from an `fstat` of its descriptor after the
    /// rename (which moves the change time): the stamp a reader that opens the name then sees.
    public func writeStamped(
        _ path: StoragePath,
        from bytes: ByteStream,
        options: StorageWriteOptions
    ) async throws(StorageError) -> StampedObjectInfo {
        let committed = try await write(path, from: bytes, options: options, stamped: true)
        guard let stamp = committed.stamp else { throw StorageError(.io, "the write of \"\(path)\" took no stamp", path: path.string) }
        return StampedObjectInfo(info: committed.info, stamp: stamp)
    }

    /// Writes; `stamped` also stamps the file once it has its name.
    private func write(
        _ path: StoragePath,
        from bytes: ByteStream,
        options: StorageWriteOptions,
        stamped: Bool
    ) async throws(StorageError) -> CommittedWrite {
        try options.validate(for: path)
        let temporaryName = Self.temporaryName()

        // Bytes already in memory as one buffer (a small blob) are written, made durable and put
        // in place in a single trip to the thread pool (with a second, beside it, for the
        // fsyncs of directories it created: ``DirectorySync``; or else the shared flush).
        let sharedFlush = self.sharedFlush != nil
        if let whole = bytes.wholeBuffer {
            let committed = try await run { () throws(StorageError) -> CommittedWrite in
                let target = try openTemporary(path, temporaryName, options: options)
                do throws(StorageError) {
                    try target.appender.writeOut(whole)
                    return try target.commit(options: options, stamped: stamped, names: sharedFlush ? .sharedFlush : .parent)
                } catch {
                    target.discard()
                    throw error
                }
            }
            try await finishDurability(committed.directorySyncs, flush: options.durableName, path: path, verb: "write")
            return committed
        }

        let target = try await run { () throws(StorageError) in try openTemporary(path, temporaryName, options: options) }

        // Each chunk is written while the next one is pulled (and, in an ingest, hashed), and
        // the last in the same trip to the thread pool as the commit: a body of one chunk costs
        // two trips, not three.
        let last: ByteBuffer?
        do {
            last = try await writeAllButLast(bytes, to: target.appender)
        } catch {
            await runCleanUp(target.discard)
            throw .writeSourceFailed(error, path: path)
        }

        // Make it durable, give it its mode and owner, then put it in place atomically.
        let final = last
        let committed: CommittedWrite
        do {
            committed = try await run { () throws(StorageError) -> CommittedWrite in
                if let final { try target.appender.writeOut(final) }
                // A streamed write is large: under the shared flush it makes its own name durable
                // (``syncDirectories(from:)``) rather than flush the whole file system.
                let committed = try target.commit(options: options, stamped: stamped, names: sharedFlush ? .caller : .parent)
                if sharedFlush && options.durableName {
                    do { try syncDirectories(from: path.parent) } catch { throw .from(error, .create, path: path, verb: "write") }
                }
                return committed
            }
        } catch {
            await runCleanUp(target.discard)
            throw error
        }
        try await Self.waitForDirectories(committed.directorySyncs, path: path, verb: "write")
        return committed
    }

    /// Waits for what makes a write, move or commit durable after its trip to the pool: the
    /// shared flush when the backend has one and `flush` asks for it, then the fsyncs of the
    /// directories on its path (``waitForDirectories(_:path:verb:)``, which a shared flush
    /// leaves empty: the flush covers every directory created before it started).
    func finishDurability(_ syncs: [DirectorySync], flush: Bool, path: StoragePath, verb: String) async throws(StorageError) {
        if flush, let sharedFlush {
            do {
                try await sharedFlush.wait()
            } catch {
                throw .from(error, .create, path: path, verb: verb)
            }
        }
        try await Self.waitForDirectories(syncs, path: path, verb: verb)
    }

    /// Waits for the fsyncs that make the directories on a write's path durable
    /// (``DirectorySync``): the write's own, of the directories it created, and those still
    /// pending from other writers that created one moments before. The write is durable only
    /// once they have ended.
    static func waitForDirectories(_ syncs: [DirectorySync], path: StoragePath, verb: String) async throws(StorageError) {
        guard !syncs.isEmpty else { return }
        do {
            try await DirectorySync.waitForAll(syncs)
        } catch {
            throw .from(error, .create, path: path, verb: verb)
        }
    }

    /// Looks the owner up (which may query a directory service), resolves the parent (creating
    /// what is missing, and starting the fsyncs that make it durable), refuses early what the
    /// commit would refuse, and opens the temporary. Blocking.
    private func openTemporary(
        _ path: StoragePath,
        _ temporaryName: String,
        options: StorageWriteOptions
    ) throws(StorageError) -> PendingWrite {
        let owner = try options.owner?.resolved()
        do {
            // The directories this creates are made durable beside the write, not before it.
            let (parent, directorySyncs) = try openDirectoryCreating(path.parent)
            if let existing = try? Sys.fstatat(parent.raw, path.name) {
                if Sys.isSymlink(existing) {
                    // Renaming over a link replaces the link, never its target; still, a
                    // link that leads out is refused like every other way out.
                    do { _ = try resolve(path, flags: O_PATH) } catch  where error.escapesRoot { throw error } catch {}
                }
                if Sys.isDirectory(existing) {
                    throw StorageError(.alreadyExists, "cannot write \"\(path)\": a directory is there", path: path.string)
                }
                if !options.overwrite {
                    throw StorageError(.alreadyExists, "an object exists at \"\(path)\"", path: path.string)
                }
            }
            let file = try Sys.openat(
                parent.raw,
                temporaryName,
                O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW,
                options.mode == nil ? 0o666 : 0o600
            )
            return PendingWrite(
                path: path,
                temporaryName: temporaryName,
                owner: owner,
                parent: parent,
                file: file,
                directorySyncs: directorySyncs
            )
        } catch {
            throw .from(error, .create, path: path, verb: "write")
        }
    }
}

/// What a committed write answers, whole or streamed alike: the object, its stamp when one was
/// asked for, and the fsyncs of the directories on its path, which the caller waits for.
private struct CommittedWrite: Sendable {
    var info: StorageObjectInfo
    var stamp: StorageChangeStamp?
    var directorySyncs: [DirectorySync]
}

/// Who makes a committed write's name durable (when its options ask for that).
private enum NameDurability {
    /// The commit, with an fsync of the parent directory (`sync=file`; the directories it
    /// created are the ``DirectorySync``s the caller waits for).
    case parent
    /// The shared flush the caller waits for afterwards, which also takes a new object's bytes.
    case sharedFlush
    /// The caller, with ``FileSystemBackend/syncDirectories(from:)`` in the same trip (a large
    /// write under the shared flush).
    case caller
}

/// A write in progress: its temporary, open in the target's directory. Its methods block; they
/// run on the thread pool.
private final class PendingWrite: Sendable {
    let path: StoragePath
    let temporaryName: String
    let owner: (uid: UInt32?, gid: UInt32?)?
    let parent: OwnedDescriptor
    let file: OwnedDescriptor
    /// Writes the bytes, in order.
    let appender: FileAppender
    /// The fsyncs the write waits for before it answers: of the directories opening the
    /// temporary created, and of those other writers created on its path moments before.
    let directorySyncs: [DirectorySync]

    init(
        path: StoragePath,
        temporaryName: String,
        owner: (uid: UInt32?, gid: UInt32?)?,
        parent: OwnedDescriptor,
        file: OwnedDescriptor,
        directorySyncs: [DirectorySync]
    ) {
        self.path = path
        self.temporaryName = temporaryName
        self.owner = owner
        self.parent = parent
        self.file = file
        self.directorySyncs = directorySyncs
        appender = FileAppender(file: file, path: path, verb: "write")
    }

    /// Makes the bytes durable, gives them their mode and owner, then puts them in place
    /// atomically; `stamped` stamps the file after the rename.
    func commit(options: StorageWriteOptions, stamped: Bool, names: NameDurability) throws(StorageError) -> CommittedWrite {
        do {
            // Under the shared flush a new object's bytes and name are flushed together, after
            // the rename: a crash before that leaves at worst a name whose bytes are incomplete,
            // for an object nobody was told is stored, which content-addressed callers prove
            // before they trust it. The bytes of an object that replaces another (a crash after
            // the rename must not leave the name with neither) and of a temporary whose name
            // need not survive are fsynced here in every case.
            if names != .sharedFlush || options.overwrite || !options.durableName {
                try Sys.fsync(file.raw)
            }
            try Sys.setOwnerAndMode(file.raw, owner: owner, mode: options.mode)
            let info = try Sys.fstat(file.raw)
            if options.overwrite {
                try Sys.rename(parent.raw, temporaryName, parent.raw, path.name)
            } else {
                try Sys.renameNoReplace(parent.raw, temporaryName, parent.raw, path.name)
            }
            if options.durableName && names == .parent {
                try Sys.fsync(parent.raw)
            }
            let stamp = stamped ? FileSystemBackend.stamp(try Sys.fstat(file.raw)) : nil
            return CommittedWrite(info: FileSystemBackend.objectInfo(path, info), stamp: stamp, directorySyncs: directorySyncs)
        } catch {
            throw .from(error, .create, path: path, verb: "write")
        }
    }

    /// Removes the temporary.
    @Sendable func discard() {
        _ = unlinkat(parent.raw, temporaryName, 0)
    }
}
