import ArtifactStoreCore

/// The exit status of an `artifactstore` client command (docs/cli.md, "Exit codes").
///
/// Exists so scripts can tell failures apart without parsing messages: each kind of failure
/// has its own number, whatever the command.
public enum ClientExitStatus: Int32, Sendable, CaseIterable {
    case success = 0
    /// Anything not covered below (a local I/O error, an unexpected answer).
    case failure = 1
    /// A usage error or invalid input, found locally or answered with 400/413/416 by the server.
    case usage = 2
    /// 404: no such namespace, artifact, version, tag, file, blob or token.
    case notFound = 3
    /// 401 or 403: no, unknown, expired or revoked token, or too few scopes.
    case auth = 4
    /// 409: the version exists, is held, the tag is immutable, …; or `pull` would replace a local
    /// file with other content.
    case conflict = 5
    /// Bytes did not match their digest (or size): downloaded, resumed or uploaded.
    case integrity = 6
    /// The server failed (5xx) or could not be reached.
    case server = 7

    /// Codes that mean bytes did not match what they were promised to be, whoever noticed.
    static let integrityCodes: Set<String> = ["digestMismatch", "sizeMismatch"]
    /// The client's own codes that mean the input was wrong.
    static let usageCodes: Set<String> = [
        ClientError.Code.invalidReference.rawValue, ClientError.Code.invalidPath.rawValue,
        ClientError.Code.invalidArgument.rawValue, ClientError.Code.notConfigured.rawValue,
    ]

    /// The status for `error`.
    public init(for error: any Error) {
        guard let error = error as? any ArtifactStoreError else {
            self = .failure
            return
        }
        if Self.integrityCodes.contains(error.code) {
            self = .integrity
            return
        }
        if let status = (error as? ClientError)?.status {
            switch status {
            case 401, 403: self = .auth
            case 404: self = .notFound
            case 409: self = .conflict
            case 400..<500: self = .usage
            case 500..<600: self = .server
            default: self = .failure
            }
            return
        }
        if Self.usageCodes.contains(error.code) {
            self = .usage
        } else if error.code == ClientError.Code.localFileDiffers.rawValue {
            self = .conflict
        } else if error.code == ClientError.Code.serverUnreachable.rawValue {
            self = .server
        } else {
            self = .failure
        }
    }
}
