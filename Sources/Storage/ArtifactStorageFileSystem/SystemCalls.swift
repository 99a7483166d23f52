import ArtifactStorage
import CArtifactStorageFileSystem
import Foundation
import Glibc

/// A failed system call: the errno and what was being done.
struct SystemCallError: Error, Sendable {
    let errno: Int32
    let operation: String

    /// A resolution (openat2 with `RESOLVE_BENEATH`, or the component walk) found that the path
    /// leads outside the root.
    var escapesRoot: Bool { errno == EXDEV && operation == SystemCallError.resolve }

    static let resolve = "resolve"

    var reason: String { String(cString: strerror(errno)) }
}

/// Thin, retrying wrappers over the system calls the backend uses. All of them block; callers
/// run them on the backend's thread pool.
enum Sys {
    /// Retries `body` while it fails with EINTR; throws the errno otherwise.
    @discardableResult
    static func retrying(_ operation: String, _ body: () -> Int32) throws(SystemCallError) -> Int32 {
        while true {
            let result = body()
            if result >= 0 { return result }
            let code = errno
            if code == EINTR { continue }
            throw SystemCallError(errno: code, operation: operation)
        }
    }

    static func openat(_ directory: Int32, _ name: String, _ flags: Int32, _ mode: mode_t = 0) throws(SystemCallError) -> OwnedDescriptor {
        let fd = try retrying("open") { Glibc.openat(directory, name, flags | O_CLOEXEC, mode) }
        return OwnedDescriptor(fd)
    }

    static func fstatat(_ directory: Int32, _ name: String, followSymlinks: Bool = false) throws(SystemCallError) -> stat {
        var info = stat()
        try retrying("stat") { Glibc.fstatat(directory, name, &info, followSymlinks ? 0 : AT_SYMLINK_NOFOLLOW) }
        return info
    }

    static func fstat(_ fd: Int32) throws(SystemCallError) -> stat {
        var info = stat()
        try retrying("stat") { Glibc.fstat(fd, &info) }
        return info
    }

    static func fsync(_ fd: Int32) throws(SystemCallError) {
        try retrying("fsync") { Glibc.fsync(fd) }
    }

    /// Writes back everything dirty on the file system holding `fd` and flushes its device.
    static func syncfs(_ fd: Int32) throws(SystemCallError) {
        try retrying("syncfs") { artifactstore_syncfs(fd) }
    }

    /// Gives the open file `fd` its owner (either id may be absent) and mode, where given.
    static func setOwnerAndMode(_ fd: Int32, owner: (uid: UInt32?, gid: UInt32?)?, mode: UInt32?) throws(SystemCallError) {
        if let owner, owner.uid != nil || owner.gid != nil {
            try retrying("chown") { fchown(fd, owner.uid ?? UInt32.max, owner.gid ?? UInt32.max) }
        }
        if let mode {
            try retrying("chmod") { fchmod(fd, mode_t(mode)) }
        }
    }

    static func isDirectory(_ info: stat) -> Bool { info.st_mode & S_IFMT == S_IFDIR }
    static func isRegular(_ info: stat) -> Bool { info.st_mode & S_IFMT == S_IFREG }
    static func isSymlink(_ info: stat) -> Bool { info.st_mode & S_IFMT == S_IFLNK }

    /// Writes all of `buffer` to `fd`.
    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws(SystemCallError) {
        var offset = 0
        while offset < buffer.count {
            let written = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw SystemCallError(errno: errno, operation: "write")
            }
            offset += written
        }
    }

    /// `renameat2(RENAME_NOREPLACE)`, falling back to `linkat` + `unlinkat` where the
    /// filesystem or kernel lacks it. Either way an existing target is EEXIST, never replaced.
    static func renameNoReplace(_ fromDirectory: Int32, _ from: String, _ toDirectory: Int32, _ to: String) throws(SystemCallError) {
        do {
            try retrying("rename") { artifactstore_renameat2(fromDirectory, from, toDirectory, to, UInt32(ARTIFACTSTORE_RENAME_NOREPLACE)) }
        } catch  where error.errno == EINVAL || error.errno == ENOSYS {
            try retrying("link") { Glibc.linkat(fromDirectory, from, toDirectory, to, 0) }
            _ = Glibc.unlinkat(fromDirectory, from, 0)
        }
    }

    static func rename(_ fromDirectory: Int32, _ from: String, _ toDirectory: Int32, _ to: String) throws(SystemCallError) {
        try retrying("rename") { Glibc.renameat(fromDirectory, from, toDirectory, to) }
    }

    /// The names in the directory `fd` (without `.` and `..`). Reads through a duplicate, so
    /// `fd` stays open and positioned.
    static func directoryNames(_ fd: Int32) throws(SystemCallError) -> [String] {
        let duplicate = try retrying("open") { Glibc.openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard let stream = fdopendir(duplicate) else {
            let code = errno
            _ = Glibc.close(duplicate)
            throw SystemCallError(errno: code, operation: "opendir")
        }
        defer { closedir(stream) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw SystemCallError(errno: errno, operation: "readdir") }
                break
            }
            let name = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(validatingCString: $0) }
            }
            guard let name, name != ".", name != ".." else { continue }
            names.append(name)
        }
        return names
    }
}

extension timespec {
    var date: Foundation.Date { Foundation.Date(timeIntervalSince1970: Double(tv_sec) + Double(tv_nsec) / 1_000_000_000) }
}

/// `O_PATH`, which Glibc's Swift overlay does not export.
let O_PATH = Int32(ARTIFACTSTORE_O_PATH)
