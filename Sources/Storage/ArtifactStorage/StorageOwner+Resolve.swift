#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
public import Darwin
#endif

extension StorageOwner {
    /// The numeric owner and group this owner names.
    ///
    /// A user name is looked up in the user database (its primary group is used unless `gid` is
    /// given); a numeric `uid` wins over the name. `nil` fields mean "leave unchanged".
    /// An unknown user name is `invalidConfiguration`.
    public func resolved() throws(StorageError) -> (uid: UInt32?, gid: UInt32?) {
        var uid = self.uid
        var gid = self.gid
        if let user, uid == nil {
            guard let entry = Self.lookUp(user: user) else {
                throw StorageError(.invalidConfiguration, "unknown user \"\(user)\"")
            }
            uid = entry.uid
            if gid == nil { gid = entry.gid }
        }
        return (uid, gid)
    }

    private static func lookUp(user: String) -> (uid: UInt32, gid: UInt32)? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>? = nil
        var buffer = [CChar](repeating: 0, count: 16_384)
        let status = getpwnam_r(user, &entry, &buffer, buffer.count, &result)
        guard status == 0, result != nil else { return nil }
        return (UInt32(entry.pw_uid), UInt32(entry.pw_gid))
    }
}

extension StorageWriteOptions {
    /// Refuses a mode with bits above `0o7777`, and a ``contentSHA256`` that is not 64 lower-case
    /// hex digits.
    public func validate(for path: StoragePath) throws(StorageError) {
        if let mode, mode > 0o7777 {
            throw StorageError(
                .invalidConfiguration,
                "mode 0o\(String(mode, radix: 8)) for \"\(path)\" has bits above 0o7777",
                path: path.string
            )
        }
        if let contentSHA256,
            contentSHA256.utf8.count != 64 || !contentSHA256.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
        {
            throw StorageError(
                .invalidConfiguration,
                "the SHA-256 given for \"\(path)\" is not 64 lower-case hex digits: \(StoragePath.quote(String(contentSHA256.prefix(80))))",
                path: path.string
            )
        }
    }
}
