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
        try options.validate(for: path)
        let temporaryName = Self.temporaryName()

        // Bytes already in memory as one buffer (a small blob) are written, made durable and put
        // in place in a single trip to the thread pool.
        if let whole = bytes.wholeBuffer {
            return try await run { () throws(StorageError) -> StorageObjectInfo in
                let target = try openTemporary(path, temporaryName, options: options)
                do throws(StorageError) {
                    try target.writeOut(whole)
                    return try target.commit(options: options)
                } catch {
                    target.discard()
                    throw error
                }
            }
        }

        let target = try await run { () throws(StorageError) in try openTemporary(path, temporaryName, options: options) }

        // Each chunk is written once the next one has arrived, so the last is written in the
        // same trip to the thread pool as the commit: a body of one chunk costs two trips, not three.
        var last: ByteBuffer?
        do {
            for try await chunk in bytes {
                if Task.isCancelled { throw CancellationError() }
                guard chunk.readableBytes > 0 else { continue }
                if let previous = last {
                    try await run { () throws(StorageError) in try target.writeOut(previous) }
                }
                last = chunk
            }
            if Task.isCancelled { throw CancellationError() }
        } catch {
            await runCleanUp(target.discard)
            throw .writeSourceFailed(error, path: path)
        }

        // Make it durable, give it its mode and owner, then put it in place atomically.
        let final = last
        do {
            return try await run { () throws(StorageError) -> StorageObjectInfo in
                if let final { try target.writeOut(final) }
                return try target.commit(options: options)
            }
        } catch {
            await runCleanUp(target.discard)
            throw error
        }
    }

    /// Looks the owner up (which may query a directory service), resolves (creating) the parent,
    /// refuses early what the commit would refuse, and opens the temporary. Blocking.
    private func openTemporary(
        _ path: StoragePath,
        _ temporaryName: String,
        options: StorageWriteOptions
    ) throws(StorageError) -> PendingWrite {
        let owner = try options.owner?.resolved()
        do {
            let parent = try openDirectory(path.parent, create: true)
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
            return PendingWrite(path: path, temporaryName: temporaryName, owner: owner, parent: parent, file: file)
        } catch {
            throw .from(error, .create, path: path, verb: "write")
        }
    }
}

/// A write in progress: its temporary, open in the target's directory. Its methods block; they
/// run on the thread pool.
private final class PendingWrite: Sendable {
    let path: StoragePath
    let temporaryName: String
    let owner: (uid: UInt32?, gid: UInt32?)?
    let parent: OwnedDescriptor
    let file: OwnedDescriptor
    /// Bytes written, and how many of them the device has been asked to take already.
    let progress = Mutex<(written: Int64, writebackStarted: Int64)>((0, 0))

    init(path: StoragePath, temporaryName: String, owner: (uid: UInt32?, gid: UInt32?)?, parent: OwnedDescriptor, file: OwnedDescriptor) {
        self.path = path
        self.temporaryName = temporaryName
        self.owner = owner
        self.parent = parent
        self.file = file
    }

    func writeOut(_ chunk: ByteBuffer) throws(StorageError) {
        do {
            try chunk.withUnsafeReadableBytes { pointer throws(SystemCallError) in try Sys.writeAll(file.raw, pointer) }
        } catch {
            throw .from(error, .create, path: path, verb: "write")
        }
        let writeback = progress.withLock { progress -> (from: Int64, to: Int64)? in
            progress.written += Int64(chunk.readableBytes)
            guard progress.written - progress.writebackStarted >= FileSystemBackend.writebackInterval else { return nil }
            defer { progress.writebackStarted = progress.written }
            return (progress.writebackStarted, progress.written)
        }
        if let writeback {
            // Overlap the device's work with the stream's instead of leaving it all to the
            // final fsync; a failure here only loses that overlap.
            _ = artifactstore_start_writeback(file.raw, writeback.from, writeback.to - writeback.from)
        }
    }

    /// Makes the bytes durable, gives them their mode and owner, then puts them in place atomically.
    func commit(options: StorageWriteOptions) throws(StorageError) -> StorageObjectInfo {
        do {
            try Sys.fsync(file.raw)
            try Sys.setOwnerAndMode(file.raw, owner: owner, mode: options.mode)
            let info = try Sys.fstat(file.raw)
            if options.overwrite {
                try Sys.rename(parent.raw, temporaryName, parent.raw, path.name)
            } else {
                try Sys.renameNoReplace(parent.raw, temporaryName, parent.raw, path.name)
            }
            if options.durableName {
                try Sys.fsync(parent.raw)
            }
            return FileSystemBackend.objectInfo(path, info)
        } catch {
            throw .from(error, .create, path: path, verb: "write")
        }
    }

    /// Removes the temporary.
    @Sendable func discard() {
        _ = unlinkat(parent.raw, temporaryName, 0)
    }
}
