/// One layer's set of error codes: a `String` enum whose raw values are the stable codes.
///
/// Exists so what a code means, which HTTP status answers it and which exit status the CLI gives
/// it are written once, next to the code, and `docs/errors.md` is generated from them (a test fails
/// when the document and the code disagree). A code means the same thing in every layer that
/// uses it.
public protocol ErrorCode: RawRepresentable, CaseIterable, Hashable, Sendable where RawValue == String {
    /// What a ``LayeredError`` of this layer carries besides code, message and cause (the path,
    /// the backend, …); ``NoErrorDetails`` for most layers.
    associatedtype Details: Sendable = NoErrorDetails

    /// The layer whose operations produce these codes, as `docs/errors.md` names it.
    static var layer: String { get }

    /// What the code means, in one or two sentences (the `meaning` column of `docs/errors.md`).
    var meaning: String { get }

    /// The HTTP status the server answers this code with; `nil` when the code never reaches an
    /// HTTP answer as itself (a lower layer's code that a higher layer wraps).
    var httpStatus: Int? { get }

    /// The status a client command exits with when this code ends it; `nil` when the code never
    /// ends a client command as itself. Defaults to the status of ``httpStatus``
    /// (``ExitStatus/init(httpStatus:)``).
    var exitStatus: ExitStatus? { get }
}

extension ErrorCode {
    public var httpStatus: Int? { nil }

    public var exitStatus: ExitStatus? { httpStatus.map(ExitStatus.init(httpStatus:)) }
}

/// The details of a ``LayeredError`` whose layer needs none.
public struct NoErrorDetails: Sendable, Hashable {
    public init() {}
}
