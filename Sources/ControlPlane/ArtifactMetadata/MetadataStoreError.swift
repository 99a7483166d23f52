import ArtifactStoreCore

/// Every failure of the metadata database: opening it, migrating it, or running a statement.
///
/// Exists so the control plane can tell "the database is newer than this code" or "the URL is
/// wrong" from an ordinary statement failure by a stable ``code``, whichever engine answered.
public struct MetadataStoreError: ArtifactStoreError {
    /// Stable metadata-store error codes. Never renamed once published.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// The database location is not a path, `:memory:`, `sqlite://…` or `postgres://…` URL.
        case invalidDatabaseURL
        /// The database's schema version is newer than this code knows; nothing was changed.
        case databaseTooNew
        /// The database could not be opened or reached.
        case databaseUnavailable
        /// A statement or transaction failed; ``underlying`` is the driver's error.
        case database
        /// The store was used after ``MetadataStore/close()``.
        case closed
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
