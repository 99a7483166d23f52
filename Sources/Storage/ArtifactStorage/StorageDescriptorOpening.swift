#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
public import Musl
#endif

/// A file descriptor this process owns, closed exactly once when the last reference goes.
package final class OwnedDescriptor: Sendable {
    package let raw: Int32

    package init(_ raw: Int32) {
        self.raw = raw
    }

    deinit {
        _ = close(raw)
    }
}

/// An object opened read-only, with its stamp as it was opened.
package struct OpenedStorageFile: Sendable {
    package var descriptor: OwnedDescriptor
    package var stamp: StorageChangeStamp

    package init(descriptor: OwnedDescriptor, stamp: StorageChangeStamp) {
        self.descriptor = descriptor
        self.stamp = stamp
    }
}

/// A backend whose objects are local files, which it can open read-only for a reader in another
/// process (the data plane daemon passes the descriptor to its client over a Unix socket).
///
/// Exists so a whole read can skip the copies through the daemon's socket while the backend
/// alone still decides what is opened: the object at `path`, resolved beneath its root the way
/// every other read is, read-only, and nothing else.
package protocol StorageDescriptorOpening: StorageBackend {
    /// Opens the regular file at `path` read-only (close-on-exec). `objectNotFound` when there is none.
    func openForReading(_ path: StoragePath) async throws(StorageError) -> OpenedStorageFile
}
