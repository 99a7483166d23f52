/// The shape every ArtifactStore error takes, in every layer.
///
/// Errors are values with a typed ``kind`` (whose raw value is the stable ``code`` string that comes
/// out of the HTTP API, the data-plane wire protocol and the CLI), a human ``message`` that names
/// the input that was refused, and the ``underlying`` error that caused it, if any. Codes never
/// change once published; messages may be reworded.
///
/// Almost every layer's error is a ``LayeredError`` specialised with that layer's ``ErrorCode``
/// enum; this protocol is what code that handles errors of any layer (the CLI's reporting, the
/// client's exit status) relies on.
public protocol ArtifactStoreError: Error, Sendable, CustomStringConvertible {
    associatedtype Code: ErrorCode
    /// The typed code: what went wrong, as a program should react to it.
    var kind: Code { get }
    /// Stable identifier, e.g. `invalidDigest` or `notFound`: the code as it is sent and printed.
    var code: String { get }
    /// What went wrong, naming the offending input.
    var message: String { get }
    /// The lower-level error that caused this one, if any.
    var underlying: (any Error)? { get }
}

extension ArtifactStoreError {
    public var code: String { kind.rawValue }

    public var underlying: (any Error)? { nil }

    /// `code: message`, followed by the cause when there is one. For logs: a person-facing line
    /// prints only ``code`` and ``message``, since the cause may be a library's own error.
    public var description: String {
        if let underlying {
            return "\(code): \(message) (caused by: \(underlying))"
        }
        return "\(code): \(message)"
    }
}
