import ArtifactStorage
import ArtifactStoreCore
import CArtifactStorageFileSystem
import Glibc
import NIOCore

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

        do {
            // Bytes written, and how many of them the device has been asked to take already.
            var written: Int64 = 0
            var writebackStarted: Int64 = 0
            for try await chunk in bytes {
                if Task.isCancelled { throw CancellationError() }
                guard chunk.readableBytes > 0 else { continue }
                written += Int64(chunk.readableBytes)
                let writeback = written - writebackStarted >= Self.writebackInterval ? (from: writebackStarted, to: written) : nil
                if let writeback { writebackStarted = writeback.to }
                try await run { () throws(StorageError) in
                    do {
                        try chunk.withUnsafeReadableBytes { pointer throws(SystemCallError) in try Sys.writeAll(file.raw, pointer) }
                    } catch {
                        throw .from(error, .create, path: path, verb: "write")
                    }
                    if let writeback {
                        // Overlap the device's work with the stream's instead of leaving it all
                        // to the final fsync; a failure here only loses that overlap.
                        _ = artifactstore_start_writeback(file.raw, writeback.from, writeback.to - writeback.from)
                    }
                }
            }
            if Task.isCancelled { throw CancellationError() }
        } catch {
            await runCleanUp(discard)
            throw .writeSourceFailed(error, path: path)
        }

        // Make it durable, give it its mode and owner, then put it in place atomically.
        do {
            return try await run { () throws(StorageError) -> StorageObjectInfo in
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
