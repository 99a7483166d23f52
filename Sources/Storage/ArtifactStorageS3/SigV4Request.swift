/// The parts of an HTTP request that AWS Signature Version 4 covers.
///
/// Exists so the signer can be driven by hand-made requests (the S3 client) and by parsed test
/// vectors alike, without depending on any HTTP library's request type.
///
/// - `path` is the request path **as it goes on the wire** (percent-encoded, e.g.
///   `/bucket/my%20key`). Characters that are not legal on the wire (a raw space, raw UTF-8) are
///   tolerated and encoded by the signer, as the AWS test suites expect.
/// - `query` holds **decoded** name/value pairs in the order they will be sent; the signer
///   encodes and sorts them for the canonical query.
/// - `headers` keeps names as given and duplicates in order; every header present when
///   signing is signed.
public struct SigV4Request: Sendable, Hashable {
    /// One query parameter, decoded. A parameter written without `=` has an empty value.
    public struct QueryItem: Sendable, Hashable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String = "") {
            self.name = name
            self.value = value
        }
    }

    /// One header line. Names are case-insensitive; the value may contain folded line breaks.
    public struct Header: Sendable, Hashable {
        public var name: String
        public var value: String

        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    public var method: String
    public var path: String
    public var query: [QueryItem]
    public var headers: [Header]

    public init(method: String, path: String, query: [QueryItem] = [], headers: [Header] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
    }

    /// The first value of the header `name` (case-insensitive), if any.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }

    /// Replaces every header called `name` (case-insensitive) with one header of `value`.
    public mutating func setHeader(_ name: String, _ value: String) {
        let lower = name.lowercased()
        headers.removeAll { $0.name.lowercased() == lower }
        headers.append(Header(name, value))
    }

    /// The query in wire form (`a=1&b=2`), in the order of ``query``, each part percent-encoded.
    public var encodedQuery: String {
        query.map { SigV4Signer.uriEncode($0.name) + "=" + SigV4Signer.uriEncode($0.value) }.joined(separator: "&")
    }

    /// Splits a wire query string (`a=1&b=%20`) into decoded items, in order.
    public static func decodeQuery(_ text: Substring) -> [QueryItem] {
        guard !text.isEmpty else { return [] }
        return text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            if let equals = pair.firstIndex(of: "=") {
                return QueryItem(
                    SigV4Signer.percentDecode(pair[..<equals]),
                    SigV4Signer.percentDecode(pair[pair.index(after: equals)...])
                )
            }
            return QueryItem(SigV4Signer.percentDecode(pair), "")
        }
    }
}
