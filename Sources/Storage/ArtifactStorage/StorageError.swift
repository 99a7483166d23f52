// Re-exported (as NIOPosix re-exports NIOCore): this module's error is a `LayeredError`, so its users
// need the core's members (`kind`, `message`, `underlying`) wherever they handle it.
@_exported import ArtifactStoreCore

/// An error from a storage backend or connector.
///
/// Every backend (filesystem, memory, S3) reports failures with the same ``StorageErrorCode``s, so
/// callers can react to `objectNotFound` or `pathEscapesRoot` without knowing which backend they talk
/// to. The message names the path (relative to the backend's root) or the URL part at fault.
public typealias StorageError = LayeredError<StorageErrorCode>

/// Stable storage error codes. Never renamed once published.
///
/// Storage codes reach no HTTP answer as themselves: the data plane wraps them
/// (`objectNotFound`, `backendUnavailable` or `storage`).
public enum StorageErrorCode: String, ErrorCode, Codable {
    case objectNotFound
    case pathEscapesRoot
    case invalidPath
    case invalidRange
    case accessDenied
    case unreachable
    case alreadyExists
    case io
    case invalidConfiguration

    public typealias Details = StorageErrorDetails

    public static let layer = "storage"

    public var meaning: String {
        switch self {
        case .objectNotFound: "The object or directory does not exist."
        case .pathEscapesRoot: "The path would leave the backend's root (`..`, absolute, or a symlink out of the root)."
        case .invalidPath: "The path is malformed (empty or `.` segments, control characters, backslashes…)."
        case .invalidRange: "The byte range is malformed or lies outside the object."
        case .accessDenied: "The backend refused the operation (permissions, credentials)."
        case .unreachable: "The backend cannot be reached."
        case .alreadyExists: "The target exists and the operation would not replace it."
        case .io: "Any other input/output failure; the cause is kept."
        case .invalidConfiguration: "A storage URL or configuration value is malformed."
        }
    }
}

/// What a ``StorageError`` adds: the path concerned.
public struct StorageErrorDetails: Sendable, Hashable {
    /// The path concerned, relative to the backend's root, when there is one.
    public var path: String?
}

extension StorageError {
    public init(_ kind: StorageErrorCode, _ message: String, path: String? = nil, underlying: (any Error)? = nil) {
        self.init(kind, message, details: StorageErrorDetails(path: path), underlying: underlying)
    }

    /// The path concerned, relative to the backend's root, when there is one.
    public var path: String? { details.path }

    /// `objectNotFound` for `path`.
    public static func notFound(_ path: StoragePath) -> StorageError {
        StorageError(.objectNotFound, "no object at \"\(path)\"", path: path.string)
    }
}
