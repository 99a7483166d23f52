#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
public import Musl
#endif

/// The daemon's socket path on disk: checking it may be taken, putting the bound socket in place
/// with its final mode, and removing it again only if it is still ours.
///
/// The socket is bound under a temporary name in the same directory, given its mode (0600, or
/// 0660 and the group) and only then renamed to the path, so there is no moment when the path
/// exists with the umask's mode. A path that holds a socket nobody listens on (a daemon that
/// crashed) is replaced; a live socket or anything that is not a socket is refused.
struct SocketPath: Sendable {
    let path: String

    /// `sun_path` holds 108 bytes on Linux, including the terminating zero.
    static let maximumLength = 107

    init(_ path: String) throws(DataPlaneDaemonError) {
        guard !path.isEmpty else {
            throw DataPlaneDaemonError(.invalidConfiguration, "the socket path is empty")
        }
        guard path.utf8.count <= Self.maximumLength else {
            throw DataPlaneDaemonError(
                .invalidConfiguration,
                "socket path \"\(path)\" is \(path.utf8.count) bytes; Unix sockets allow at most \(Self.maximumLength)"
            )
        }
        self.path = path
    }

    var directory: String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// A fresh temporary name beside the path, no longer than the path allows.
    func temporarySibling() -> String {
        let token = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let candidate = (directory == "/" ? "" : directory) + "/.dp-\(token).tmp"
        return candidate
    }

    /// Refuses a path that is live or not a socket; a stale socket may be replaced.
    func checkAvailable() throws(DataPlaneDaemonError) {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            let code = errno
            if code == ENOENT { return }
            throw DataPlaneDaemonError(.socketSetupFailed, "cannot inspect socket path \"\(path)\": \(String(cString: strerror(code)))")
        }
        guard status.st_mode & S_IFMT == S_IFSOCK else {
            throw DataPlaneDaemonError(.socketPathNotSocket, "socket path \"\(path)\" exists and is not a socket; refusing to replace it")
        }
        if Self.accepts(path) {
            throw DataPlaneDaemonError(.socketPathInUse, "socket path \"\(path)\" is a live socket (another daemon is listening on it)")
        }
    }

    /// Whether something listens on the socket at `path`.
    static func accepts(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes.prefix(raw.count - 1))
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0
    }

    /// Gives the socket bound at `temporary` its mode (and group), then renames it to the path.
    /// Returns the inode now at the path, so ``remove(ifInode:)`` removes only this socket.
    func install(temporary: String, group: UInt32?) throws(DataPlaneDaemonError) -> UInt64 {
        if let group {
            guard chown(temporary, uid_t.max, group) == 0 else {
                throw DataPlaneDaemonError(
                    .socketSetupFailed,
                    "cannot give socket \"\(path)\" group \(group): \(String(cString: strerror(errno)))"
                )
            }
        }
        guard chmod(temporary, group == nil ? 0o600 : 0o660) == 0 else {
            throw DataPlaneDaemonError(.socketSetupFailed, "cannot set the mode of socket \"\(path)\": \(String(cString: strerror(errno)))")
        }
        guard rename(temporary, path) == 0 else {
            throw DataPlaneDaemonError(
                .socketSetupFailed,
                "cannot move the socket into place at \"\(path)\": \(String(cString: strerror(errno)))"
            )
        }
        var status = stat()
        guard lstat(path, &status) == 0 else {
            throw DataPlaneDaemonError(.socketSetupFailed, "socket \"\(path)\" vanished after it was put in place")
        }
        return UInt64(status.st_ino)
    }

    /// Removes the path if it is still the socket this daemon put there.
    func remove(ifInode inode: UInt64) {
        var status = stat()
        guard lstat(path, &status) == 0, UInt64(status.st_ino) == inode, status.st_mode & S_IFMT == S_IFSOCK else { return }
        unlink(path)
    }
}
