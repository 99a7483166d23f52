import ArtifactStoreClient
import Foundation

/// Reads a remote registry's password from `--password-file` (one line; the trailing newline
/// dropped): `proxy create` and `replication create` never take a password on the command line,
/// where `ps` and shell history would show it.
enum PasswordFile {
    /// The password in `path`, or `nil` without a path; checks that `username` comes with it.
    /// - Throws: `invalidArgument` for an unreadable file or a user name without a password.
    static func read(_ path: String?, username: String?) throws -> String? {
        var password: String?
        if let path {
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw ClientError(.invalidArgument, "--password-file \(path) cannot be read")
            }
            password = text.trimmingCharacters(in: .newlines)
        }
        if (username == nil) != (password == nil) {
            throw ClientError(.invalidArgument, "--username and --password-file go together: give both or neither")
        }
        return password
    }
}
