public import ArtifactStorage
import Glibc

extension FileSystemBackend {
    /// Fsyncs the object at `path`, then every directory from its parent up to the root.
    ///
    /// A writer puts its file in place with a rename and only then fsyncs the directory, and a
    /// write that created shard directories fsyncs their parents beside its own fsyncs
    /// (``DirectorySync``). In between, another ingest of the same bytes (in this process or on
    /// another node sharing the root) already sees the object. Fsyncing the whole chain here
    /// makes the name durable whoever wrote it: a directory whose changes are already durable
    /// costs one flush request and nothing is written. Only a duplicate ingest pays this, and
    /// it has just read the whole object to prove it.
    ///
    /// Under a shared flush, the object is checked and the next flush covers it and every
    /// directory above it.
    public func makeDurable(_ path: StoragePath) async throws(StorageError) {
        let sharedFlush = self.sharedFlush != nil
        try await run { () throws(StorageError) in
            do {
                // Each descriptor closes when its owner goes: kept alive across its fsync.
                let file = try resolve(path, flags: O_RDONLY | O_NOFOLLOW)
                try withExtendedLifetime(file) { () throws(any Error) in
                    guard Sys.isRegular(try Sys.fstat(file.raw)) else {
                        throw StorageError(
                            .objectNotFound,
                            "no object at \"\(path)\"; something other than a file is there",
                            path: path.string
                        )
                    }
                    if !sharedFlush { try Sys.fsync(file.raw) }
                }
                guard !sharedFlush else { return }
                try syncDirectories(from: path.parent)
            } catch {
                throw .from(error, .lookUp, path: path, verb: "make durable")
            }
        }
        try await finishDurability([], flush: true, path: path, verb: "make durable")
    }

    /// Fsyncs the directory at `path` (the root when `nil`) and every directory above it up to
    /// the root, whoever created them: what makes a name durable without the shared flush and
    /// without knowing which of its directories are new. Blocking.
    ///
    /// Under the shared flush, large writes (streamed, moved into place, staged) use this
    /// instead of the flush: their bytes are fsynced on their own anyway, and a flush of the
    /// whole file system would also write back whatever else is dirty there (a gigabyte another
    /// program wrote moments before). A clean directory costs one flush request of the device.
    func syncDirectories(from path: StoragePath?) throws(SystemCallError) {
        var directory = path
        while true {
            let opened = try openDirectory(directory)
            try withExtendedLifetime(opened) { () throws(SystemCallError) in try Sys.fsync(opened.raw) }
            guard let current = directory else { break }
            directory = current.parent
        }
    }
}
