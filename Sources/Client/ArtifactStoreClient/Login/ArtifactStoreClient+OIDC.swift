public import ArtifactStoreAPI
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

// `artifactstore login --oidc` (docs/identity.md): the device authorization grant (RFC 8628)
// at the provider the server names, then the provider's token exchanged for a store token.
extension ArtifactStoreClient {
    /// The provider the server signs people in with (`GET /v1/auth/oidc`).
    public func oidcConfiguration() async throws -> OIDCClientConfigurationBody {
        try await send(makeRequest(.GET, ["auth", "oidc"]))
    }

    /// Exchanges the provider's ID or access token for a store token (`POST /v1/auth/oidc/token`).
    public func exchangeOIDC(_ body: OIDCTokenExchangeBody) async throws -> IssuedTokenBody {
        try await send(makeRequest(.POST, ["auth", "oidc", "token"]), body: body, expected: [201])
    }

    /// The same client (server, connection pool, logger) sending `token`.
    public func with(token: String) -> ArtifactStoreClient {
        var copy = ArtifactStoreClient(server: server, token: token, httpClient: httpClient, logger: logger)
        copy.requestTimeout = requestTimeout
        return copy
    }

    /// What the person must do in a browser: open `verificationURI` and enter `userCode`.
    public struct DeviceAuthorization: Sendable, Hashable {
        public var userCode: String
        public var verificationURI: String
        public var verificationURIComplete: String?
        public var expiresIn: Int
    }

    /// Runs the device grant: asks the provider for a code, hands it to `show`, polls the token
    /// endpoint every `interval` (growing by 5 s on `slow_down`, as RFC 8628 says) through
    /// `sleep` until the person approves, then exchanges the ID token (or, when the provider
    /// gives none, the access token) for a store token. Nothing from the provider is logged.
    ///
    /// - Throws: `signInFailed` for a denied or expired code or a malformed answer,
    ///   `serverUnreachable` when the provider cannot be reached, or the server's refusal.
    public func deviceSignIn(
        _ provider: OIDCClientConfigurationBody,
        show: (DeviceAuthorization) throws -> Void,
        sleep: (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) async throws -> IssuedTokenBody {
        guard let endpoint = provider.deviceAuthorizationEndpoint else {
            throw ClientError(
                .signInFailed,
                "\(provider.providerName) offers no device sign-in (the server has no oidcDeviceAuthorizationURL); use a token"
            )
        }
        let started = try await providerForm(
            endpoint,
            [("client_id", provider.clientID), ("scope", provider.scopes.joined(separator: " "))],
            what: "device authorization"
        )
        guard started.status == 200, let deviceCode = started.json["device_code"] as? String,
            let userCode = started.json["user_code"] as? String,
            let uri = started.json["verification_uri"] as? String
        else {
            throw ClientError(.signInFailed, "\(provider.providerName) refused the device sign-in (\(Self.oauthError(started.json)))")
        }
        let expiresIn = started.json["expires_in"] as? Int ?? 600
        try show(
            DeviceAuthorization(
                userCode: userCode,
                verificationURI: uri,
                verificationURIComplete: started.json["verification_uri_complete"] as? String,
                expiresIn: expiresIn
            )
        )
        var interval = max(1, started.json["interval"] as? Int ?? 5)
        var waited = 0
        polling: while waited <= expiresIn {
            try await sleep(.seconds(interval))
            waited += interval
            let polled = try await providerForm(
                provider.tokenEndpoint,
                [
                    ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), ("device_code", deviceCode),
                    ("client_id", provider.clientID),
                ],
                what: "token endpoint"
            )
            if polled.status == 200 {
                if let idToken = polled.json["id_token"] as? String {
                    return try await exchangeOIDC(OIDCTokenExchangeBody(idToken: idToken))
                }
                guard let accessToken = polled.json["access_token"] as? String else {
                    throw ClientError(.signInFailed, "\(provider.providerName)'s token endpoint answered no token")
                }
                return try await exchangeOIDC(OIDCTokenExchangeBody(accessToken: accessToken))
            }
            switch polled.json["error"] as? String {
            case "authorization_pending": continue
            case "slow_down": interval += 5
            case "access_denied": throw ClientError(.signInFailed, "the sign-in was denied at \(provider.providerName)")
            case "expired_token": break polling
            default: throw ClientError(.signInFailed, "\(provider.providerName) refused the sign-in (\(Self.oauthError(polled.json)))")
            }
        }
        throw ClientError(.signInFailed, "the code \(userCode) expired before it was approved; run login --oidc again")
    }

    /// POSTs `form` to the provider and reads its JSON answer (at most 256 KiB).
    private func providerForm(_ url: String, _ form: [(String, String)], what: String) async throws -> (status: Int, json: [String: Any]) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        request.headers.add(name: "Accept", value: "application/json")
        request.body = .bytes(
            ByteBuffer(string: form.map { "\(Self.encodeQueryPart($0.0))=\(Self.encodeQueryPart($0.1))" }.joined(separator: "&"))
        )
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await httpClient.execute(request, timeout: .seconds(30), logger: logger)
            body = try await response.body.collect(upTo: 256 * 1024)
        } catch {
            throw ClientError(.serverUnreachable, "the OpenID provider's \(what) (\(url)) could not be reached")
        }
        guard let json = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] else {
            throw ClientError(.signInFailed, "the OpenID provider's \(what) answered HTTP \(response.status.code) without JSON")
        }
        return (Int(response.status.code), json)
    }

    static func oauthError(_ json: [String: Any]) -> String {
        guard let error = json["error"] as? String else { return "no OAuth error given" }
        return String(error.prefix(64).unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F }.map(Character.init))
    }
}
