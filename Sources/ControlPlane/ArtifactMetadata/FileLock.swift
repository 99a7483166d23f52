#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
public import Musl
#elseif canImport(Darwin)
public import Darwin
#endif

/// An exclusive, non-blocking `flock(2)` on a file, held until ``release()``.
///
/// Exists so processes sharing one SQLite database can exclude each other (one garbage collector
/// at a time) the way PostgreSQL advisory locks do: the kernel drops the lock when the holder
/// dies, so a crash never leaves it held.
final class FileLock: Sendable {
    private let descriptor: Int32

    /// Takes the lock, creating the file if needed; `nil` when someone else holds it.
    init?(path: String) throws(MetadataStoreError) {
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw MetadataStoreError(.databaseUnavailable, "cannot open lock file \"\(path)\" (errno \(errno))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        self.descriptor = descriptor
    }

    /// Whether another descriptor holds the lock on `path` exclusively, found by taking a shared
    /// lock without waiting and dropping it at once; `false` when the file does not exist.
    static func isHeld(path: String) throws(MetadataStoreError) -> Bool {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { return false }
            throw MetadataStoreError(.databaseUnavailable, "cannot open lock file \"\(path)\" (errno \(errno))")
        }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_SH | LOCK_NB) == 0 else { return true }
        flock(descriptor, LOCK_UN)
        return false
    }

    func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
