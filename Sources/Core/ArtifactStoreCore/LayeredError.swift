/// The one error type of every layer: a typed code, a message naming the input, the cause, and
/// whatever the layer's ``ErrorCode/Details`` add.
///
/// Exists so the body every error has (code, message, cause, description) is written once; a
/// layer declares its code enum and a typealias (`typealias StorageError =
/// LayeredError<StorageErrorCode>`), and adds constructors and accessors for its details in an
/// extension. Modelled on postgres-nio's `PSQLError` (one struct, a typed code, the cause kept).
public struct LayeredError<Code: ErrorCode>: ArtifactStoreError {
    /// The typed code; ``code`` is its raw value.
    public let kind: Code
    /// What went wrong, naming the offending input.
    public let message: String
    /// What the layer adds (a path, a backend, a status).
    public let details: Code.Details
    /// The lower-level error that caused this one, if any.
    public let underlying: (any Error)?

    public init(_ kind: Code, _ message: String, details: Code.Details, underlying: (any Error)? = nil) {
        self.kind = kind
        self.message = message
        self.details = details
        self.underlying = underlying
    }
}

extension LayeredError where Code.Details == NoErrorDetails {
    public init(_ kind: Code, _ message: String, underlying: (any Error)? = nil) {
        self.init(kind, message, details: NoErrorDetails(), underlying: underlying)
    }
}

/// Two errors are equal when code, message and details are; the cause is not compared.
extension LayeredError: Equatable where Code.Details: Equatable {
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.kind == rhs.kind && lhs.message == rhs.message && lhs.details == rhs.details
    }
}
