public import ArtifactStorage
public import ArtifactStoreCore
import CArtifactStorageFileSystem
import Glibc
import NIOCore

/// Staged objects as one file appended to in place: each append writes at its offset and is made
/// durable with `fsync`; the commit cuts the file to the acknowledged length and renames it into
/// place, so the object's bytes are written once and never read back.
extension FileSystemBackend {
    public func appendStaged(_ path: StoragePath, at offset: UInt64, from bytes: ByteStream) async throws(StorageError) -> UInt64 {
        let sharedFlush = self.sharedFlush != nil
        let (file, directorySyncs) = try await run { () throws(StorageError) -> (OwnedDescriptor, [DirectorySync]) in
            do {
                // The first append may create the staging directory: durable with the bytes.
                let (parent, directorySyncs) = offset == 0 ? try openDirectoryCreating(path.parent) : (try openDirectory(path.parent), [])
                let file = try Sys.openat(parent.raw, path.name, O_WRONLY | (offset == 0 ? O_CREAT : 0) | O_NOFOLLOW, 0o666)
                let info = try Sys.fstat(file.raw)
                guard Sys.isRegular(info) else {
                    throw StorageError(.alreadyExists, "cannot append to \"\(path)\": it is not a staged file", path: path.string)
                }
                guard UInt64(info.st_size) >= offset else {
                    throw StorageError(
                        .invalidRange,
                        "cannot append at byte \(offset) of staged object \"\(path)\": it holds \(info.st_size) bytes",
                        path: path.string
                    )
                }
                // Bytes past `offset` were never acknowledged: cut them, then write from there.
                try Sys.retrying("ftruncate") { ftruncate(file.raw, off_t(offset)) }
                guard lseek(file.raw, off_t(offset), SEEK_SET) == off_t(offset) else {
                    throw SystemCallError(errno: errno, operation: "lseek")
                }
                // Under the shared flush, the new entry and every directory above it are fsynced
                // here (a staged object is large: no flush of the whole file system).
                if offset == 0 { try sharedFlush ? syncDirectories(from: path.parent) : Sys.fsync(parent.raw) }
                return (file, directorySyncs)
            } catch let error as StorageError {
                throw error
            } catch let error as SystemCallError where error.errno == ENOENT && !error.escapesRoot {
                throw StorageError(
                    .invalidRange,
                    "cannot append at byte \(offset) of staged object \"\(path)\": there is none",
                    path: path.string,
                    underlying: error
                )
            } catch {
                throw .from(error, offset == 0 ? .create : .lookUp, path: path, verb: "append to")
            }
        }
        let appender = FileAppender(file: file, path: path, verb: "append to", at: Int64(offset))
        do {
            // As a write does: each piece is written while the next is pulled (and hashed), and
            // the device starts on every few MiB while the stream goes on, so the fsync at the end
            // has little left to wait for; the last piece is written in the fsync's trip.
            let last = try await writeAllButLast(bytes, to: appender)
            try await run { () throws(StorageError) in
                if let last { try appender.writeOut(last) }
                do { try Sys.fsync(file.raw) } catch { throw .from(error, .create, path: path, verb: "append to") }
            }
        } catch {
            // Back to the length the caller knows; what was written past it is not kept.
            await runCleanUp { _ = ftruncate(file.raw, off_t(offset)) }
            if let error = error as? StorageError { throw error }
            throw .writeSourceFailed(error, path: path)
        }
        try await Self.waitForDirectories(directorySyncs, path: path, verb: "append to")
        return UInt64(appender.written)
    }

    public func stagedLength(_ path: StoragePath) async throws(StorageError) -> UInt64? {
        do {
            return try await stat(path).size
        } catch  where error.kind == .objectNotFound {
            return nil
        }
    }

    public func readStaged(_ path: StoragePath, range: ClosedRange<UInt64>?) async throws(StorageError) -> ByteStream {
        try await read(path, range: range)
    }

    @discardableResult
    public func commitStaged(
        _ path: StoragePath,
        length: UInt64,
        to destination: StoragePath,
        options: StorageWriteOptions
    )
        async throws(StorageError) -> StorageObjectInfo
    {
        try options.validate(for: destination)
        let owner = try options.owner?.resolved()
        let sharedFlush = self.sharedFlush != nil
        let (committed, directorySyncs) = try await run { () throws(StorageError) -> (StorageObjectInfo, [DirectorySync]) in
            do {
                let parent = try openDirectory(path.parent)
                let file = try Sys.openat(parent.raw, path.name, O_WRONLY | O_NOFOLLOW)
                let info = try Sys.fstat(file.raw)
                guard Sys.isRegular(info), UInt64(info.st_size) >= length else {
                    throw StorageError(
                        .invalidRange,
                        "cannot commit \(length) bytes of staged object \"\(path)\": it holds \(info.st_size) bytes",
                        path: path.string
                    )
                }
                let (destinationParent, directorySyncs) = try openDirectoryCreating(destination.parent)
                if let existing = try? Sys.fstatat(destinationParent.raw, destination.name) {
                    if Sys.isDirectory(existing) {
                        throw StorageError(
                            .alreadyExists,
                            "cannot commit onto \"\(destination)\": a directory is there",
                            path: destination.string
                        )
                    }
                    if !options.overwrite {
                        throw StorageError(.alreadyExists, "an object exists at \"\(destination)\"", path: destination.string)
                    }
                }
                if UInt64(info.st_size) > length {
                    try Sys.retrying("ftruncate") { ftruncate(file.raw, off_t(length)) }
                    try Sys.fsync(file.raw)
                }
                try Sys.setOwnerAndMode(file.raw, owner: owner, mode: options.mode)
                let committed = try Sys.fstat(file.raw)
                if options.overwrite {
                    try Sys.rename(parent.raw, path.name, destinationParent.raw, destination.name)
                } else {
                    try Sys.renameNoReplace(parent.raw, path.name, destinationParent.raw, destination.name)
                }
                if options.durableName {
                    try sharedFlush ? syncDirectories(from: destination.parent) : Sys.fsync(destinationParent.raw)
                }
                return (FileSystemBackend.objectInfo(destination, committed), directorySyncs)
            } catch let error as StorageError {
                throw error
            } catch {
                throw .from(error, .create, path: destination, verb: "commit staged object \"\(path)\" to")
            }
        }
        try await Self.waitForDirectories(directorySyncs, path: destination, verb: "commit staged object \"\(path)\" to")
        return committed
    }

    public func discardStaged(_ path: StoragePath) async throws(StorageError) {
        do {
            try await delete(path)
        } catch  where error.kind == .objectNotFound {
            // Never staged, or already committed or discarded.
        }
    }
}
