import ArtifactStoreCore

/// Why CBOR could not be decoded or encoded.
///
/// Every failure of the codec is one of these, never a trap: hostile frames from the data plane
/// socket end as a value the caller can log and answer with an error frame. ``code`` is stable
/// (it travels in error frames); ``message`` names the input: the byte offset for the low-level
/// decoder, the coding path for `Codable`.
public struct CBORError: ArtifactStoreError, Equatable {
    /// The kind of failure. Its raw value is the error's stable ``code``.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// The input ended inside a data item (RFC 8949 Appendix F, "too little data").
        case truncated
        /// The input is not well-formed CBOR (Appendix F, "syntax error"): reserved additional
        /// information, a misplaced break, a two-byte simple value below 32, wrong string chunks.
        case malformed
        /// A text string is not valid UTF-8.
        case invalidUTF8
        /// A complete data item was followed by more bytes (Appendix F, "too much data").
        case trailingBytes
        /// Arrays, maps and tags nest deeper than ``CBORLimits/maximumDepth``.
        case depthLimitExceeded
        /// The input holds more data items than ``CBORLimits/maximumItemCount``.
        case itemCountLimitExceeded
        /// A string, array or map is longer than ``CBORLimits/maximumLength``.
        case lengthLimitExceeded
        /// A map has the same key twice (strict decoding, and always when encoding).
        case duplicateMapKey
        /// A value cannot be encoded as CBOR (e.g. `simple(20)`, which is `false`'s own encoding).
        case invalidValue
        /// `Codable`: the CBOR value is not of the type asked for, or out of its range.
        case typeMismatch
        /// `Codable`: a struct field is missing from the map.
        case keyNotFound
        /// `Codable`: a value is missing (null where a value is needed, or an array ran out).
        case valueNotFound
        /// `Codable`: a type's own `init(from:)` refused the data.
        case dataCorrupted
    }

    /// What failed.
    public let kind: Kind
    /// Offset of the offending byte in the decoded input, for low-level decoding errors.
    public let offset: Int?
    /// Where in the value the failure happened, for `Codable` errors (e.g. `items[2].count`).
    public let codingPath: [any CodingKey]
    public let message: String
    public let underlying: (any Error)?

    public var code: String { kind.rawValue }

    /// A low-level decoding error at `offset` of the input.
    public init(_ kind: Kind, at offset: Int, _ detail: String) {
        self.kind = kind
        self.offset = offset
        self.codingPath = []
        self.message = "\(detail) (at byte offset \(offset))"
        self.underlying = nil
    }

    /// An encoding or `Codable` error; `codingPath` (if any) is named in the message.
    public init(_ kind: Kind, codingPath: [any CodingKey] = [], _ detail: String, underlying: (any Error)? = nil) {
        self.kind = kind
        self.offset = nil
        self.codingPath = codingPath
        let path = CBORError.describe(codingPath)
        self.message = codingPath.isEmpty ? detail : "\(detail) (at coding path \(path))"
        self.underlying = underlying
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

    public static func == (lhs: CBORError, rhs: CBORError) -> Bool {
        lhs.kind == rhs.kind && lhs.offset == rhs.offset && lhs.message == rhs.message
    }
}
