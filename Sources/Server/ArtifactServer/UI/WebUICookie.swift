import HTTPTypes
import Hummingbird

/// The web UI's session cookie and CSRF header: their names, how a request's `Cookie` header is
/// read, and the `Set-Cookie` values that open and end a session.
///
/// Exists so the cookie's attributes are written in one place: `HttpOnly` (no script reads the
/// session id), `SameSite=Strict` (no other site's page sends it), `Path=/` and, when the request
/// came over TLS, `Secure`.
enum WebUICookie {
    static let name = "artifactstore_session"
    /// The header a state-changing `/v1` request made with the session cookie must carry.
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    /// The session id in a `Cookie` header (`a=1; artifactstore_session=…; b=2`), if any.
    static func sessionID(fromCookieHeader header: String) -> String? {
        value(named: name, fromCookieHeader: header)
    }

    /// The value of cookie `name` in a `Cookie` header, if any.
    static func value(named name: String, fromCookieHeader header: String) -> String? {
        for pair in header.split(separator: ";") {
            let trimmed = pair.drop { $0 == " " || $0 == "\t" }
            guard let equals = trimmed.firstIndex(of: "="), trimmed[..<equals] == name else { continue }
            let value = trimmed[trimmed.index(after: equals)...].trimmingSuffix(while: { $0 == " " || $0 == "\t" })
            return value.isEmpty ? nil : String(value)
        }
        return nil
    }

    /// The `Set-Cookie` value that gives the browser session `id` for `maxAge` seconds.
    static func opening(_ id: String, maxAge: Int64, secure: Bool) -> String {
        "\(name)=\(id); Path=/; Max-Age=\(max(0, maxAge)); HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")"
    }

    /// The `Set-Cookie` value that removes the cookie.
    static func ending(secure: Bool) -> String {
        "\(name)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")"
    }

    /// Whether `request` reached us over TLS: its scheme is `https` (a TLS listener sets it), or
    /// a proxy in front says so with `X-Forwarded-Proto: https`. Only ever adds `Secure`.
    static func cameOverTLS(_ request: Request) -> Bool {
        request.head.scheme?.lowercased() == "https"
            || request.headers[HTTPField.Name("X-Forwarded-Proto")!]?.lowercased() == "https"
    }
}

extension Substring {
    fileprivate func trimmingSuffix(while predicate: (Character) -> Bool) -> Substring {
        var end = endIndex
        while end > startIndex, predicate(self[index(before: end)]) { end = index(before: end) }
        return self[startIndex..<end]
    }
}
