import ArtifactStoreCore

/// Why the daemon could not start serving: its socket path or its configuration.
///
/// Exists so the `artifactstore dataplane` command (and a supervisor reading its output) gets a
/// stable code for the mistakes an operator makes: a path another daemon still listens on, a
/// path that is a regular file, a group that does not exist.
public struct DataPlaneDaemonError: ArtifactStoreError {
    public enum Code: String, Sendable, Hashable, Codable, CaseIterable {
        /// A live socket (something accepted a connection) is already at the path.
        case socketPathInUse
        /// Something other than a socket is at the path; it is never removed.
        case socketPathNotSocket
        /// Binding, setting the mode or group of, or moving the socket into place failed.
        case socketSetupFailed
        /// An option is invalid (no allowed peers, an unknown group, a path too long).
        case invalidConfiguration
    }

    public let kind: Code
    public let message: String
    public let underlying: (any Error)?

    public var code: String { kind.rawValue }

    public init(_ kind: Code, _ message: String, underlying: (any Error)? = nil) {
        self.kind = kind
        self.message = message
        self.underlying = underlying
    }
}
