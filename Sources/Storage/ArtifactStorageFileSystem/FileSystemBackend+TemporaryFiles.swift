public import ArtifactStorage
import CArtifactStorageFileSystem
import Glibc

extension FileSystemBackend {
    /// Removes `.artifactstore-tmp-…` files beneath the root that `rule` allows removing: what a
    /// crash or a kill left between creating a temporary and renaming it. Walks every directory
    /// without following symlinks. Returns how many it removed.
    ///
    /// A root may be shared by several servers (`docs/operations.md`): each temporary's name
    /// carries its writer (``StorageWriterIdentity``), so this process's own writes are never
    /// touched, a dead writer's on this machine are removed at once, and any other's only once
    /// it has been still for `rule.minimumAge`.
    public func removeAbandonedTemporaries(_ rule: AbandonedTemporaryRule) async throws(StorageError) -> Int {
        try await run { () throws(StorageError) in
            do {
                var now = timespec()
                clock_gettime(CLOCK_REALTIME, &now)
                let seconds = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
                return try sweep(try Sys.openat(root.raw, ".", O_RDONLY | O_DIRECTORY), depth: 0, rule: rule, now: seconds)
            } catch {
                throw .from(error, .lookUp, path: nil, verb: "clean up temporary files in")
            }
        }
    }

    private func sweep(_ directory: OwnedDescriptor, depth: Int, rule: AbandonedTemporaryRule, now: Double) throws(SystemCallError) -> Int {
        guard depth < StoragePath.maximumLength / 2 else { return 0 }
        var removed = 0
        for name in try Sys.directoryNames(directory.raw) {
            if name.hasPrefix(Self.temporaryPrefix) {
                guard let info = try? Sys.fstatat(directory.raw, name), Sys.isRegular(info) else { continue }
                let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
                guard rule.allowsRemoving(writer: Self.writer(ofTemporary: name), modifiedAt: modified, now: now) else { continue }
                if unlinkat(directory.raw, name, 0) == 0 { removed += 1 }
                continue
            }
            guard let info = try? Sys.fstatat(directory.raw, name), Sys.isDirectory(info) else { continue }
            guard let child = try? Sys.openat(directory.raw, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) else { continue }
            removed += try sweep(child, depth: depth + 1, rule: rule, now: now)
        }
        if removed > 0 { try? Sys.fsync(directory.raw) }
        return removed
    }

    /// The writer token in a temporary's name (`<prefix><token>-<random>`), or `nil` for a name
    /// written before tokens existed.
    static func writer(ofTemporary name: String) -> String? {
        let rest = name.dropFirst(temporaryPrefix.count)
        guard let dash = rest.lastIndex(of: "-") else { return nil }
        return String(rest[..<dash])
    }
}
