import Crypto
import Foundation

/// The random values of a sign-in (state, nonce, PKCE verifier) and their checks.
///
/// Exists so each is made one way: 32 bytes from the system's generator in base64url (43
/// characters, RFC 7636's verifier alphabet), the S256 challenge is base64url(SHA-256(verifier)),
/// and comparisons take the same time however much of a value was right.
enum OIDCSecrets {
    static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return base64URL(bytes)
    }

    static func challenge(for verifier: String) -> String {
        base64URL(Array(SHA256.hash(data: Array(verifier.utf8))))
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Whether `a` and `b` are equal, in time that depends only on their lengths.
    static func equal(_ a: String, _ b: String) -> Bool {
        let left = Array(a.utf8)
        let right = Array(b.utf8)
        guard left.count == right.count else { return false }
        return zip(left, right).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// Whether `text` has the form ``random()`` makes (43 base64url characters).
    static func isWellFormed(_ text: Substring) -> Bool {
        text.utf8.count == 43
            && text.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || $0 == "-" || $0 == "_" }
    }
}
