/// An error from ``BLAKE3Hasher`` or ``BLAKE3``.
///
/// `code` is stable and meant for programs (logs, metrics, API error bodies); `message` is for
/// people and names the offending input. Key bytes are never included in either: a key is
/// secret, so only its length is reported.
public struct BLAKE3Error: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable machine-readable code, e.g. `"invalidKeyLength"`.
    public let code: String
    /// Human-readable explanation naming the input that was rejected.
    public let message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// The key given to keyed hashing was not exactly ``BLAKE3/keyByteCount`` (32) bytes.
    public static func invalidKeyLength(_ length: Int) -> BLAKE3Error {
        BLAKE3Error(
            code: "invalidKeyLength",
            message: "BLAKE3 key must be exactly \(BLAKE3.keyByteCount) bytes, but the key given has \(length) bytes"
        )
    }

    public var description: String { "\(code): \(message)" }
}
