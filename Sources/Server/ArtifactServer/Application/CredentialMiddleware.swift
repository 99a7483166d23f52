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
        if let header = request.headers[.authorization] {
            context.credential = Self.token(fromAuthorization: header)
            if context.credential != nil { context.basicUser = Self.basicUser(fromAuthorization: header) }
        }
        // The web UI's session cookie counts only when no Authorization header was sent.
        if context.credential == nil, let cookie = request.headers[.cookie] {
            context.sessionID = WebUICookie.sessionID(fromCookieHeader: cookie)
        }
        return try await next(request, context)
    }

    /// The user name of `Basic <base64(user:password)>` (empty names are `nil`); `nil` for any
    /// other scheme. Only asked when the header carries a credential.
    ///
    /// The scheme is checked on the bytes first: a `Bearer` header (most requests) costs no
    /// `Character` walk (counting one cost each GET some 4,000 instructions, callgrind).
    static func basicUser(fromAuthorization header: String) -> String? {
        let bytes = header.utf8.drop { $0 == UInt8(ascii: " ") }
        guard bytes.count > 6, bytes.prefix(6).elementsEqual("basic ".utf8, by: { ($0 | 0x20) == $1 }) else { return nil }
        let trimmed = header.drop { $0 == " " }
        let value = trimmed.dropFirst(6).trimmingCharacters(in: .whitespaces)
        guard let data = Data(base64Encoded: value), let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":"),
            colon != text.startIndex
        else { return nil }
        return String(text[..<colon])
    }

    /// The token of an `Authorization` value: `Bearer <token>`, or the password of
    /// `Basic <base64(user:password)>`; the scheme in any ASCII case, spaces and tabs around the
    /// token ignored. `nil` for anything else.
    ///
    /// Reads the bytes in place (it runs on every request); only ASCII is trimmed and case-folded.
    static func token(fromAuthorization header: String) -> String? {
        var header = header
        return header.withUTF8 { bytes -> String? in
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
            let value = String(decoding: UnsafeBufferPointer(rebasing: bytes[valueStart..<valueEnd]), as: UTF8.self)
            if Self.schemeIs(scheme, "bearer") { return value }
            if Self.schemeIs(scheme, "basic") {
                guard let data = Data(base64Encoded: value), let text = String(data: data, encoding: .utf8),
                    let colon = text.firstIndex(of: ":")
                else { return nil }
                let password = String(text[text.index(after: colon)...])
                return password.isEmpty ? nil : password
            }
            return nil
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
