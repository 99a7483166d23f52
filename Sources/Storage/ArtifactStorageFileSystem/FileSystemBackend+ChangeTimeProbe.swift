import ArtifactStorage
import Glibc

extension FileSystemBackend {
    /// Whether a change made right after a file's stamp was read moves its change time, on the
    /// file system beneath `root`. Blocking; run once when the backend opens.
    ///
    /// Exists because a stamp taken just after a write is "racily clean" on a kernel whose file
    /// times advance only with its coarse clock (1–10 ms): a second write in the same tick leaves
    /// every field of the stamp as it was. Linux 6.13 and later give a file whose times were
    /// read (`stat`) a fine-grained time at its next change ("multigrain" time stamps, on ext4,
    /// XFS, btrfs and tmpfs), so there any later change moves the stamp. The probe writes a
    /// temporary in the root three times in a row, reading its stamp after each write, and
    /// answers `true` only if every write moved the change time; on a coarse clock at least one
    /// of three writes microseconds apart lands in the tick of the one before. A root it cannot
    /// write to answers `false`.
    static func changeTimesMoveOnEveryChange(root: OwnedDescriptor) -> Bool {
        let name = temporaryName()
        guard let file = try? Sys.openat(root.raw, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600) else { return false }
        defer { _ = unlinkat(root.raw, name, 0) }
        var byte: UInt8 = 0
        guard var previous = try? stamp(Sys.fstat(file.raw)) else { return false }
        for _ in 0..<3 {
            byte &+= 1
            guard pwrite(file.raw, &byte, 1, 0) == 1, let now = try? stamp(Sys.fstat(file.raw)) else { return false }
            if now.changeTimeNanoseconds == previous.changeTimeNanoseconds { return false }
            previous = now
        }
        return true
    }
}
