// Re-exported (as NIOPosix re-exports NIOCore): this module's error is a `LayeredError`, so its users
// need the core's members (`kind`, `message`, `underlying`) wherever they handle it.
@_exported import ArtifactStoreCore

/// Every failure of the metadata database: opening it, migrating it, or running a statement.
///
/// Exists so the control plane can tell "the database is newer than this code" or "the URL is
/// wrong" from an ordinary statement failure by a stable ``code``, whichever engine answered.
public typealias MetadataStoreError = LayeredError<MetadataStoreErrorCode>

/// Stable metadata-store error codes. Never renamed once published. They reach no HTTP answer as
/// themselves: the control plane wraps them (`databaseTooNew`, `databaseUnavailable`, `database`).
public enum MetadataStoreErrorCode: String, ErrorCode {
    case invalidDatabaseURL
    case databaseTooNew
    case databaseUnavailable
    case database
    case closed

    public static let layer = "metadata"

    public var meaning: String {
        switch self {
        case .invalidDatabaseURL: "The database location is not a path, `:memory:`, `sqlite://…` or `postgres://…` URL."
        case .databaseTooNew: "The database's schema version is newer than this code knows; nothing was changed."
        case .databaseUnavailable: "The database could not be opened or reached."
        case .database: "A statement or transaction failed; the cause is the driver's error."
        case .closed: "The store was used after it was closed."
        }
    }
}
