/// The exit status of an `artifactstore` client command (docs/cli.md, "Exit codes").
///
/// Exists so scripts can tell failures apart without parsing messages: each kind of failure
/// has its own number, whatever the command. It lives in the core because every layer's
/// ``ErrorCode`` says which status its codes end a command with.
public enum ExitStatus: Int32, Sendable, CaseIterable {
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

    /// The status for a server answer with HTTP status `httpStatus`: 401 and 403 ``auth``, 404
    /// ``notFound``, 409 ``conflict``, any other 4xx ``usage``, 5xx ``server``.
    public init(httpStatus: Int) {
        switch httpStatus {
        case 401, 403: self = .auth
        case 404: self = .notFound
        case 409: self = .conflict
        case 400..<500: self = .usage
        case 500..<600: self = .server
        default: self = .failure
        }
    }
}
