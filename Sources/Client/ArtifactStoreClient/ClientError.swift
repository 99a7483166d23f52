public import ArtifactStoreAPI
// Re-exported (as NIOPosix re-exports NIOCore): this module's error is a `LayeredError`, so its users
// need the core's members (`kind`, `message`, `underlying`) wherever they handle it.
@_exported import ArtifactStoreCore

/// Every failure the client reports: one the server answered with, one found locally (a bad
/// reference, a file that cannot be read, bytes that do not match their digest), or a server that
/// could not be reached.
///
/// Exists so a caller (the CLI above all) can act on one stable ``code`` and, for server answers,
/// the HTTP ``status``, whichever side refused. Codes from the server are passed through exactly
/// as its `{"error":{"code","message"}}` body gave them, typed as ``serverCode`` when this client
/// knows them; the client's own codes are ``ClientErrorCode``. It is not a ``LayeredError``
/// because its ``code`` may be another party's.
public struct ClientError: ArtifactStoreError {
    public typealias Code = ClientErrorCode

    /// The client's code; ``ClientErrorCode/server`` for an answer of the server.
    public let kind: ClientErrorCode
    /// The code as printed: the server's own for an answer, else the client's.
    public let code: String
    public let message: String
    /// The HTTP status of the server's answer, `nil` for a failure found locally.
    public let status: Int?
    /// The server's code, typed; `nil` for a local failure, an answer without the API's error
    /// body, or a code this client does not know (a newer server's).
    public let serverCode: APIErrorCode?
    public let underlying: (any Error)?

    /// A failure of the client's own; `status` is the HTTP status when the server answered in a
    /// way the client could not read (`badResponse`).
    public init(_ kind: ClientErrorCode, _ message: String, status: Int? = nil, underlying: (any Error)? = nil) {
        self.kind = kind
        self.code = kind.rawValue
        self.message = message
        self.status = status
        self.serverCode = nil
        self.underlying = underlying
    }

    /// An error the server answered with; `serverCode` is its code as sent.
    public init(serverCode: String, message: String, status: Int) {
        self.kind = .server
        self.code = serverCode
        self.message = message
        self.status = status
        self.serverCode = APIErrorCode(rawValue: serverCode)
        self.underlying = nil
    }

    /// An error the server answered with.
    public init(_ serverCode: APIErrorCode, message: String, status: Int) {
        self.init(serverCode: serverCode.rawValue, message: message, status: status)
    }

    /// The status a command ends with: the code's own for a local failure; for an answer, the
    /// HTTP status's (``ExitStatus/init(httpStatus:)``), except that bytes the server found not
    /// to match are an integrity failure.
    public var exitStatus: ExitStatus {
        guard let status else { return kind.exitStatus ?? .failure }
        if serverCode?.isIntegrityFailure == true { return .integrity }
        return ExitStatus(httpStatus: status)
    }
}

/// The codes the client itself produces. Never renamed once published.
public enum ClientErrorCode: String, ErrorCode {
    case invalidReference
    case invalidPath
    case invalidArgument
    case notConfigured
    case configuration
    case digestMismatch
    case sizeMismatch
    case serverUnreachable
    case tlsUntrusted
    case badResponse
    case io
    case localFileDiffers
    case server
    case signInFailed

    public static let layer = "client"

    public var meaning: String {
        switch self {
        case .invalidReference: "A `NS/NAME:VERSION` reference, tag, scope or other argument does not parse."
        case .invalidPath: "A local path cannot be pushed (no such file, not a file or directory, unclean name)."
        case .invalidArgument: "An argument or option value is not acceptable."
        case .notConfigured: "No server address or no token was given (flag, environment or login file)."
        case .configuration: "The login file cannot be read, parsed or written."
        case .digestMismatch: "Downloaded bytes do not have the digest their address names (nothing is kept)."
        case .sizeMismatch: "A download ended with a size other than the one the server announced."
        case .serverUnreachable: "The server could not be reached: connection refused, reset, timed out, DNS; or a transfer was cut off."
        case .tlsUntrusted:
            "The server's TLS certificate was refused: not signed by a trusted CA (pass `--ca-cert`) or not issued for the host name used."
        case .badResponse: "The server answered with something that is not the API's shape."
        case .io: "A local file operation failed."
        case .localFileDiffers: "`pull` would replace a local file that has other content (pass `--force`)."
        case .signInFailed:
            "The device sign-in at the OpenID provider was denied or expired, or the provider answered something malformed; "
                + "run `login --oidc` again."
        case .server:
            "Not printed itself: the server refused or failed the request, and its own code is printed; the exit status follows"
                + " that code's row."
        }
    }

    public var exitStatus: ExitStatus? {
        switch self {
        case .invalidReference, .invalidPath, .invalidArgument, .notConfigured: .usage
        case .digestMismatch, .sizeMismatch: .integrity
        case .serverUnreachable, .tlsUntrusted: .server
        case .localFileDiffers: .conflict
        case .configuration, .badResponse, .io: .failure
        case .signInFailed: .auth
        case .server: nil
        }
    }
}
