/// The shape every ArtifactStore error takes, in every layer.
///
/// Errors are values with a stable, machine-readable ``code`` (the same string comes out of the
/// HTTP API, the data-plane wire protocol and the CLI), a human ``message`` that names the input
/// that was refused, and the ``underlying`` error that caused it, if any. Codes never change once
/// published; messages may be reworded.
public protocol ArtifactStoreError: Error, Sendable, CustomStringConvertible {
    /// Stable identifier, e.g. `invalidDigest` or `notFound`.
    var code: String { get }
    /// What went wrong, naming the offending input.
    var message: String { get }
    /// The lower-level error that caused this one, if any.
    var underlying: (any Error)? { get }
}

extension ArtifactStoreError {
    public var underlying: (any Error)? { nil }

    public var description: String {
        if let underlying {
            return "\(code): \(message) (caused by: \(underlying))"
        }
        return "\(code): \(message)"
    }
}
