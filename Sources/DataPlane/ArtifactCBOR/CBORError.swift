// Re-exported (as NIOPosix re-exports NIOCore): this module's error is a `LayeredError`, so its users
// need the core's members (`kind`, `message`, `underlying`) wherever they handle it.
@_exported import ArtifactStoreCore

/// Why CBOR could not be decoded or encoded.
///
/// Every failure of the codec is one of these, never a trap: hostile frames from the data plane
/// socket end as a value the caller can log and answer with an error frame. ``code`` is stable
/// (it travels in error frames); ``message`` names the input: the byte offset for the low-level
/// decoder, the coding path for `Codable`.
public typealias CBORError = LayeredError<CBORErrorCode>

/// The kind of CBOR failure. Its raw value is the error's stable ``CBORError/code``. CBOR codes
/// reach no HTTP answer as themselves: the wire protocol reports them as `malformedFrame`.
public enum CBORErrorCode: String, ErrorCode, Codable {
    case truncated
    case malformed
    case invalidUTF8
    case trailingBytes
    case depthLimitExceeded
    case itemCountLimitExceeded
    case lengthLimitExceeded
    case duplicateMapKey
    case invalidValue
    case typeMismatch
    case keyNotFound
    case valueNotFound
    case dataCorrupted

    public typealias Details = CBORErrorDetails

    public static let layer = "CBOR"

    public var meaning: String {
        switch self {
        case .truncated: "The input ended inside a data item (RFC 8949 Appendix F, \"too little data\")."
        case .malformed:
            "The input is not well-formed CBOR (Appendix F, \"syntax error\"): reserved additional information, a misplaced break, a "
                + "two-byte simple value below 32, wrong string chunks."
        case .invalidUTF8: "A text string is not valid UTF-8."
        case .trailingBytes: "A complete data item was followed by more bytes (Appendix F, \"too much data\")."
        case .depthLimitExceeded: "Arrays, maps and tags nest deeper than `CBORLimits.maximumDepth`."
        case .itemCountLimitExceeded: "The input holds more data items than `CBORLimits.maximumItemCount`."
        case .lengthLimitExceeded: "A string, array or map is longer than `CBORLimits.maximumLength`."
        case .duplicateMapKey: "A map has the same key twice (strict decoding, and always when encoding)."
        case .invalidValue: "A value cannot be encoded as CBOR (e.g. `simple(20)`, which is `false`'s own encoding)."
        case .typeMismatch: "`Codable`: the CBOR value is not of the type asked for, or out of its range."
        case .keyNotFound: "`Codable`: a struct field is missing from the map."
        case .valueNotFound: "`Codable`: a value is missing (null where a value is needed, or an array ran out)."
        case .dataCorrupted: "`Codable`: a type's own `init(from:)` refused the data."
        }
    }
}

/// What a ``CBORError`` adds: where in the input or the value it happened.
public struct CBORErrorDetails: Sendable, Equatable {
    /// Offset of the offending byte in the decoded input, for low-level decoding errors.
    public var offset: Int?
    /// Where in the value the failure happened, for `Codable` errors (e.g. `items[2].count`).
    public var codingPath: [any CodingKey]

    /// Equal when the offsets are (the coding path is named in the message).
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.offset == rhs.offset }
}

extension CBORError {
    public typealias Kind = CBORErrorCode

    /// Offset of the offending byte in the decoded input, for low-level decoding errors.
    public var offset: Int? { details.offset }
    /// Where in the value the failure happened, for `Codable` errors (e.g. `items[2].count`).
    public var codingPath: [any CodingKey] { details.codingPath }

    /// A low-level decoding error at `offset` of the input.
    public init(_ kind: CBORErrorCode, at offset: Int, _ detail: String) {
        self.init(kind, "\(detail) (at byte offset \(offset))", details: CBORErrorDetails(offset: offset, codingPath: []))
    }

    /// An encoding or `Codable` error; `codingPath` (if any) is named in the message.
    public init(_ kind: CBORErrorCode, codingPath: [any CodingKey] = [], _ detail: String, underlying: (any Error)? = nil) {
        let message = codingPath.isEmpty ? detail : "\(detail) (at coding path \(CBORError.describe(codingPath)))"
        self.init(kind, message, details: CBORErrorDetails(offset: nil, codingPath: codingPath), underlying: underlying)
    }

    /// A coding path as `a.b[2].c`, or `<root>` when empty.
    public static func describe(_ codingPath: [any CodingKey]) -> String {
        if codingPath.isEmpty { return "<root>" }
        var text = ""
        for key in codingPath {
            if let index = key.intValue, key.stringValue == "Index \(index)" {
                text += "[\(index)]"
            } else {
                if !text.isEmpty { text += "." }
                text += key.stringValue
            }
        }
        return text
    }
}
