public import ArtifactStoreCore

/// The LDAPv3 operations the client speaks (RFC 4511): simple bind, search by equality, unbind,
/// and the answers to them.
///
/// Exists to keep the protocol's shapes in one place, separate from the connection: requests
/// are built as ``BERElement``s; answers are parsed from one framed ``BERElement`` each.
public enum LDAPMessage {
    /// `BindRequest` (simple authentication, version 3).
    public static func bind(id: Int64, dn: String, password: String) -> BERElement {
        envelope(
            id,
            .constructed(
                0x60,
                [.integer(3), .octetString(dn), BERElement(tag: 0x80, contents: Array(password.utf8))]
            )
        )
    }

    /// `UnbindRequest`.
    public static func unbind(id: Int64) -> BERElement {
        envelope(id, BERElement(tag: 0x42, contents: []))
    }

    /// `SearchRequest` for entries under `base` (whole subtree) whose `attribute` equals `value`,
    /// returning no attributes (the entries' DNs are what is wanted), at most `sizeLimit`.
    public static func search(id: Int64, base: String, attribute: String, value: String, sizeLimit: Int64, timeLimit: Int64) -> BERElement {
        let filter = BERElement.constructed(0xA3, [.octetString(attribute), .octetString(value)])
        return envelope(
            id,
            .constructed(
                0x63,
                [
                    .octetString(base), .integer(2, tag: BERElement.Tag.enumerated), .integer(0, tag: BERElement.Tag.enumerated),
                    .integer(sizeLimit), .integer(timeLimit), .boolean(false), filter,
                    .constructed(BERElement.Tag.sequence, [.octetString("1.1")]),
                ]
            )
        )
    }

    static func envelope(_ id: Int64, _ operation: BERElement) -> BERElement {
        .constructed(BERElement.Tag.sequence, [.integer(id), operation])
    }

    /// A message from the server, as far as the client needs it.
    public enum Response: Sendable, Hashable {
        /// `BindResponse` or `SearchResultDone`: the result code and diagnostic message.
        case result(id: Int64, operation: UInt8, code: Int64, message: String)
        /// `SearchResultEntry`: the entry's DN.
        case entry(id: Int64, dn: String)
        /// Anything else (a search reference, an intermediate response, a notice).
        case other(id: Int64, operation: UInt8)

        public var id: Int64 {
            switch self {
            case .result(let id, _, _, _), .entry(let id, _), .other(let id, _): id
            }
        }
    }

    /// Parses one `LDAPMessage`.
    ///
    /// - Throws: `malformedResponse` for anything not shaped as RFC 4511 says.
    public static func parse(_ element: BERElement) throws(LDAPError) -> Response {
        guard element.tag == BERElement.Tag.sequence else {
            throw LDAPError(.malformedResponse, "an LDAP message is not a SEQUENCE (tag 0x\(String(element.tag, radix: 16)))")
        }
        let parts = try element.children()
        guard parts.count >= 2, parts[0].tag == BERElement.Tag.integer else {
            throw LDAPError(.malformedResponse, "an LDAP message lacks its message id or operation")
        }
        let id = try parts[0].integerValue()
        let operation = parts[1]
        switch operation.tag {
        case 0x61, 0x65:
            let fields = try operation.children(depth: 1)
            guard fields.count >= 3, fields[0].tag == BERElement.Tag.enumerated, fields[1].tag == BERElement.Tag.octetString,
                fields[2].tag == BERElement.Tag.octetString
            else { throw LDAPError(.malformedResponse, "an LDAP result lacks its code, matched DN or message") }
            return .result(id: id, operation: operation.tag, code: try fields[0].integerValue(), message: fields[2].stringValue())
        case 0x64:
            let fields = try operation.children(depth: 1)
            guard let name = fields.first, name.tag == BERElement.Tag.octetString else {
                throw LDAPError(.malformedResponse, "an LDAP search entry lacks its DN")
            }
            return .entry(id: id, dn: name.stringValue())
        default:
            return .other(id: id, operation: operation.tag)
        }
    }
}
