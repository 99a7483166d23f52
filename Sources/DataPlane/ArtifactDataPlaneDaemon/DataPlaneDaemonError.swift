// Re-exported (as NIOPosix re-exports NIOCore): this module's error is a `LayeredError`, so its users
// need the core's members (`kind`, `message`, `underlying`) wherever they handle it.
@_exported import ArtifactStoreCore

/// Why the daemon could not start serving: its socket path or its configuration.
///
/// Exists so the `artifactstore dataplane` command (and a supervisor reading its output) gets a
/// stable code for the mistakes an operator makes: a path another daemon still listens on, a
/// path that is a regular file, a group that does not exist.
public typealias DataPlaneDaemonError = LayeredError<DataPlaneDaemonErrorCode>

/// Stable daemon start-up codes. Never renamed once published.
public enum DataPlaneDaemonErrorCode: String, ErrorCode, Codable {
    case socketPathInUse
    case socketPathNotSocket
    case socketSetupFailed
    case invalidConfiguration

    public static let layer = "data plane daemon"

    public var meaning: String {
        switch self {
        case .socketPathInUse: "A live socket (something accepted a connection) is already at the path."
        case .socketPathNotSocket: "Something other than a socket is at the path; it is never removed."
        case .socketSetupFailed: "Binding, setting the mode or group of, or moving the socket into place failed."
        case .invalidConfiguration: "An option is invalid (no allowed peers, an unknown group, a path too long)."
        }
    }

    /// `artifactstore dataplane` exits 2 when the daemon cannot start as configured.
    public var exitStatus: ExitStatus? { .usage }
}
