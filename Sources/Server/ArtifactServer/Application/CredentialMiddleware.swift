import Foundation
import HTTPTypes
import Hummingbird

/// Reads the caller's token from `Authorization: Bearer <token>` or
/// `Authorization: Basic base64(<any user>:<token>)` into the context.
///
/// Exists so every route sees one credential whatever the scheme (Basic lets tools that only
/// speak Basic, like curl `-u` or docker, use a token as the password). It only extracts:
/// deciding 401/403 needs the route's scope and namespace, which ``APIRoute`` knows, and the
/// control plane's `Auth.require` audits every refusal. A malformed header carries no
/// credential, which the route answers with 401.
struct CredentialMiddleware: Sendable {
    typealias Context = ServerRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization], let credential = Self.credential(fromAuthorization: header) {
            context.credential = credential.token
            context.basicUser = credential.basicUser
        }
        // The web UI's session cookie counts only when no Authorization header was sent.
        if context.credential == nil, let cookie = request.headers[.cookie] {
            context.sessionID = WebUICookie.sessionID(fromCookieHeader: cookie)
        }
        return try await next(request, context)
    }

    /// The token of an `Authorization` value: `Bearer <token>`, or the password of
    /// `Basic <base64(user:password)>`; the scheme in any ASCII case, spaces and tabs around the
    /// token ignored. `nil` for anything else.
    static func token(fromAuthorization header: String) -> String? {
        credential(fromAuthorization: header)?.token
    }

    /// The user name of `Basic <base64(user:password)>` (empty names are `nil`); `nil` for any
    /// other scheme or a header that carries no credential.
    static func basicUser(fromAuthorization header: String) -> String? {
        credential(fromAuthorization: header)?.basicUser
    }

    /// What an `Authorization` value carries: the token (``token(fromAuthorization:)``) and, for
    /// Basic, the user name before the first `:` (`nil` when empty). `nil` when it carries no token.
    ///
    /// Reads the bytes in place and decodes Basic's base64 once (it runs on every request: trimming
    /// and searching the decoded `Character`s with Foundation cost each Basic request some 80,000
    /// instructions, callgrind); only ASCII is trimmed and case-folded.
    static func credential(fromAuthorization header: String) -> (token: String, basicUser: String?)? {
        var header = header
        return header.withUTF8 { bytes -> (token: String, basicUser: String?)? in
            let space = UInt8(ascii: " ")
            let tab = UInt8(ascii: "\t")
            guard let schemeStart = bytes.firstIndex(where: { $0 != space }),
                let schemeEnd = bytes[schemeStart...].firstIndex(of: space)
            else { return nil }
            var valueStart = schemeEnd + 1
            var valueEnd = bytes.count
            while valueStart < valueEnd, bytes[valueStart] == space || bytes[valueStart] == tab { valueStart += 1 }
            while valueEnd > valueStart, bytes[valueEnd - 1] == space || bytes[valueEnd - 1] == tab { valueEnd -= 1 }
            guard valueStart < valueEnd else { return nil }
            let scheme = UnsafeBufferPointer(rebasing: bytes[schemeStart..<schemeEnd])
            let value = UnsafeBufferPointer(rebasing: bytes[valueStart..<valueEnd])
            if Self.schemeIs(scheme, "bearer") { return (String(decoding: value, as: UTF8.self), nil) }
            guard Self.schemeIs(scheme, "basic"), let decoded = Data(base64Encoded: Data(value)) else { return nil }
            return decoded.withUnsafeBytes { raw -> (token: String, basicUser: String?)? in
                // Validated as contiguous UTF-8, the standard library's fast path: through the
                // raw buffer's slices, byte by byte, it cost 2,000 instructions a request.
                raw.withMemoryRebound(to: UInt8.self) { text -> (token: String, basicUser: String?)? in
                    guard let colon = text.firstIndex(of: UInt8(ascii: ":")),
                        let user = String(validating: UnsafeBufferPointer(rebasing: text[..<colon]), as: UTF8.self),
                        let password = String(validating: UnsafeBufferPointer(rebasing: text[(colon + 1)...]), as: UTF8.self),
                        !password.isEmpty
                    else { return nil }
                    return (password, user.isEmpty ? nil : user)
                }
            }
        }
    }

    /// Whether `scheme` is `lowercased` in any ASCII case.
    static func schemeIs(_ scheme: UnsafeBufferPointer<UInt8>, _ lowercased: StaticString) -> Bool {
        scheme.count == lowercased.utf8CodeUnitCount
            && zip(scheme, UnsafeBufferPointer(start: lowercased.utf8Start, count: lowercased.utf8CodeUnitCount)).allSatisfy {
                byte,
                expected in
                ((0x41...0x5A).contains(byte) ? byte | 0x20 : byte) == expected
            }
    }
}
