// Re-exported (as NIOPosix re-exports NIOCore): this module's error is a `LayeredError`, so its users
// need the core's members (`kind`, `message`, `underlying`) wherever they handle it.
@_exported import ArtifactStoreCore

/// An error from ``BLAKE3Hasher`` or ``BLAKE3``.
///
/// `code` is stable and meant for programs (logs, metrics, API error bodies); `message` is for
/// people and names the offending input. Key bytes are never included in either: a key is
/// secret, so only its length is reported.
public typealias BLAKE3Error = LayeredError<BLAKE3ErrorCode>

/// The BLAKE3 library's codes. Never renamed once published.
public enum BLAKE3ErrorCode: String, ErrorCode {
    case invalidKeyLength

    public static let layer = "BLAKE3"

    public var meaning: String { "A key for keyed hashing is not exactly 32 bytes (only its length is reported, never its bytes)." }
}

extension BLAKE3Error {
    public init(code: BLAKE3ErrorCode, message: String) {
        self.init(code, message)
    }

    /// The key given to keyed hashing was not exactly ``BLAKE3/keyByteCount`` (32) bytes.
    public static func invalidKeyLength(_ length: Int) -> BLAKE3Error {
        BLAKE3Error(
            code: .invalidKeyLength,
            message: "BLAKE3 key must be exactly \(BLAKE3.keyByteCount) bytes, but the key given has \(length) bytes"
        )
    }
}
