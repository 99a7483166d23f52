import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The file `artifactstore login` writes: the server URL and token, as JSON
/// (`{"server": "...", "token": "..."}`), readable by its owner only.
///
/// It lives at `$XDG_CONFIG_HOME/artifactstore/config.json`, or `$HOME/.config/artifactstore/config.json`
/// when `XDG_CONFIG_HOME` is unset or empty. The directory is created with mode 0700 and the file
/// is written with mode 0600 through a temporary file and a rename, so a reader never sees half of
/// it and the token is never readable by others, not even for a moment.
public struct LoginFile: Sendable, Hashable {
    public struct Contents: Sendable, Hashable, Codable {
        public var server: String
        public var token: String

        public init(server: String, token: String) {
            self.server = server
            self.token = token
        }
    }

    public let path: String

    public init(path: String) {
        self.path = path
    }

    /// The login file for `environment`; `nil` when neither `XDG_CONFIG_HOME` nor `HOME` is set.
    public init?(environment: [String: String]) {
        if let xdg = environment["XDG_CONFIG_HOME"], !xdg.isEmpty {
            self.init(path: xdg + "/artifactstore/config.json")
        } else if let home = environment["HOME"], !home.isEmpty {
            self.init(path: home + "/.config/artifactstore/config.json")
        } else {
            return nil
        }
    }

    var directory: String { URL(fileURLWithPath: path).deletingLastPathComponent().path }

    /// The stored contents, `nil` when there is no login file.
    public func read() throws(ClientError) -> Contents? {
        guard let data = FileManager.default.contents(atPath: path) else {
            if FileManager.default.fileExists(atPath: path) {
                throw ClientError(.configuration, "cannot read the login file \(path)")
            }
            return nil
        }
        do {
            return try JSONDecoder().decode(Contents.self, from: data)
        } catch {
            throw ClientError(
                .configuration,
                "the login file \(path) is not valid (run `artifactstore login` again): \(error)",
                underlying: error
            )
        }
    }

    /// Writes `contents`: directory 0700, file 0600, atomically.
    public func write(_ contents: Contents) throws(ClientError) {
        let directory = self.directory
        var info = stat()
        if stat(directory, &info) != 0 {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory,
                    withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700]
                )
            } catch {
                throw ClientError(.configuration, "cannot create \(directory): \(error.localizedDescription)", underlying: error)
            }
        }
        // An existing directory may have been made by hand with looser permissions.
        _ = chmod(directory, 0o700)
        let data: Data
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            data = try encoder.encode(contents) + Data("\n".utf8)
        } catch {
            throw ClientError(.configuration, "cannot encode the login file: \(error)", underlying: error)
        }
        let temporary = path + ".tmp-\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Self.systemError("create", temporary) }
        var failed = fchmod(descriptor, 0o600) != 0
        data.withUnsafeBytes { raw in
            var offset = 0
            while !failed, offset < raw.count {
                let written = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failed = true
                } else {
                    offset += written
                }
            }
        }
        if !failed { failed = fsync(descriptor) != 0 }
        let error = failed ? Self.systemError("write", temporary) : nil
        close(descriptor)
        if let error {
            unlink(temporary)
            throw error
        }
        guard rename(temporary, path) == 0 else {
            let error = Self.systemError("rename into place", path)
            unlink(temporary)
            throw error
        }
    }

    static func systemError(_ doing: String, _ path: String) -> ClientError {
        ClientError(.configuration, "cannot \(doing) \(path): \(String(cString: strerror(errno)))")
    }
}
