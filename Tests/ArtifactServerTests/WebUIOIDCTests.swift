import ArtifactControlPlane
import ArtifactStoreAPI
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import NIOCore
import Testing

@testable import ArtifactServer

/// The OpenID routes' server side (docs/identity.md) with ID tokens signed in the test: the
/// redirect to the provider (state, nonce, S256 challenge in a Lax cookie), callbacks refused and
/// audited, and the exchange minting a token whose actor is the identity. The whole flows run
/// against a real provider in scripts/oidc/test_oidc.py.
@Suite("Web UI and API: OpenID sign-in routes", .timeLimit(.minutes(5)))
struct WebUIOIDCTests {
    typealias Verification = OIDCVerificationTests

    /// `setup` with OpenID sign-in whose provider trusts `key` (no network: endpoints and keys given).
    static func configured(_ setup: WebUITests.Setup, trusting key: ES256PrivateKey) async throws -> WebUITests.Setup {
        var settings = try Verification.settings()
        settings.redirectBase = "https://store.example.org"
        settings.providerName = "Example SSO"
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: key.publicKey, kid: "k1")
        let issuer = Verification.issuer
        let endpoints = OIDCProvider.Endpoints(authorization: issuer + "/authorize", token: issuer + "/token", jwks: issuer + "/jwks")
        let clock = setup.clock
        let provider = OIDCProvider(settings: settings, endpoints: endpoints, keys: keys, clock: { clock.now() })
        var api = setup.api
        api.oidc = OIDCSignIn(provider: provider, controlPlane: setup.controlPlane)
        return WebUITests.Setup(controlPlane: setup.controlPlane, api: api, admin: setup.admin, clock: setup.clock)
    }

    static func denied(_ setup: WebUITests.Setup) async throws -> [AuditRecord] {
        try await setup.controlPlane.audit.records(AuditFilter(action: "auth.denied"), page: .first(100)).items
            .filter { $0.target == "oidc.signin" }
    }

    @Test("without oidcIssuer the sign-in routes answer 404, with the UI's headers")
    func unconfigured() async throws {
        try await WebUITests.withSetup { setup in
            try await setup.withClient { client in
                for uri in ["/ui/oidc", "/ui/oidc/start", "/ui/oidc/callback?code=c&state=s", "/v1/auth/oidc"] {
                    try await client.execute(uri: uri, method: .get) { response in
                        #expect(response.status == .notFound, "\(uri)")
                        if uri.hasPrefix("/ui") { WebUITests.expectUIHeaders(response, uri) }
                    }
                }
            }
        }
    }

    @Test("start sends the browser to the provider with state, nonce and an S256 challenge kept in a Lax HttpOnly cookie")
    func start() async throws {
        try await WebUITests.withSetup { plain in
            let setup = try await Self.configured(plain, trusting: ES256PrivateKey())
            try await setup.withClient { client in
                try await client.execute(uri: "/ui/oidc", method: .get) { response in
                    #expect(String(buffer: response.body) == #"{"providerName":"Example SSO"}"#)
                }
                try await client.execute(uri: "/ui/oidc/start", method: .get) { response in
                    #expect(response.status == .found)
                    let location = try #require(URLComponents(string: response.headers[.location] ?? ""))
                    let query = Dictionary(uniqueKeysWithValues: (location.queryItems ?? []).map { ($0.name, $0.value ?? "") })
                    let cookie = try #require(response.headers[.setCookie])
                    #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/ui/oidc"))
                    let value = try #require(
                        WebUICookie.value(named: WebUI.pendingCookie, fromCookieHeader: String(cookie.split(separator: ";")[0]))
                    )
                    let parts = value.split(separator: ".").map(String.init)
                    #expect(parts.count == 3)
                    #expect(location.host == "127.0.0.1" && location.path == "/o/authorize")
                    #expect(query["state"] == parts[0] && query["nonce"] == parts[1])
                    #expect(query["code_challenge"] == OIDCSecrets.challenge(for: parts[2]) && query["code_challenge_method"] == "S256")
                    #expect(query["redirect_uri"] == "https://store.example.org/ui/oidc/callback" && query["client_id"] == "store-web")
                    #expect(!(response.headers[.location] ?? "").contains(parts[2]), "the verifier never leaves the server's cookie")
                }
            }
        }
    }

    @Test("a callback without this browser's state, with another state, or with the provider's error is refused and audited")
    func callbackRefusals() async throws {
        try await WebUITests.withSetup { plain in
            let setup = try await Self.configured(plain, trusting: ES256PrivateKey())
            let state = OIDCSecrets.random()
            let pending = "\(WebUI.pendingCookie)=\(state).\(OIDCSecrets.random()).\(OIDCSecrets.random())"
            try await setup.withClient { client in
                let cases: [(String, HTTPFields)] = [
                    ("/ui/oidc/callback?code=c&state=\(state)", [:]),
                    ("/ui/oidc/callback?code=c&state=\(OIDCSecrets.random())", [.cookie: pending]),
                    ("/ui/oidc/callback?error=access_denied&state=\(state)", [.cookie: pending]),
                ]
                for (uri, headers) in cases {
                    try await client.execute(uri: uri, method: .get, headers: headers) { response in
                        #expect(response.status == .unauthorized, "\(uri)")
                        #expect(
                            response.headers[values: .setCookie].contains {
                                $0.hasPrefix("\(WebUI.pendingCookie)=;") && $0.contains("Max-Age=0")
                            }
                        )
                        #expect(String(buffer: response.body).contains("Back to sign-in"))
                        WebUITests.expectUIHeaders(response, uri)
                    }
                }
            }
            let denied = try await Self.denied(setup)
            #expect(denied.count == 3 && denied.allSatisfy { $0.actor == "anonymous" })
            #expect(denied.last?.detail?.contains("access_denied") == true)
        }
    }

    @Test("the exchange mints a token acting as the identity; a forged token or an identity no rule matches is refused, audited")
    func exchange() async throws {
        try await WebUITests.withSetup { plain in
            let key = ES256PrivateKey()
            let setup = try await Self.configured(plain, trusting: key)
            var claims = Verification.claims(nonce: nil)
            let good = try await Verification.sign(claims, with: key)
            claims.email = "carol@elsewhere.test"
            claims.groups = []
            let unmatched = try await Verification.sign(claims, with: key)
            claims.email = "mallory@example.org"
            let forged = try await Verification.sign(claims, with: ES256PrivateKey())
            try await setup.withClient { client in
                func exchange(_ token: String) async throws -> (HTTPResponse.Status, [String: Any]) {
                    try await client.execute(
                        uri: "/v1/auth/oidc/token",
                        method: .post,
                        headers: [.contentType: "application/json"],
                        body: ByteBuffer(string: #"{"idToken":"\#(token)"}"#)
                    ) { response in
                        (
                            response.status,
                            (try JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8))) as? [String: Any] ?? [:]
                        )
                    }
                }
                let (status, body) = try await exchange(good)
                #expect(status == .created)
                let token = try #require(body["token"] as? String)
                let principal = try await setup.controlPlane.auth.authenticate(token: token, context: RequestContext(actor: "test"))
                #expect(principal.actor == "oidc:alice@example.org" && principal.name == "oidc-signin")
                #expect(principal.grants.map(\.description).sorted() == ["read:*", "write:team"])
                #expect(try await exchange(unmatched).0 == .forbidden)
                #expect(try await exchange(forged).0 == .unauthorized)
            }
            let actors = try await Self.denied(setup).map(\.actor)
            #expect(actors == ["oidc:carol@elsewhere.test", "claimed:oidc:mallory@example.org"])
            let created = try await setup.controlPlane.audit.records(
                AuditFilter(actor: "oidc:alice@example.org", action: "token.create"),
                page: .first(10)
            )
            #expect(created.items.count == 1)
            #expect(!created.items.contains { ($0.detail ?? "").contains(good) })
        }
    }
}
