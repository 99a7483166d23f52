import ArtifactStorage
import ArtifactStoreCore
import CArtifactStorageFileSystem
import Glibc
import NIOCore
import Synchronization

extension FileSystemBackend {
    @discardableResult
    public func write(_ path: StoragePath, from bytes: ByteStream, options: StorageWriteOptions) async throws(StorageError)
        -> StorageObjectInfo
    {
        try options.validate(for: path)
        let temporaryName = Self.temporaryName()

        // Look the owner up (which may query a directory service), resolve (creating) the parent,
        // refuse early what the commit would refuse, open the temporary.
        let (owner, parent, file) = try await run { () throws(StorageError) -> ((uid: UInt32?, gid: UInt32?)?, OwnedDescriptor, OwnedDescriptor) in
            let owner = try options.owner?.resolved()
            do {
                let parent = try openDirectory(path.parent, create: true)
                if let existing = try? Sys.fstatat(parent.raw, path.name) {
                    if Sys.isSymlink(existing) {
                        // Renaming over a link replaces the link, never its target; still, a
                        // link that leads out is refused like every other way out.
                        do { _ = try resolve(path, flags: O_PATH) } catch let error as SystemCallError where error.escapesRoot { throw error } catch {}
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
                return (owner, parent, file)
            } catch {
                throw .from(error, .create, path: path, verb: "write")
            }
        }

        @Sendable func discard() {
            _ = unlinkat(parent.raw, temporaryName, 0)
        }

        // Bytes written, and how many of them the device has been asked to take already.
        // Blocking work; runs on the thread pool.
        let progress = Mutex<(written: Int64, writebackStarted: Int64)>((0, 0))
        @Sendable func writeOut(_ chunk: ByteBuffer) throws(StorageError) {
            do {
                try chunk.withUnsafeReadableBytes { pointer throws(SystemCallError) in try Sys.writeAll(file.raw, pointer) }
            } catch {
                throw .from(error, .create, path: path, verb: "write")
            }
            let writeback = progress.withLock { progress -> (from: Int64, to: Int64)? in
                progress.written += Int64(chunk.readableBytes)
                guard progress.written - progress.writebackStarted >= Self.writebackInterval else { return nil }
                defer { progress.writebackStarted = progress.written }
                return (progress.writebackStarted, progress.written)
            }
            if let writeback {
                // Overlap the device's work with the stream's instead of leaving it all to the
                // final fsync; a failure here only loses that overlap.
                _ = artifactstore_start_writeback(file.raw, writeback.from, writeback.to - writeback.from)
            }
        }

        // Each chunk is written once the next one has arrived, so the last is written in the
        // same trip to the thread pool as the commit: a body of one chunk (most small uploads)
        // costs two trips, not three.
        var last: ByteBuffer?
        do {
            for try await chunk in bytes {
                if Task.isCancelled { throw CancellationError() }
                guard chunk.readableBytes > 0 else { continue }
                if let previous = last {
                    try await run { () throws(StorageError) in try writeOut(previous) }
                }
                last = chunk
            }
            if Task.isCancelled { throw CancellationError() }
        } catch {
            await runCleanUp(discard)
            throw .writeSourceFailed(error, path: path)
        }

        // Make it durable, give it its mode and owner, then put it in place atomically.
        let final = last
        do {
            return try await run { () throws(StorageError) -> StorageObjectInfo in
                if let final { try writeOut(final) }
                do {
                    try Sys.fsync(file.raw)
                    if let owner, owner.uid != nil || owner.gid != nil {
                        try Sys.retrying("chown") { fchown(file.raw, owner.uid ?? UInt32.max, owner.gid ?? UInt32.max) }
                    }
                    if let mode = options.mode {
                        try Sys.retrying("chmod") { fchmod(file.raw, mode_t(mode)) }
                    }
                    let info = try Sys.fstat(file.raw)
                    if options.overwrite {
                        try Sys.rename(parent.raw, temporaryName, parent.raw, path.name)
                    } else {
                        try Sys.renameNoReplace(parent.raw, temporaryName, parent.raw, path.name)
                    }
                    if options.durableName {
                        try Sys.fsync(parent.raw)
                    }
                    return Self.objectInfo(path, info)
                } catch {
                    throw .from(error, .create, path: path, verb: "write")
                }
            }
        } catch {
            await runCleanUp(discard)
            throw error
        }
    }
}
