import ArtifactStoreCore

/// Every failure the client reports: one the server answered with, one found locally (a bad
/// reference, a file that cannot be read, bytes that do not match their digest), or a server that
/// could not be reached.
///
/// Exists so a caller (the CLI above all) can act on one stable ``code`` and, for server answers,
/// the HTTP ``status``, whichever side refused. Codes from the server are passed through exactly
/// as its `{"error":{"code","message"}}` body gave them (control-plane, data-plane and HTTP-layer
/// codes); the client's own codes are listed in ``Code``.
public struct ClientError: ArtifactStoreError {
    /// The codes the client itself produces. Server codes are passed through unchanged.
    public enum Code: String, Sendable, CaseIterable {
        /// A `NS/NAME:VERSION` reference, tag, scope or other argument does not parse.
        case invalidReference
        /// A local path cannot be pushed (no such file, not a file or directory, unclean name).
        case invalidPath
        /// An argument or option value is not acceptable.
        case invalidArgument
        /// No server address or no token was given (flag, environment or login file).
        case notConfigured
        /// The login file cannot be read, parsed or written.
        case configuration
        /// Downloaded bytes do not have the digest their address names (nothing is kept).
        case digestMismatch
        /// A download ended with a size other than the one the server announced.
        case sizeMismatch
        /// The server could not be reached: connection refused, reset, timed out, DNS.
        case serverUnreachable
        /// The server answered with something that is not the API's shape.
        case badResponse
        /// A local file operation failed.
        case io
        /// `pull` would replace a local file that has other content (pass `--force`).
        case localFileDiffers
    }

    public let code: String
    public let message: String
    /// The HTTP status of the server's answer, `nil` for a failure found locally.
    public let status: Int?
    public let underlying: (any Error)?

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code.rawValue
        self.message = message
        self.status = nil
        self.underlying = underlying
    }

    /// An error the server answered with.
    public init(serverCode: String, message: String, status: Int) {
        self.code = serverCode
        self.message = message
        self.status = status
        self.underlying = nil
    }
}
