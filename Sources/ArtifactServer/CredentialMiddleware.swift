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
struct CredentialMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.credential = request.headers[.authorization].flatMap(Self.token(fromAuthorization:))
        return try await next(request, context)
    }

    static func token(fromAuthorization header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2 else { return nil }
        // Only ASCII spaces and tabs are trimmed, and only ASCII is case-folded: this runs on
        // every request, and Foundation's Unicode-aware versions showed in profiles.
        var trimmed = parts[1]
        while let first = trimmed.first, first == " " || first == "\t" { trimmed.removeFirst() }
        while let last = trimmed.last, last == " " || last == "\t" { trimmed.removeLast() }
        let value = String(trimmed)
        switch String(decoding: parts[0].utf8.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self) {
        case "bearer":
            return value.isEmpty ? nil : value
        case "basic":
            guard let data = Data(base64Encoded: value), let text = String(data: data, encoding: .utf8),
                let colon = text.firstIndex(of: ":")
            else { return nil }
            let password = String(text[text.index(after: colon)...])
            return password.isEmpty ? nil : password
        default:
            return nil
        }
    }
}
