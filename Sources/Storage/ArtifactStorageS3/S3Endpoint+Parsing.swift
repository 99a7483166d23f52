public import ArtifactStorage
import Foundation

extension S3Endpoint {
    /// Parses `http://host[:port]` or `https://host[:port]`; a trailing `/` is allowed, nothing else.
    ///
    /// Refused, as `invalidConfiguration`: another scheme, a missing host, user info (the message
    /// shows it as `<redacted>`), a path, query or fragment, a host with characters other than
    /// `A-Z a-z 0-9 . - _` (IPv6 literals go in brackets: `http://[::1]:9000`), and a port that
    /// is not 1–65535 in decimal digits.
    public init(parsing text: String) throws(StorageError) {
        try self.init(parsing: text) { (why: String) -> StorageError in
            StorageError(.invalidConfiguration, "S3 endpoint \(StorageURL.quote(StorageURL.redacting(text))) \(why)")
        }
    }

    /// The parser behind ``init(parsing:)``, with the caller's wording for a refusal, so an
    /// endpoint inside an `s3://` URL is refused as a part of that URL.
    init(parsing text: String, refusal: (String) -> StorageError) throws(StorageError) {
        guard let separator = text.range(of: "://") else {
            throw refusal("must be an http:// or https:// URL (http://host:port)")
        }
        let scheme = text[..<separator.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else {
            throw refusal("must be an http:// or https:// URL, not \(StorageURL.quote(scheme))")
        }
        let afterScheme = text[separator.upperBound...]
        let authority = afterScheme.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let trailing = afterScheme.dropFirst(authority.count)
        guard trailing.isEmpty || trailing == "/" else {
            throw refusal("must be scheme://host[:port] with no path, query or fragment")
        }
        guard !authority.contains("@") else {
            throw refusal("must not contain user info; credentials go in the environment or configuration")
        }
        guard !authority.isEmpty else { throw refusal("has no host") }

        let host: Substring
        let portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw refusal("has an unclosed [ in its host") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let rest = authority[authority.index(after: close)...]
            guard host.contains(":"), host.allSatisfy({ ($0.isASCII && $0.isHexDigit) || $0 == ":" || $0 == "." }) else {
                throw refusal("has an invalid IPv6 address in brackets")
            }
            if rest.isEmpty {
                portText = nil
            } else if rest.hasPrefix(":") {
                portText = rest.dropFirst()
            } else {
                throw refusal("has text after its bracketed host")
            }
        } else if let colon = authority.firstIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
            portText = nil
        }
        guard !host.isEmpty else { throw refusal("has no host") }
        if !authority.hasPrefix("[") {
            guard host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == "_") }) else {
                throw refusal("has an invalid host (A-Z a-z 0-9 . - _; IPv6 in brackets)")
            }
        }
        var port: Int?
        if let portText {
            guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
                let number = Int(portText), (1...65535).contains(number)
            else {
                throw refusal("has an invalid port \(StorageURL.quote(String(portText))) (1-65535)")
            }
            port = number
        }
        self.init(scheme: scheme, host: String(host), port: port)
    }
}
