import ArtifactControlPlane
import Foundation
import JWTKit
import Testing

@testable import ArtifactServer

/// ID-token verification (``OIDCProvider``) with keys made in the test, the clock injected: what
/// a real provider cannot be made to send (expired, forged, alg=none, HMAC, another audience or
/// issuer, a replayed nonce). The sign-in flows against a real provider are in
/// scripts/oidc/test_oidc.py.
@Suite("OIDC: ID-token verification and claim rules", .timeLimit(.minutes(5)))
struct OIDCVerificationTests {
    struct Claims: JWTPayload {
        var iss: String
        var sub: String
        var aud: AudienceClaim
        var exp: ExpirationClaim
        var nonce: String?
        var email: String?
        var email_verified: Bool?
        var groups: [String]?

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    static let issuer = "http://127.0.0.1:9/o"
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func settings(rules: [String] = ["write:team=group:devs", "read:*=email-domain:example.org"]) throws -> OIDCSettings {
        var configuration = OIDCConfiguration()
        configuration.issuer = issuer
        configuration.clientID = "store-web"
        configuration.deviceClientID = "store-cli"
        configuration.claimRules = rules
        return try #require(try configuration.settings())
    }

    /// A provider trusting `key`'s public half under kid `k1`, at ``now`` plus `offset`.
    static func provider(trusting key: ES256PrivateKey, offset: TimeInterval = 0) async throws -> OIDCProvider {
        let keys = JWTKeyCollection()
        await keys.add(ecdsa: key.publicKey, kid: "k1")
        let endpoints = OIDCProvider.Endpoints(authorization: issuer + "/authorize", token: issuer + "/token", jwks: issuer + "/jwks")
        let clock = now.addingTimeInterval(offset)
        return OIDCProvider(settings: try settings(), endpoints: endpoints, keys: keys, clock: { clock })
    }

    static func claims(aud: String = "store-web", iss: String = issuer, nonce: String? = "n-1", life: TimeInterval = 300) -> Claims {
        Claims(
            iss: iss,
            sub: "user-1",
            aud: AudienceClaim(value: [aud]),
            exp: ExpirationClaim(value: now.addingTimeInterval(life)),
            nonce: nonce,
            email: "Alice@Example.org",
            email_verified: true,
            groups: ["devs", "other"]
        )
    }

    static func sign(_ claims: Claims, with key: ES256PrivateKey) async throws -> String {
        let signer = JWTKeyCollection()
        await signer.add(ecdsa: key, kid: "k1")
        return try await signer.sign(claims, kid: "k1")
    }

    static func refusal(_ provider: OIDCProvider, _ token: String, nonce: String? = "n-1") async -> ControlPlaneError? {
        do {
            _ = try await provider.verify(idToken: token, nonce: nonce)
            return nil
        } catch {
            return error
        }
    }

    @Test("a valid ID token gives its claims; the identity's grants come from the claim rules")
    func valid() async throws {
        let key = ES256PrivateKey()
        let provider = try await Self.provider(trusting: key)
        let claims = try await provider.verify(idToken: try await Self.sign(Self.claims(), with: key), nonce: "n-1")
        let identity = try OIDCIdentity(claims: claims, groupsClaim: "groups")
        #expect(identity.actor == "oidc:alice@example.org")
        let grants = DirectoryRule.grants(for: identity.subjects, in: try Self.settings().rules)
        #expect(grants.map(\.description).sorted() == ["read:*", "write:team"])
        // The CLI's client is an audience too (device grant).
        let cli = try await Self.sign(Self.claims(aud: "store-cli", nonce: nil), with: key)
        #expect(try await provider.verify(idToken: cli, nonce: nil)["sub"] as? String == "user-1")
    }

    @Test("expired, another audience, another issuer, a wrong or missing nonce: refused, saying which")
    func claimRefusals() async throws {
        let key = ES256PrivateKey()
        let provider = try await Self.provider(trusting: key)
        let expired = try await Self.provider(trusting: key, offset: 600)
        let cases: [(OIDCProvider, Claims, String?, String)] = [
            (expired, Self.claims(), "n-1", "expired"),
            (provider, Self.claims(aud: "someone-else"), "n-1", "audience"),
            (provider, Self.claims(iss: "https://evil.example"), "n-1", "another issuer"),
            (provider, Self.claims(), "n-2", "nonce"),
            (provider, Self.claims(nonce: nil), "n-1", "nonce"),
        ]
        for (verifier, claims, nonce, reason) in cases {
            let error = await Self.refusal(verifier, try await Self.sign(claims, with: key), nonce: nonce)
            #expect(error?.kind == .unauthenticated && error?.message.contains(reason) == true, "\(reason): \(String(describing: error))")
        }
    }

    @Test("a forged signature, alg=none, an HMAC token and junk are refused before any claim is trusted")
    func signatureRefusals() async throws {
        let key = ES256PrivateKey()
        let provider = try await Self.provider(trusting: key)
        let forged = try await Self.sign(Self.claims(), with: ES256PrivateKey())
        #expect(await Self.refusal(provider, forged)?.message.contains("signature") == true)

        let payload = try #require(forged.split(separator: ".").dropFirst().first)
        let none = Data(#"{"alg":"none","kid":"k1"}"#.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
        #expect(await Self.refusal(provider, "\(none).\(payload).")?.message.contains("algorithm") == true)

        let hmac = JWTKeyCollection()
        await hmac.add(hmac: "a-guessable-key-of-thirty-two-bytes-or-more", digestAlgorithm: .sha256, kid: "k1")
        let hs256 = try await hmac.sign(Self.claims(), kid: "k1")
        #expect(await Self.refusal(provider, hs256)?.message.contains("algorithm") == true)

        for junk in ["", "a.b", "not.a.jwt", String(repeating: "x", count: 50)] {
            #expect(await Self.refusal(provider, junk)?.kind == .unauthenticated, "\(junk)")
        }
    }

    @Test("an unverified e-mail address is no identity for the e-mail rules; a missing sub is refused")
    func identityClaims() throws {
        let unverified = try OIDCIdentity(claims: ["sub": "u", "email": "a@example.org", "email_verified": false], groupsClaim: "groups")
        #expect(unverified.email == nil && unverified.subjects.isEmpty && unverified.actor == "oidc:u")
        let single = try OIDCIdentity(claims: ["sub": "u", "roles": "devs"], groupsClaim: "roles")
        #expect(single.subjects == ["group:devs"])
        #expect(throws: ControlPlaneError.self) { try OIDCIdentity(claims: ["email": "a@example.org"], groupsClaim: "groups") }
    }

    @Test("the oidc* keys load from the file and the environment; the secret from the environment or its file")
    func loading() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("oidc-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let secretFile = directory.appendingPathComponent("secret").path
        try "from-the-file\n".write(toFile: secretFile, atomically: true, encoding: .utf8)
        let configFile = directory.appendingPathComponent("config.json").path
        let json =
            #"{"oidcIssuer": "https://id.example.org", "oidcClientID": "store", "oidcClaimRules": ["read:*=group:staff"], "#
            + #""oidcScopes": ["openid", "groups"], "oidcClientSecretFile": "\#(secretFile)"}"#
        try json.write(toFile: configFile, atomically: true, encoding: .utf8)
        let fromFile = try #require(try await ServerConfiguration.load(environment: [:], file: configFile).oidc.settings())
        #expect(fromFile.clientSecret == "from-the-file" && fromFile.scopes == ["openid", "groups"] && fromFile.rules.count == 1)
        let environment = [
            "ARTIFACTSTORE_OIDC_ISSUER": "https://id.example.org", "ARTIFACTSTORE_OIDC_CLIENT_ID": "store",
            "ARTIFACTSTORE_OIDC_CLIENT_SECRET": "from-the-environment",
        ]
        let fromEnvironment = try #require(try await ServerConfiguration.load(environment: environment).oidc.settings())
        #expect(fromEnvironment.clientSecret == "from-the-environment" && fromEnvironment.redirectURI == nil)
        do {
            _ = try await ServerConfiguration.load(environment: environment, file: configFile)
            Issue.record("a secret in both the environment and a file was accepted")
        } catch {
            #expect(error.message.hasPrefix("oidcClientSecretFile:") && !error.message.contains("from-the"))
        }
    }

    @Test("malformed oidc* keys are refused, each naming its key; the secret never appears")
    func configurationRefusals() throws {
        func refusal(_ change: (inout OIDCConfiguration) -> Void) -> String? {
            var configuration = OIDCConfiguration()
            configuration.issuer = "https://id.example.org"
            configuration.clientID = "store"
            change(&configuration)
            do {
                _ = try configuration.settings()
                return nil
            } catch {
                return error.message
            }
        }
        #expect(refusal { _ in } == nil)
        #expect(refusal { $0.issuer = "http://id.example.org" }?.hasPrefix("oidcIssuer:") == true)
        #expect(refusal { $0.clientID = nil }?.hasPrefix("oidcClientID:") == true)
        #expect(refusal { $0.scopes = ["email"] }?.hasPrefix("oidcScopes:") == true)
        #expect(refusal { $0.claimRules = ["write:team=cn=devs,dc=example"] }?.hasPrefix("oidcClaimRules:") == true)
        #expect(refusal { $0.claimRules = ["fly:team=group:devs"] }?.hasPrefix("oidcClaimRules:") == true)
        #expect(refusal { $0.redirectBase = "ftp://store" }?.hasPrefix("oidcRedirectBase:") == true)
        let both = refusal {
            $0.clientSecret = "s3cret-value"
            $0.clientSecretFile = "/nonexistent"
        }
        #expect(both?.hasPrefix("oidcClientSecretFile:") == true && both?.contains("s3cret-value") == false)
        #expect(refusal { $0.clientSecretFile = "/nonexistent/secret" }?.hasPrefix("oidcClientSecretFile:") == true)
        #expect(
            refusal {
                $0.issuer = nil
                $0.claimRules = ["read:*=group:x"]
            }?.hasPrefix("oidcIssuer:") == true
        )
        var configuration = OIDCConfiguration()
        configuration.issuer = "http://127.0.0.1:1/o"
        configuration.clientID = "store"
        configuration.clientSecret = "s3cret-value"
        let settings = try #require(try configuration.settings())
        #expect(!"\(settings)".contains("s3cret-value"))
    }
}
