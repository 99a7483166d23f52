public import ArtifactStoreCore
import Foundation

/// A storage URL taken apart strictly: `scheme://host/path?name=value&…`.
///
/// Exists because Foundation's `URL` accepts far more than a storage location should (relative
/// references, user info, fragments, lenient percent-encoding) and differs between platforms.
/// This parser accepts printable ASCII only, refuses user info, ports, fragments, malformed or
/// non-UTF-8 percent-encoding, empty or repeated query keys, and says which part was wrong with
/// `invalidConfiguration`. What each scheme requires beyond that is checked by its handler.
///
/// Lives in the base storage module so that every backend module (and the factory) parses URLs
/// with these same rules: one parser, one set of refusals.
public struct StorageURL: Sendable, Hashable, CustomStringConvertible {
    /// One `name=value` query item, both percent-decoded.
    public struct QueryItem: Sendable, Hashable {
        public var name: String
        public var value: String
    }

    /// Lower-cased scheme, e.g. `file`, `memory`, `s3`.
    public let scheme: String
    /// The decoded host (bucket, store name); empty when absent.
    public let host: String
    /// The decoded path, starting with `/` unless empty.
    public let path: String
    /// The decoded query items, in order.
    public let queryItems: [QueryItem]
    /// The text as given.
    public let text: String

    /// The text with any user info (`user:password@`) replaced by `<redacted>@`: what error
    /// messages and logs show.
    public var redactedText: String { Self.redacting(text) }

    public var description: String { redactedText }

    /// Replaces every `scheme://userinfo@` with `scheme://<redacted>@`.
    public static func redacting(_ text: String) -> String {
        var result = ""
        var rest = Substring(text)
        while let separator = rest.range(of: "://") {
            result += rest[..<separator.upperBound]
            rest = rest[separator.upperBound...]
            let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" && $0 != "&" }
            if let at = authority.lastIndex(of: "@") {
                result += "<redacted>"
                rest = rest[at...]
            }
        }
        return result + rest
    }

    public init(parsing text: String) throws(StorageError) {
        self.text = text
        func bad(_ part: String, _ why: String) -> StorageError {
            StorageError(
                .invalidConfiguration,
                "storage URL \(StorageURL.quote(StorageURL.redacting(text))): \(part) \(StorageURL.redacting(why))"
            )
        }
        guard !text.isEmpty else { throw bad("URL", "is empty") }
        for byte in text.utf8 where byte < 0x21 || byte > 0x7E {
            throw bad("URL", "contains a space, control or non-ASCII character; percent-encode it")
        }
        guard let schemeEnd = text.range(of: "://") else {
            throw bad("scheme", "is missing; expected scheme://… (file:///abs/path, memory://name, s3://bucket/prefix)")
        }
        let scheme = String(text[..<schemeEnd.lowerBound])
        let schemeValid =
            scheme.first.map { $0.isASCII && $0.isLetter } == true
            && scheme.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == ".") }
        guard schemeValid else { throw bad("scheme", "\(StorageURL.quote(scheme)) is not a valid scheme") }
        self.scheme = scheme.lowercased()

        var rest = text[schemeEnd.upperBound...]
        if rest.contains("#") { throw bad("fragment", "(#…) is not allowed") }
        var queryText: Substring? = nil
        if let question = rest.firstIndex(of: "?") {
            queryText = rest[rest.index(after: question)...]
            rest = rest[..<question]
        }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        if authority.contains("@") { throw bad("host", "contains user info (…@); put credentials in the environment or configuration") }
        if authority.contains(":") { throw bad("host", "contains a port; only s3 endpoints (in ?endpoint=) take ports") }
        self.host = try StorageURL.decode(authority, part: "host", in: text)
        self.path = try StorageURL.decode(rest[authorityEnd...], part: "path", in: text)

        var items: [QueryItem] = []
        if let queryText {
            guard !queryText.isEmpty else { throw bad("query", "is empty after \"?\"") }
            for pair in queryText.split(separator: "&", omittingEmptySubsequences: false) {
                guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                    throw bad("query", "item \(StorageURL.quote(String(pair))) is not name=value")
                }
                let name = try StorageURL.decode(pair[..<equals], part: "query name", in: text)
                let value = try StorageURL.decode(pair[pair.index(after: equals)...], part: "query value of \(name)", in: text)
                if items.contains(where: { $0.name == name }) { throw bad("query", "repeats \(StorageURL.quote(name))") }
                items.append(QueryItem(name: name, value: value))
            }
        }
        self.queryItems = items
    }

    /// The value of query item `name`, if present.
    public func queryValue(_ name: String) -> String? {
        queryItems.first { $0.name == name }?.value
    }

    /// The `invalidConfiguration` error for a URL whose `part` is wrong, formatted as every
    /// URL refusal is: `storage URL "<redacted text>": <part> <why>`. Backends use it so their
    /// messages name the part the same way the parser's do. User info is redacted from `why`
    /// too, since it often quotes a piece of the URL (a path, a query value).
    public func invalid(_ part: String, _ why: String) -> StorageError {
        StorageError(.invalidConfiguration, "storage URL \(StorageURL.quote(redactedText)): \(part) \(StorageURL.redacting(why))")
    }

    /// Refuses query items other than `allowed`, naming the first unknown one.
    public func requireOnlyQueryItems(_ allowed: Set<String>) throws(StorageError) {
        for item in queryItems where !allowed.contains(item.name) {
            let known = allowed.isEmpty ? "\(scheme) URLs take no query items" : "known: \(allowed.sorted().joined(separator: ", "))"
            throw invalid("unknown query item", "\(StorageURL.quote(item.name)) (\(known))")
        }
    }

    /// Percent-decodes strictly: `%` must be followed by two hex digits and the bytes must be UTF-8.
    static func decode(_ text: Substring, part: String, in url: String) throws(StorageError) -> String {
        let decoded: String
        do throws(PercentDecoding.Failure) {
            decoded = try PercentDecoding.decode(text)
        } catch .malformedEscape {
            throw StorageError(.invalidConfiguration, "storage URL \(quote(redacting(url))): \(part) has a malformed percent-escape")
        } catch {
            throw StorageError(.invalidConfiguration, "storage URL \(quote(redacting(url))): \(part) percent-decodes to invalid UTF-8")
        }
        if decoded.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw StorageError(
                .invalidConfiguration,
                "storage URL \(quote(redacting(url))): \(part) percent-decodes to a control character"
            )
        }
        return decoded
    }

    /// `text` in double quotes with quotes, backslashes, control and non-ASCII characters
    /// escaped, so hostile input in a message cannot forge log lines. Redact before quoting.
    public static func quote(_ text: String) -> String {
        "\"" + text.unicodeScalars.map { $0.escaped(asASCII: true) }.joined() + "\""
    }
}
