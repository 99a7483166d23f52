public import ArtifactControlPlane
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The bootstrap admin token `serve` installs on a first start: `ARTIFACTSTORE_ADMIN_TOKEN`, or
/// the contents of the file `ARTIFACTSTORE_ADMIN_TOKEN_FILE` names (a Kubernetes or systemd
/// secret mount).
///
/// Exists because a token printed once on a console is lost under systemd or Kubernetes, and a
/// token in an environment variable shows in `/proc/PID/environ` and process listings. The file
/// is checked on every start, before anything is opened: it must exist, be readable, hold one
/// token of the generated form (`ast_<16 hex>_<64 hex>`, surrounding whitespace ignored) and not
/// be readable by others (mode `o+r` is refused; docs/operations.md). No message ever contains
/// the token or any part of the file.
public enum AdminTokenFile {
    public static let variable = "ARTIFACTSTORE_ADMIN_TOKEN"
    public static let fileVariable = "ARTIFACTSTORE_ADMIN_TOKEN_FILE"

    /// The provided token from `environment`, or `nil` when neither variable is set.
    ///
    /// - Throws: ``ServerConfigurationError`` keyed by the variable: both set, or the file is
    ///   missing, unreadable, readable by others, or does not hold a token of the generated form.
    public static func token(environment: [String: String]) throws(ServerConfigurationError) -> String? {
        let direct = environment[variable].flatMap { $0.isEmpty ? nil : $0 }
        guard let path = environment[fileVariable].flatMap({ $0.isEmpty ? nil : $0 }) else { return direct }
        guard direct == nil else {
            throw ServerConfigurationError(key: fileVariable, "both \(variable) and \(fileVariable) are set; set only one")
        }
        return try read(path)
    }

    /// The token in the file at `path`, checked as ``token(environment:)`` says.
    public static func read(_ path: String) throws(ServerConfigurationError) -> String {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw ServerConfigurationError(
                key: fileVariable,
                "no admin token file at \"\(path)\": \(String(cString: strerror(errno))); check \(fileVariable)"
            )
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw ServerConfigurationError(key: fileVariable, "\"\(path)\" is not a regular file; check \(fileVariable)")
        }
        guard status.st_mode & 0o004 == 0 else {
            throw ServerConfigurationError(
                key: fileVariable,
                "the admin token file \"\(path)\" can be read by every user; make it readable by the server's user only "
                    + "(chmod 600, or defaultMode 0400 on a Kubernetes secret volume)"
            )
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ServerConfigurationError(
                key: fileVariable,
                "cannot read the admin token file \"\(path)\": \(ServerConfiguration.reason(error))"
            )
        }
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            _ = try Auth.validateProvided(token)
        } catch {
            throw ServerConfigurationError(
                key: fileVariable,
                "the admin token file \"\(path)\" (\(token.utf8.count) characters) does not hold a token of the form "
                    + "ast_<16 lowercase hex>_<64 lowercase hex>; write one token, e.g. from `openssl rand -hex`"
            )
        }
        return token
    }
}
