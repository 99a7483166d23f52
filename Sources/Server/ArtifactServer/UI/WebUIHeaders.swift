import HTTPTypes
import Hummingbird
import NIOCore

/// The headers every web UI answer carries, and the few kinds of answer the UI makes.
///
/// Exists so no UI response can leave out its protections: the content security policy allows
/// scripts, styles and requests from this origin only (no inline script, no `eval`), no framing
/// (`frame-ancestors 'none'`), no forms posted elsewhere; `nosniff` stops a store file or JSON
/// from being read as script; the referrer never leaves the origin; and nothing is cached.
enum WebUIHeaders {
    static let contentSecurityPolicy = [
        "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "connect-src 'self'",
        "form-action 'self'", "base-uri 'none'", "frame-ancestors 'none'",
    ].joined(separator: "; ")

    static func apply(to headers: inout HTTPFields) {
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        headers[.xContentTypeOptions] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[.cacheControl] = "no-store"
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        self.text(text, contentType: "text/html; charset=utf-8", status: status)
    }

    static func text(_ text: String, contentType: String, status: HTTPResponse.Status = .ok) -> Response {
        let buffer = ByteBuffer(string: text)
        var response = Response(
            status: status,
            headers: [.contentType: contentType, .contentLength: "\(buffer.readableBytes)"],
            body: .init(byteBuffer: buffer)
        )
        apply(to: &response.headers)
        return response
    }

    /// `303 See Other` to `location` (a path of this server).
    static func redirect(to location: String) -> Response {
        var response = Response(status: .seeOther, headers: [.location: location, .contentLength: "0"])
        apply(to: &response.headers)
        return response
    }
}
