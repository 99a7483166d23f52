import ArtifactStoreAPI
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// Requests to the OpenID provider: GET, form POST (`application/x-www-form-urlencoded`), and
/// what a failure says, without library type names or anything sent.
enum OIDCHTTP {
    static func get(_ url: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "artifactstore-oidc")
        return request
    }

    static func post(_ url: String, form: [(String, String)]) -> HTTPClientRequest {
        var request = get(url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.body = .bytes(ByteBuffer(string: encode(form)))
        return request
    }

    /// `a=1&b=2` with everything but RFC 3986's unreserved characters percent-encoded.
    static func encode(_ form: [(String, String)]) -> String {
        form.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    /// The OAuth `error` of a refusal (`invalid_grant`, …), made printable and short.
    static func errorName(_ body: ByteBuffer) -> String {
        let object = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any]
        guard let name = object?["error"] as? String, !name.isEmpty else { return "no OAuth error given" }
        return NameGrammar.printable(String(name.prefix(64)))
    }

    static func reason(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "connecting timed out"
            case .readTimeout, .deadlineExceeded: return "no answer in time"
            case .remoteConnectionClosed: return "the connection was closed"
            default: break
            }
        }
        if error is NIOTooManyBytesError { return "the answer is over 256 KiB" }
        return "the connection failed"
    }
}
