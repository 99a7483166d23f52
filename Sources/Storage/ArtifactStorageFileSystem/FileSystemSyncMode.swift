public import ArtifactStorage
import CArtifactStorageFileSystem
import Glibc

/// How a filesystem backend makes what it writes durable (`file:///dir?sync=…`).
///
/// Either way nothing returns before the bytes, their name and every directory leading to it
/// are on stable storage. The modes differ in how many flushes of the device that takes.
public enum FileSystemSyncMode: String, Sendable, CaseIterable {
    /// ``sharedFlush`` where ``sharedFlushUnavailableReason(root:)`` finds nothing against it,
    /// ``eachFile`` elsewhere. The default.
    case automatic = "auto"
    /// Every file and directory is fsynced on its own: the bytes before the rename that names
    /// them, the directory after it, and the parent of every directory created.
    case eachFile = "file"
    /// Small writes (a buffer already in memory) wait for one `syncfs` of the whole file
    /// system, shared by every write waiting at the time (``SharedFlush``): one flush of the
    /// device for a group of small writes instead of two or three each. A new object's bytes and
    /// name are flushed together, after the rename; one that replaces another still fsyncs its
    /// bytes before the rename, so a replaced object is never lost to a crash. Large writes
    /// (streamed, moved into place, staged) fsync their bytes and then every directory from
    /// theirs up to the root (``FileSystemBackend/syncDirectories(from:)``), never the whole
    /// file system.
    case sharedFlush = "filesystem"

    /// Parses the `sync` value of a `file://` URL.
    public init(urlValue: String) throws(StorageError) {
        guard let mode = Self(rawValue: urlValue) else {
            throw StorageError(
                .invalidConfiguration,
                "sync=\(urlValue) is not a sync mode; use sync=auto, sync=file or sync=filesystem"
            )
        }
        self = mode
    }

    /// The first Linux release whose `syncfs` reports a failed writeback (earlier ones return 0
    /// whatever happened to the bytes).
    static let syncfsReportsErrorsSince = (major: 5, minor: 8)

    /// File systems whose `syncfs` writes back every dirty page and directory and flushes the
    /// device: ext2/3/4, XFS, Btrfs, F2FS, and tmpfs (where there is nothing to flush). Others
    /// (NFS, FUSE, overlay, …) may implement it as less, or as nothing.
    static let sharedFlushFileSystems: [Int: String] = [
        0xEF53: "ext4",
        0x5846_5342: "xfs",
        0x9123_683E: "btrfs",
        0xF2F5_2010: "f2fs",
        0x0102_1994: "tmpfs",
    ]

    /// Why a shared flush cannot be trusted under the directory open as `root` (any
    /// descriptor, `O_PATH` included), or `nil` when it can.
    static func sharedFlushUnavailableReason(root: Int32) -> String? {
        var names = utsname()
        guard uname(&names) == 0 else { return "the kernel's release could not be read" }
        let release = withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard let version = kernelVersion(release) else { return "the kernel release \"\(release)\" could not be read" }
        if version < syncfsReportsErrorsSince {
            return "Linux \(release) does not report a failed writeback to syncfs (5.8 and later do)"
        }
        let type = Int(artifactstore_file_system_type(root))
        guard type >= 0 else { return "the file system could not be identified (\(String(cString: strerror(errno))))" }
        guard sharedFlushFileSystems[type] != nil else {
            return "its file system (type 0x\(String(type, radix: 16))) is not one whose syncfs is known to flush everything"
        }
        return nil
    }

    /// `major.minor` of a kernel release such as `6.18.44-fc-v1300`.
    static func kernelVersion(_ release: String) -> (major: Int, minor: Int)? {
        let parts = release.split(separator: ".", maxSplits: 2)
        guard parts.count >= 2, let major = Int(parts[0]) else { return nil }
        guard let minor = Int(parts[1].prefix { $0.isASCII && $0.isNumber }) else { return nil }
        return (major, minor)
    }
}
