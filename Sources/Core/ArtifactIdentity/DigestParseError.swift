// Re-exported (as NIOPosix re-exports NIOCore): this module's error is a `LayeredError`, so its users
// need the core's members (`kind`, `message`, `underlying`) wherever they handle it.
@_exported import ArtifactStoreCore

/// Why a digest's text form was refused.
///
/// Its ``code`` is always `invalidDigest`; ``reason`` says which rule the input broke, and the
/// message quotes the input (truncated to keep hostile input out of logs).
public typealias DigestParseError = LayeredError<DigestParseErrorCode>

/// The identity layer's one code: a digest that does not parse (``DigestParseReason`` says why).
public enum DigestParseErrorCode: String, ErrorCode {
    case invalidDigest

    public typealias Details = DigestParseErrorDetails

    public static let layer = "identity"

    public var meaning: String { "A digest or content address does not parse (no or unknown algorithm, wrong length, not lower-case hex)." }

    public var httpStatus: Int? { 400 }
}

/// The rule a digest string broke.
public enum DigestParseReason: String, Sendable, Hashable, Codable {
    /// No `algorithm:` prefix.
    case missingPrefix
    /// The prefix names an algorithm ArtifactStore does not know.
    case unknownAlgorithm
    /// The hex part has the wrong number of characters.
    case wrongLength
    /// The hex part has an upper-case hex digit; the text form is lower-case only.
    case uppercaseHex
    /// The hex part has a character that is not a hex digit.
    case nonHexCharacter
    /// Raw bytes of the wrong count were given for a digest.
    case wrongByteCount
}

/// What a ``DigestParseError`` adds: the rule broken and the input.
public struct DigestParseErrorDetails: Sendable, Hashable {
    public var reason: DigestParseReason
    /// The refused input, quoted and truncated to 100 characters.
    public var input: String
}

extension DigestParseError {
    public typealias Reason = DigestParseReason

    /// The rule the input broke.
    public var reason: DigestParseReason { details.reason }
    /// The refused input, truncated to 100 characters.
    public var input: String { details.input }

    init(_ reason: DigestParseReason, input: String, detail: String) {
        let quoted = Self.quoted(input)
        self.init(.invalidDigest, "invalid digest \(quoted): \(detail)", details: DigestParseErrorDetails(reason: reason, input: quoted))
    }

    /// `input` in quotes, control characters escaped and cut at 100 characters, safe for logs.
    static func quoted(_ input: String) -> String {
        let limit = 100
        var text = String(
            input.unicodeScalars.prefix(limit).map { scalar -> String in
                scalar.value < 0x20 || scalar.value == 0x7F ? scalar.escaped(asASCII: true) : String(scalar)
            }.joined()
        )
        if input.unicodeScalars.count > limit { text += "…" }
        return "\"\(text)\""
    }
}
