import ArtifactStorage
import Glibc

extension FileSystemBackend {
    /// Removes `.artifactstore-tmp-…` files beneath the root that this process did not create:
    /// what a crash or a kill left between creating a temporary and renaming it. Walks every
    /// directory without following symlinks. Returns how many it removed.
    ///
    /// A root belongs to one process at a time; another live process writing under the same
    /// root would lose its in-flight writes.
    func removeAbandonedTemporaries() async throws(StorageError) -> Int {
        try await run { () throws(StorageError) in
            do {
                return try sweep(try Sys.openat(root.raw, ".", O_RDONLY | O_DIRECTORY), depth: 0)
            } catch {
                throw .from(error, .lookUp, path: nil, verb: "clean up temporary files in")
            }
        }
    }

    private func sweep(_ directory: OwnedDescriptor, depth: Int) throws(SystemCallError) -> Int {
        guard depth < StoragePath.maximumLength / 2 else { return 0 }
        var removed = 0
        for name in try Sys.directoryNames(directory.raw) {
            if name.hasPrefix(Self.temporaryPrefix) {
                guard !name.hasPrefix(Self.temporaryPrefix + Self.instanceToken) else { continue }
                guard let info = try? Sys.fstatat(directory.raw, name), Sys.isRegular(info) else { continue }
                if unlinkat(directory.raw, name, 0) == 0 { removed += 1 }
                continue
            }
            guard let info = try? Sys.fstatat(directory.raw, name), Sys.isDirectory(info) else { continue }
            guard let child = try? Sys.openat(directory.raw, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW) else { continue }
            removed += try sweep(child, depth: depth + 1)
        }
        if removed > 0 { try? Sys.fsync(directory.raw) }
        return removed
    }
}
