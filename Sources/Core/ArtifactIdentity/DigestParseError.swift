import ArtifactStoreCore

/// Why a digest's text form was refused.
///
/// Its ``code`` is always `invalidDigest`; ``reason`` says which rule the input broke, and the
/// message quotes the input (truncated to keep hostile input out of logs).

public struct DigestParseError: ArtifactStoreError, Equatable {
    /// The rule a digest string broke.
    public enum Reason: String, Sendable, Hashable, Codable {
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

    public var code: String { "invalidDigest" }
    public let reason: Reason
    /// The refused input, truncated to 100 characters.
    public let input: String
    public let message: String

    init(_ reason: Reason, input: String, detail: String) {
        self.reason = reason
        self.input = Self.quoted(input)
        self.message = "invalid digest \(self.input): \(detail)"
    }

    /// `input` in quotes, control characters escaped and cut at 100 characters, safe for logs.
    static func quoted(_ input: String) -> String {
        let limit = 100
        var text = String(input.unicodeScalars.prefix(limit).map { scalar -> String in
            scalar.value < 0x20 || scalar.value == 0x7F ? scalar.escaped(asASCII: true) : String(scalar)
        }.joined())
        if input.unicodeScalars.count > limit { text += "…" }
        return "\"\(text)\""
    }
}
