import Crypto

// The canonical forms of SigV4: URI encoding, path, query and headers.
extension SigV4Signer {
    /// The SHA-256 of the empty string, the payload hash of every request without a body.
    public static let emptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// The payload hash S3 accepts instead of a body digest (always used for presigned URLs).
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    /// Percent-encodes every UTF-8 byte outside `A-Z a-z 0-9 - . _ ~` (uppercase hex), keeping `/`
    /// when `keepSlash`. This is AWS's `UriEncode`; `%` itself is encoded, so encoding an already
    /// encoded string encodes it twice.
    public static func uriEncode(_ text: some StringProtocol, keepSlash: Bool = false) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hexDigitsUpper[Int(byte >> 4)])
                out.append(hexDigitsUpper[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `%XX` escapes (any case); a `%` not followed by two hex digits is kept as is.
    /// `+` is not a space here: SigV4 query values are RFC 3986, not form encoded.
    public static func percentDecode(_ text: some StringProtocol) -> String {
        let bytes = Array(text.utf8)
        guard bytes.contains(UInt8(ascii: "%")) else { return String(text) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                out.append(high << 4 | low)
                index += 3
            } else {
                out.append(byte)
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The canonical URI for `path` (wire form) under `mode`.
    ///
    /// - ``PathMode/s3``: the path is used as sent, never normalised; it is decoded and encoded
    ///   once, so a correctly encoded wire path comes out unchanged and raw characters get encoded.
    /// - ``PathMode/generic``: `.`/`..` segments are removed and `//` collapsed, then the wire
    ///   path is URI-encoded again (the "double encoding" every service except S3 uses).
    public static func canonicalURI(_ path: String, mode: PathMode) -> String {
        let path = path.isEmpty ? "/" : path
        switch mode {
        case .s3:
            return uriEncode(percentDecode(path), keepSlash: true)
        case .generic:
            return uriEncode(normalizePath(path), keepSlash: true)
        }
    }

    /// Removes empty, `.` and `..` segments (RFC 3986 §5.2.4, plus collapsing `//`), keeping a
    /// trailing slash. The result always starts with `/`.
    public static func normalizePath(_ path: String) -> String {
        var output: [Substring] = []
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        for part in parts {
            switch part {
            case "", ".": continue
            case "..": _ = output.popLast()
            default: output.append(part)
            }
        }
        guard !output.isEmpty else { return "/" }
        let last = parts.last ?? ""
        let trailingSlash = last.isEmpty || last == "." || last == ".."
        return "/" + output.joined(separator: "/") + (trailingSlash ? "/" : "")
    }

    /// The canonical query: names and values URI-encoded, sorted by encoded name then value,
    /// joined as `name=value` with `&` (a parameter without value gives `name=`).
    public static func canonicalQuery(_ items: [SigV4Request.QueryItem]) -> String {
        items
            .map { (uriEncode($0.name), uriEncode($0.value)) }
            .sorted { lhs, rhs in
                if lhs.0 != rhs.0 { return lhs.0.utf8.lexicographicallyPrecedes(rhs.0.utf8) }
                return lhs.1.utf8.lexicographicallyPrecedes(rhs.1.utf8)
            }
            .map { $0.0 + "=" + $0.1 }
            .joined(separator: "&")
    }

    /// Canonical headers (`name:value\n` each, sorted by lower-case name) and the signed-header
    /// list (`a;b;c`). Values are trimmed and every run of whitespace inside, including folded
    /// line breaks, becomes one space; repeated headers are joined with `,` in the order sent.
    public static func canonicalHeaders(_ headers: [SigV4Request.Header]) -> (canonical: String, signed: String) {
        var order: [String] = []
        var values: [String: [String]] = [:]
        for header in headers {
            let name = header.name.lowercased().trimmingASCIIWhitespace()
            if values[name] == nil { order.append(name) }
            values[name, default: []].append(canonicalHeaderValue(header.value))
        }
        let names = order.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let canonical = names.map { $0 + ":" + values[$0]!.joined(separator: ",") + "\n" }.joined()
        return (canonical, names.joined(separator: ";"))
    }

    /// Trims a header value and collapses internal whitespace runs (space, tab, CR, LF) to one space.
    static func canonicalHeaderValue(_ value: String) -> String {
        var out: [UInt8] = []
        var pendingSpace = false
        for byte in value.utf8 {
            if byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(0x20) }
                pendingSpace = false
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Hex SHA-256 of `bytes`.
    public static func sha256Hex(_ bytes: some Sequence<UInt8>) -> String {
        hex(SHA256.hash(data: Array(bytes)))
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        for byte in bytes {
            out.append(hexDigitsLower[Int(byte >> 4)])
            out.append(hexDigitsLower[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }

    private static let hexDigitsUpper = Array("0123456789ABCDEF".utf8)
    private static let hexDigitsLower = Array("0123456789abcdef".utf8)
}

extension String {
    func trimmingASCIIWhitespace() -> String {
        let bytes = Array(utf8)
        var start = 0
        var end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        return String(decoding: bytes[start..<end], as: UTF8.self)
    }
}
