import ArtifactControlPlane
import AsyncHTTPClient
import Foundation
import JWTKit
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Synchronization

/// The OpenID provider as the server talks to it: discovery, keys, the token and userinfo
/// endpoints, and the verification of ID tokens (docs/identity.md).
///
/// Exists so both sign-ins (the UI's authorization code with PKCE, the CLI's device grant)
/// trust the provider the same way. It promises:
/// - the discovery document is read from `<issuer>/.well-known/openid-configuration` and must
///   name the configured issuer; it and the keys (`jwks_uri`) are cached for an hour and read
///   again when a token names a key not yet seen (at most once a minute);
/// - an ID token is accepted only with an asymmetric signature (RS/PS/ES/EdDSA; `none` and HMAC
///   are refused before any key is looked at) that verifies against the provider's keys, this
///   issuer, an audience that is one of our clients, an expiry after the injected clock's now,
///   and, when one was sent, the same nonce; a token whose key is unknown makes the keys be read
///   again at most once a minute;
/// - every answer of the provider is bounded (256 KiB, 10 s); a provider that cannot be reached
///   or answers something malformed is `identityProviderUnavailable`, a refused credential
///   `unauthenticated`; no error or log line holds a token, code or the client secret.
final class OIDCProvider: Sendable {
    let settings: OIDCSettings
    let client: HTTPClient
    let clock: @Sendable () -> Date

    static let maximumResponseBytes = 256 * 1024
    static let requestTimeout: TimeAmount = .seconds(10)
    static let cacheLifetime: TimeInterval = 3600
    static let minimumRefreshInterval: TimeInterval = 60
    static let acceptedAlgorithms: Set<String> = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]

    struct Endpoints: Sendable, Hashable {
        var authorization: String
        var token: String
        var jwks: String
        var userinfo: String?
        var deviceAuthorization: String?
    }

    private struct Loaded: Sendable {
        var endpoints: Endpoints
        var keys: JWTKeyCollection
        var at: Date
    }

    private let loaded = Mutex<Loaded?>(nil)

    init(settings: OIDCSettings, client: HTTPClient = .shared, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.settings = settings
        self.client = client
        self.clock = clock
    }

    /// A provider whose endpoints and keys are already known: tests verify tokens they signed
    /// with keys they made, and nothing is fetched unless a token's key is not among them.
    convenience init(settings: OIDCSettings, endpoints: Endpoints, keys: JWTKeyCollection, clock: @escaping @Sendable () -> Date) {
        self.init(settings: settings, clock: clock)
        loaded.withLock { $0 = Loaded(endpoints: endpoints, keys: keys, at: .distantFuture) }
    }

    func endpoints() async throws(ControlPlaneError) -> Endpoints {
        try await load(refresh: false).endpoints
    }

    private func load(refresh: Bool) async throws(ControlPlaneError) -> Loaded {
        if !refresh, let cached = loaded.withLock({ $0 }), clock().timeIntervalSince(cached.at) < Self.cacheLifetime { return cached }
        let document = try await json(OIDCHTTP.get(settings.issuer + "/.well-known/openid-configuration"), what: "discovery document")
        guard document["issuer"] as? String == settings.issuer else {
            throw Self.unavailable("the discovery document does not name the configured issuer \(settings.issuer); check oidcIssuer")
        }
        func endpoint(_ name: String) throws(ControlPlaneError) -> String? {
            guard let value = document[name] else { return nil }
            guard let text = value as? String, (try? OIDCConfiguration.checkURL(text, key: .oidcIssuer)) != nil else {
                throw Self.unavailable("the discovery document's \(name) is not an https URL")
            }
            return text
        }
        guard let authorization = try endpoint("authorization_endpoint"), let token = try endpoint("token_endpoint"),
            let jwks = try endpoint("jwks_uri")
        else {
            throw Self.unavailable("the discovery document lacks authorization_endpoint, token_endpoint or jwks_uri")
        }
        let endpoints = Endpoints(
            authorization: authorization,
            token: token,
            jwks: jwks,
            userinfo: try endpoint("userinfo_endpoint"),
            deviceAuthorization: try endpoint("device_authorization_endpoint") ?? settings.deviceAuthorizationURL
        )
        let keys = try await Self.keys(from: json(OIDCHTTP.get(jwks), what: "key set (jwks_uri)"))
        let fresh = Loaded(endpoints: endpoints, keys: keys, at: clock())
        loaded.withLock { $0 = fresh }
        return fresh
    }

    /// The provider's asymmetric signing keys; keys of other types (or unusable ones) are skipped.
    private static func keys(from set: [String: Any]) async throws(ControlPlaneError) -> JWTKeyCollection {
        let collection = JWTKeyCollection()
        var added = 0
        for entry in (set["keys"] as? [[String: Any]]) ?? [] where ["RSA", "EC", "OKP"].contains(entry["kty"] as? String ?? "") {
            guard entry["use"] == nil || entry["use"] as? String == "sig",
                let data = try? JSONSerialization.data(withJSONObject: entry), let jwk = try? JSONDecoder().decode(JWK.self, from: data),
                (try? await collection.add(jwk: jwk)) != nil
            else { continue }
            added += 1
        }
        guard added > 0 else { throw unavailable("the provider's key set (jwks_uri) holds no usable signing key") }
        return collection
    }

    // MARK: ID tokens

    /// The claims of `idToken` once it is proved (see the type's promises).
    ///
    /// - Throws: `unauthenticated` saying what failed (never the token), or
    ///   `identityProviderUnavailable` when the keys cannot be read.
    func verify(idToken: String, nonce: String?) async throws(ControlPlaneError) -> [String: Any] {
        let parts = idToken.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let header = Self.decodeSegment(parts[0]), let payload = Self.decodeSegment(parts[1]) else {
            throw Self.refused("the ID token is not a signed JWT")
        }
        guard let algorithm = header["alg"] as? String, Self.acceptedAlgorithms.contains(algorithm) else {
            throw Self.refused("the ID token's algorithm is not an accepted asymmetric one (none and HMAC are refused)")
        }
        var keys = try await load(refresh: false)
        var verified = try? await keys.keys.verify(idToken, as: OIDCIDTokenClaims.self)
        // A key the provider rotated in since the keys were read: read them once more, at most
        // once a minute, so forged tokens cannot make the server hammer the provider.
        if verified == nil, clock().timeIntervalSince(keys.at) >= Self.minimumRefreshInterval {
            keys = try await load(refresh: true)
            verified = try? await keys.keys.verify(idToken, as: OIDCIDTokenClaims.self)
        }
        guard let claims = verified else { throw Self.refused("the ID token's signature does not verify against the provider's keys") }
        guard claims.iss == settings.issuer else { throw Self.refused("the ID token was issued by another issuer") }
        guard claims.aud.value.contains(where: settings.audiences.contains) else {
            throw Self.refused("the ID token is meant for another client (audience)")
        }
        guard claims.exp.value > clock() else { throw Self.refused("the ID token is expired") }
        if let nonce {
            guard let given = claims.nonce, OIDCSecrets.equal(given, nonce) else {
                throw Self.refused("the ID token's nonce is not this sign-in's")
            }
        }
        return payload
    }

    static func decodeSegment(_ segment: Substring) -> [String: Any]? {
        var text = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text) else { return nil }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
    }

    // MARK: Token and userinfo endpoints

    /// Redeems an authorization code (with the PKCE verifier) for the provider's tokens.
    func redeem(code: String, verifier: String, redirectURI: String) async throws(ControlPlaneError) -> [String: Any] {
        var form = [("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI), ("code_verifier", verifier)]
        form.append(("client_id", settings.clientID))
        if let secret = settings.clientSecret { form.append(("client_secret", secret)) }
        let (status, body) = try await send(OIDCHTTP.post(try await endpoints().token, form: form), what: "token endpoint")
        guard status == 200 else {
            throw Self.refused("the provider refused the authorization code (\(OIDCHTTP.errorName(body)))")
        }
        return try Self.object(body, what: "token endpoint")
    }

    /// The claims the provider's userinfo endpoint gives for `accessToken`.
    func userInfo(accessToken: String) async throws(ControlPlaneError) -> [String: Any] {
        guard let url = try await endpoints().userinfo else {
            throw Self.refused("the provider has no userinfo endpoint, so an access token cannot be checked; send an ID token")
        }
        var request = OIDCHTTP.get(url)
        request.headers.replaceOrAdd(name: "Authorization", value: "Bearer \(accessToken)")
        let (status, body) = try await send(request, what: "userinfo endpoint")
        guard status == 200 else { throw Self.refused("the provider did not accept the access token (HTTP \(status))") }
        return try Self.object(body, what: "userinfo endpoint")
    }

    // MARK: HTTP

    private func json(_ request: HTTPClientRequest, what: String) async throws(ControlPlaneError) -> [String: Any] {
        let (status, body) = try await send(request, what: what)
        guard status == 200 else { throw Self.unavailable("the provider's \(what) answered HTTP \(status)") }
        return try Self.object(body, what: what)
    }

    private func send(_ request: HTTPClientRequest, what: String) async throws(ControlPlaneError) -> (Int, ByteBuffer) {
        do {
            let response = try await client.execute(request, timeout: Self.requestTimeout)
            let body = try await response.body.collect(upTo: Self.maximumResponseBytes)
            return (Int(response.status.code), body)
        } catch {
            throw Self.unavailable("the provider's \(what) could not be read (\(OIDCHTTP.reason(error)))")
        }
    }

    private static func object(_ body: ByteBuffer, what: String) throws(ControlPlaneError) -> [String: Any] {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] else {
            throw unavailable("the provider's \(what) did not answer a JSON object")
        }
        return object
    }

    static func unavailable(_ message: String) -> ControlPlaneError {
        ControlPlaneError(.identityProviderUnavailable, message)
    }

    static func refused(_ message: String) -> ControlPlaneError {
        ControlPlaneError(.unauthenticated, message)
    }
}

/// The claims of an ID token that are checked; ``verify(using:)`` checks nothing, since
/// ``OIDCProvider`` checks them against its injected clock and settings.
struct OIDCIDTokenClaims: JWTPayload {
    var iss: String
    var sub: String
    var aud: AudienceClaim
    var exp: ExpirationClaim
    var nonce: String?

    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
