public import ArtifactStorage
import Glibc

extension FileSystemBackend {
    public func list(
        under prefix: StoragePath?,
        recursive: Bool,
        limit: Int,
        cursor: String?
    ) async throws(StorageError)
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
                if recursive {
                    let cursorBytes = cursor.map { Array($0.utf8) }
                    _ = try collectInOrder(
                        directory,
                        segments: prefix?.segments ?? [],
                        after: cursorBytes,
                        wanted: Swift.max(1, limit) + 1,
                        into: &entries
                    )
                } else {
                    try collectChildren(directory, segments: prefix?.segments ?? [], into: &entries)
                }
            } catch {
                throw .from(error, .lookUp, path: prefix, verb: "list")
            }
            return entries
        }
        let sorted = entries.sorted { $0.path < $1.path }
        return StorageListPage.page(of: sorted, limit: limit, cursor: cursor)
    }

    /// Adds, in byte-wise order of their paths, the objects beneath `directory` that come after
    /// `cursor`, stopping once `wanted` have been found; returns whether it stopped early.
    ///
    /// Children are visited sorted by their name, with `/` appended for directories: that makes
    /// a depth-first walk yield full paths in byte-wise order, so a page costs the entries it
    /// returns plus the directories on the way, not the whole tree, and subtrees that lie
    /// entirely before the cursor are never opened.
    private func collectInOrder(
        _ directory: OwnedDescriptor,
        segments: [String],
        after cursor: [UInt8]?,
        wanted: Int,
        into entries: inout [StorageEntry]
    ) throws(SystemCallError) -> Bool {
        var children: [(name: String, key: [UInt8], info: Glibc.stat)] = []
        for name in try Sys.directoryNames(directory.raw) where !name.hasPrefix(Self.temporaryPrefix) {
            guard let info = try? Sys.fstatat(directory.raw, name) else { continue }
            if Sys.isRegular(info) {
                children.append((name, Array(name.utf8), info))
            } else if Sys.isDirectory(info) {
                children.append((name, Array(name.utf8) + [UInt8(ascii: "/")], info))
            }
        }
        children.sort { $0.key.lexicographicallyPrecedes($1.key) }
        for child in children {
            guard let path = try? StoragePath(segments: segments + [child.name]) else { continue }
            let bytes = path.bytes
            if Sys.isRegular(child.info) {
                if let cursor, !cursor.lexicographicallyPrecedes(bytes) { continue }
                entries.append(StorageEntry(path: path, kind: .object, size: UInt64(child.info.st_size), modified: child.info.st_mtim.date))
                if entries.count >= wanted { return true }
            } else {
                let subtree = bytes + [UInt8(ascii: "/")]
                if let cursor, !cursor.starts(with: subtree), subtree.lexicographicallyPrecedes(cursor) { continue }
                guard let child = try? Sys.openat(directory.raw, child.name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) else { continue }
                if try collectInOrder(child, segments: path.segments, after: cursor, wanted: wanted, into: &entries) { return true }
            }
        }
        return false
    }

    /// Adds the immediate children of `directory` (at `segments` below the root): objects and
    /// directories. Symbolic links and other non-regular files are skipped, as are names that
    /// are not valid path segments.
    private func collectChildren(
        _ directory: OwnedDescriptor,
        segments: [String],
        into entries: inout [StorageEntry]
    ) throws(SystemCallError) {
        for name in try Sys.directoryNames(directory.raw) where !name.hasPrefix(Self.temporaryPrefix) {
            guard let path = try? StoragePath(segments: segments + [name]) else { continue }
            guard let info = try? Sys.fstatat(directory.raw, name) else { continue }
            if Sys.isRegular(info) {
                entries.append(StorageEntry(path: path, kind: .object, size: UInt64(info.st_size), modified: info.st_mtim.date))
            } else if Sys.isDirectory(info) {
                entries.append(StorageEntry(path: path, kind: .directory, modified: info.st_mtim.date))
            }
        }
    }
}
