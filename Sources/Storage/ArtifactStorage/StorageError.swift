import ArtifactStoreCore

/// An error from a storage backend or connector.
///
/// Every backend (filesystem, memory, S3) reports failures with the same ``Code``s, so callers
/// can react to `notFound` or `pathEscapesRoot` without knowing which backend they talk to.
/// The message names the path (relative to the backend's root) or the URL part at fault.
public struct StorageError: ArtifactStoreError {
    /// Stable storage error codes.
    public enum Code: String, Sendable, Hashable, Codable, CaseIterable {
        /// The object or directory does not exist.
        case notFound
        /// The path would leave the backend's root (`..`, absolute, or a symlink out of the root).
        case pathEscapesRoot
        /// The path is malformed (empty or `.` segments, control characters, backslashes…).
        case invalidPath
        /// The byte range is malformed or lies outside the object.
        case invalidRange
        /// The backend refused the operation (permissions, credentials).
        case accessDenied
        /// The backend cannot be reached.
        case unreachable
        /// The target exists and the operation would not replace it.
        case alreadyExists
        /// Any other input/output failure; see ``underlying``.
        case io
        /// A storage URL or configuration value is malformed.
        case invalidConfiguration
    }

    public let kind: Code
    public let message: String
    /// The path concerned, relative to the backend's root, when there is one.
    public let path: String?
    public let underlying: (any Error)?

    public var code: String { kind.rawValue }

    public init(_ kind: Code, _ message: String, path: String? = nil, underlying: (any Error)? = nil) {
        self.kind = kind
        self.message = message
        self.path = path
        self.underlying = underlying
    }

    public static func notFound(_ path: StoragePath) -> StorageError {
        StorageError(.notFound, "no object at \"\(path)\"", path: path.string)
    }
}
