#if canImport(Glibc)
import Glibc
#endif

/// The process that writes a temporary, as it is written into the temporary's name.
///
/// Exists so a sweep of a storage root that several servers share can tell a temporary that a
/// dead process left behind from the write in flight of a live one, without trusting anything an
/// operator configured (two nodes given the same node id would otherwise delete each other's
/// uploads). The identity is what the kernel says about this process: the boot it runs in, its
/// pid namespace, its pid and its start time. A writer is *provably gone* only when it ran in the
/// same boot and pid namespace as the process asking, and no process with its pid and start time
/// exists there now. Anything else (another host, another container, a name without a token)
/// is decided by age alone (``AbandonedTemporaryRule``).
public struct StorageWriterIdentity: Sendable, Hashable, CustomStringConvertible {
    /// The first 16 hex digits of `/proc/sys/kernel/random/boot_id`.
    public let boot: String
    /// The inode of `/proc/self/ns/pid`.
    public let pidNamespace: UInt64
    public let pid: Int32
    /// Field 22 of `/proc/<pid>/stat`: clock ticks after boot at which the process started.
    public let startTime: UInt64

    /// This process.
    public static let current: StorageWriterIdentity = {
        let pid = getpid()
        return StorageWriterIdentity(
            boot: Self.readBoot() ?? "0000000000000000",
            pidNamespace: Self.readPIDNamespace() ?? 0,
            pid: pid,
            startTime: Self.readStartTime(of: pid) ?? 0
        )
    }()

    public init(boot: String, pidNamespace: UInt64, pid: Int32, startTime: UInt64) {
        self.boot = boot
        self.pidNamespace = pidNamespace
        self.pid = pid
        self.startTime = startTime
    }

    /// `<boot>-<pid namespace>-<pid>-<start time>`, numbers in lower-case hex: letters, digits and
    /// `-` only, so it fits a file name and an S3 key segment.
    public var token: String {
        "\(boot)-\(String(pidNamespace, radix: 16))-\(String(pid, radix: 16))-\(String(startTime, radix: 16))"
    }

    public var description: String { token }

    /// Parses a ``token``; `nil` for anything else (names written before tokens existed).
    public init?(token: some StringProtocol) {
        let parts = token.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0].count == 16, parts[0].allSatisfy(\.isHexDigit),
            let namespace = UInt64(parts[1], radix: 16), let pid = Int32(parts[2], radix: 16), pid > 0,
            let start = UInt64(parts[3], radix: 16)
        else { return nil }
        self.init(boot: String(parts[0]), pidNamespace: namespace, pid: pid, startTime: start)
    }

    /// Whether the writer is known to have ended: it ran in this process's boot and pid namespace,
    /// and its pid now names no process, or a process started at another time. Never true for
    /// this process, and never for a writer elsewhere (age decides those).
    public var isProvablyGone: Bool {
        let here = Self.current
        guard boot == here.boot, pidNamespace == here.pidNamespace, here.pidNamespace != 0, self != here else { return false }
        guard let started = Self.readStartTime(of: pid) else { return true }
        return started != startTime
    }

    static func readBoot() -> String? {
        guard let text = readSmallFile("/proc/sys/kernel/random/boot_id") else { return nil }
        let hex = text.filter(\.isHexDigit).lowercased()
        return hex.count >= 16 ? String(hex.prefix(16)) : nil
    }

    static func readPIDNamespace() -> UInt64? {
        var info = stat()
        guard stat("/proc/self/ns/pid", &info) == 0 else { return nil }
        return UInt64(info.st_ino)
    }

    /// Field 22 of `/proc/<pid>/stat`, read after the command name's closing parenthesis (the name
    /// may itself contain spaces and parentheses). `nil` when there is no such process.
    static func readStartTime(of pid: Int32) -> UInt64? {
        guard let text = readSmallFile("/proc/\(pid)/stat"), let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After ")": state is field 3, so field 22 is at index 22 - 3.
        guard fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }
}

/// When a sweep may remove a temporary: the one rule every backend and the data plane apply.
///
/// A temporary this process is writing is never removed. One whose writer is provably gone
/// (``StorageWriterIdentity/isProvablyGone``) is removed at once: it is this node's own leftover
/// from before a crash or restart. Any other (another node's, or one whose name carries no
/// writer) is removed only when it was last modified longer than ``minimumAge`` ago: an upload in
/// flight writes to its temporary continuously, so an age far past the longest stall a
/// connection is allowed decides safely without knowing whose it is.
public struct AbandonedTemporaryRule: Sendable, Hashable {
    /// How long since its last modification before another writer's temporary counts as abandoned.
    public var minimumAge: Duration

    /// One hour: far past any request's idle timeout, so no upload in flight is ever that still.
    public static let defaultMinimumAge: Duration = .seconds(3600)

    public init(minimumAge: Duration = Self.defaultMinimumAge) {
        self.minimumAge = minimumAge
    }

    /// Whether a temporary written by `writer` (the token in its name, if any) and last modified
    /// at `modified` (seconds since 1970; `nil` if unknown) may be removed at `now`.
    public func allowsRemoving(writer: String?, modifiedAt modified: Double?, now: Double) -> Bool {
        if let writer, let identity = StorageWriterIdentity(token: writer) {
            if identity == .current { return false }
            if identity.isProvablyGone { return true }
        }
        guard let modified else { return false }
        let age = Double(minimumAge.components.seconds) + Double(minimumAge.components.attoseconds) / 1e18
        return now - modified > age
    }
}
