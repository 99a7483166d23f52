import ArtifactStorage
import Glibc

extension FileSystemBackend {
    public func list(under prefix: StoragePath?, recursive: Bool, limit: Int, cursor: String?) async throws(StorageError)
        -> StorageListPage
    {
        let entries = try await run { () throws(StorageError) -> [StorageEntry] in
            let directory: OwnedDescriptor
            do {
                if let prefix {
                    directory = try resolve(prefix, flags: O_RDONLY | O_DIRECTORY)
                } else {
                    directory = try Sys.openat(root.raw, ".", O_RDONLY | O_DIRECTORY)
                }
            } catch let error as SystemCallError where error.errno == ENOENT || error.errno == ENOTDIR {
                return []
            } catch {
                throw .from(error, .lookUp, path: prefix, verb: "list")
            }
            var entries: [StorageEntry] = []
            do {
                try collect(directory, segments: prefix?.segments ?? [], recursive: recursive, into: &entries)
            } catch {
                throw .from(error, .lookUp, path: prefix, verb: "list")
            }
            return entries
        }
        let sorted = entries.sorted { $0.path < $1.path }
        return StorageListPage.page(of: sorted, limit: limit, cursor: cursor)
    }

    /// Adds the entries of `directory` (at `segments` below the root). Symbolic links and other
    /// non-regular files are skipped, as are names that are not valid path segments; recursion
    /// opens each subdirectory with `O_NOFOLLOW` relative to its parent.
    private func collect(
        _ directory: OwnedDescriptor,
        segments: [String],
        recursive: Bool,
        into entries: inout [StorageEntry]
    ) throws(SystemCallError) {
        for name in try Sys.directoryNames(directory.raw) where !name.hasPrefix(Self.temporaryPrefix) {
            guard let path = try? StoragePath(segments: segments + [name]) else { continue }
            guard let info = try? Sys.fstatat(directory.raw, name) else { continue }
            if Sys.isRegular(info) {
                entries.append(StorageEntry(path: path, kind: .object, size: UInt64(info.st_size), modified: info.st_mtim.date))
            } else if Sys.isDirectory(info) {
                if recursive {
                    guard let child = try? Sys.openat(directory.raw, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) else { continue }
                    try collect(child, segments: path.segments, recursive: true, into: &entries)
                } else {
                    entries.append(StorageEntry(path: path, kind: .directory, modified: info.st_mtim.date))
                }
            }
        }
    }
}
