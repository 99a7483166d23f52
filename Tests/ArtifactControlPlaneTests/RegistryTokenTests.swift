import ArtifactControlPlane
import ArtifactStoreAPI
import ArtifactStoreTestSupport
import Crypto
import Foundation
import Synchronization
import Testing

/// The registry token flow's issuer and verifier (docs/oci.md, "Token authentication"): what a
/// JWT grants, and every JWT refused with its own code, audited with the identity it claimed.
@Suite("Registry tokens", .timeLimit(.minutes(10)))
struct RegistryTokenTests {
    static let settings = RegistryTokenSettings(service: "registry.test", issuer: "registry.test", lifetime: .seconds(300))
    static let configuration = ControlPlane.Configuration(gcGracePeriod: .seconds(3600), registryTokens: settings)

    /// A store token with read on `team` and write on `ci`, and a JWT asking for more.
    static func issue(_ h: Harness) async throws -> (token: IssuedToken, jwt: IssuedRegistryToken) {
        for namespace in ["team", "ci", "other"] { _ = try await h.registry.createNamespace(namespace, context: h.context) }
        let token = try await h.controlPlane.auth.createToken(
            name: "builder",
            grants: [Grant(.read, namespace: "team"), Grant(.write, namespace: "ci")],
            expiresAt: nil,
            context: h.context
        )
        let principal = try await h.controlPlane.auth.authenticate(token: token.token, context: h.context)
        let requested = try RegistryAccess.parse(scopes: [
            "repository:team/app:pull,push", "repository:ci/tools:pull,push,delete repository:other/x:pull", "registry:catalog:*",
        ])
        let jwt = try await h.controlPlane.registryTokens.issue(for: principal, service: "registry.test", requested: requested)
        return (token, jwt)
    }

    static func parts(_ jwt: String) -> [String] { jwt.split(separator: ".", omittingEmptySubsequences: false).map(String.init) }

    static func base64URL(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func json(_ part: String) throws -> [String: Any] {
        var base64 = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        let data = try #require(Data(base64Encoded: base64))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func encode(_ object: [String: Any]) throws -> String {
        base64URL(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    /// A JWT of `header` and `payload` signed with HMAC-SHA256 under `key`.
    static func sign(header: [String: Any], payload: [String: Any], key: SymmetricKey) throws -> String {
        let input = try encode(header) + "." + encode(payload)
        return input + "." + base64URL(HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: key))
    }

    @Test("a JWT grants exactly the intersection of the request and the identity's grants", arguments: TestDatabase.allCases)
    func intersection(database: TestDatabase) async throws {
        try await Harness.run(database, configuration: Self.configuration) { h in
            let (token, issued) = try await Self.issue(h)
            #expect(issued.expiresIn == 300)
            #expect(
                issued.access.entries == [
                    RegistryAccess.Entry(name: "team/app", actions: ["pull"]),
                    RegistryAccess.Entry(name: "ci/tools", actions: ["pull", "push", "delete"]),
                ]
            )
            let header = try Self.json(Self.parts(issued.token)[0])
            #expect(header["alg"] as? String == "HS256" && header["kid"] as? String == "k1")
            let claims = try Self.json(Self.parts(issued.token)[1])
            #expect(claims["sub"] as? String == "token:\(token.info.id)")
            #expect(claims["iss"] as? String == "registry.test")

            let principal = try await h.controlPlane.registryTokens.verify(issued.token)
            #expect(principal.actor == "token:\(token.info.id)" && principal.tokenID == token.info.id && principal.name == "builder")
            #expect(principal.repositories == ["team/app": .read, "ci/tools": .write])
            let auth = h.controlPlane.auth
            _ = try await auth.require(token: issued.token, scope: .read, namespace: "team", repository: "team/app", context: h.context)
            _ = try await auth.require(token: issued.token, scope: .write, namespace: "ci", repository: "ci/tools", context: h.context)
            // Scope widening: push where only pull was granted, another repository of a readable
            // namespace, another namespace, any /v1 route (no repository): all forbidden, audited.
            for (scope, namespace, repository) in [
                (Scope.write, "team", "team/app"), (.read, "team", "team/other"), (.read, "other", "other/x"), (.read, "ci", nil),
                (.admin, "ci", "ci/tools"),
            ] as [(Scope, String, String?)] {
                try await h.expectRefusal(.forbidden, auditMayGrow: true) {
                    _ = try await auth.require(
                        token: issued.token,
                        scope: scope,
                        namespace: namespace,
                        repository: repository,
                        context: h.context
                    )
                }
                let record = try #require(try await h.auditRecords(action: "auth.denied").last)
                #expect(record.actor == "token:\(token.info.id)" && record.detail?.hasPrefix("forbidden") == true)
            }
            // Nothing the identity may do: a JWT granting nothing, as the spec answers.
            let nothing = try await h.controlPlane.registryTokens.issue(
                for: try await auth.authenticate(token: token.token, context: h.context),
                service: nil,
                requested: try RegistryAccess.parse(scopes: ["repository:other/x:push"])
            )
            #expect(nothing.access.entries.isEmpty)
            #expect(try await h.controlPlane.registryTokens.verify(nothing.token).repositories == [:])
            // The JWT is recorded nowhere.
            let everything = try await h.snapshot().values.flatMap { $0 }.joined(separator: "\n")
            #expect(!everything.contains(Self.parts(issued.token)[2]))
        }
    }

    @Test("refused JWTs: forged signature, alg none or another, tampered claims, unknown key, malformed", arguments: TestDatabase.allCases)
    func refusedSignatures(database: TestDatabase) async throws {
        try await Harness.run(database, configuration: Self.configuration) { h in
            let (token, issued) = try await Self.issue(h)
            let parts = Self.parts(issued.token)
            var claims = try Self.json(parts[1])
            let forged = try Self.sign(
                header: ["alg": "HS256", "typ": "JWT", "kid": "k1"],
                payload: claims,
                key: SymmetricKey(size: .bits256)
            )
            let none = try Self.encode(["alg": "none", "typ": "JWT"]) + "." + parts[1] + "."
            let noneKid = try Self.encode(["alg": "none", "typ": "JWT", "kid": "k1"]) + "." + parts[1] + "."
            let hs512 = try Self.encode(["alg": "HS512", "typ": "JWT", "kid": "k1"]) + "." + parts[1] + "." + parts[2]
            let rs256 = try Self.encode(["alg": "RS256", "typ": "JWT", "kid": "k1"]) + "." + parts[1] + "." + parts[2]
            claims["access"] = [["type": "repository", "name": "team/app", "actions": ["pull", "push", "*"]]]
            let widened = parts[0] + "." + (try Self.encode(claims)) + "." + parts[2]
            let unknownKey = try Self.encode(["alg": "HS256", "typ": "JWT", "kid": "k9"]) + "." + parts[1] + "." + parts[2]
            let noKey = try Self.encode(["alg": "HS256", "typ": "JWT"]) + "." + parts[1] + "." + parts[2]
            let badSignature = parts[0] + "." + parts[1] + "." + String(parts[2].reversed())
            let cases: [(String, String)] = [
                ("forged", forged), ("alg none", none), ("alg none with kid", noneKid), ("HS512", hs512), ("RS256", rs256),
                ("widened claims", widened), ("unknown kid", unknownKey), ("no kid", noKey), ("bad signature", badSignature),
                ("not base64", "eyJ!!.eyJ.x"), ("no signature", parts[0] + "." + parts[1] + "."),
            ]
            for (name, jwt) in cases {
                try await h.expectRefusal(.registryTokenInvalid, auditMayGrow: true) {
                    _ = try await h.controlPlane.auth.require(
                        token: jwt,
                        scope: .read,
                        namespace: "team",
                        repository: "team/app",
                        context: h.context
                    )
                }
                let record = try #require(try await h.auditRecords(action: "auth.denied").last, "\(name)")
                #expect(record.detail?.hasPrefix("registryTokenInvalid") == true, "\(name): \(record.detail ?? "")")
                if jwt.contains(parts[1]) || name == "widened claims" || name == "forged" {
                    #expect(record.actor == "claimed:token:\(token.info.id)", "\(name)")
                }
                #expect(record.detail?.contains(jwt) == false)
            }
            let oversized = "eyJ" + String(repeating: "a", count: 9000) + ".b.c"
            await #expect(throws: ControlPlaneError.self) { _ = try await h.controlPlane.registryTokens.verify(oversized) }
        }
    }

    @Test("refused JWTs: expired, not yet valid, another audience or issuer, token auth off", arguments: TestDatabase.allCases)
    func refusedClaims(database: TestDatabase) async throws {
        try await Harness.run(database, configuration: Self.configuration) { h in
            let (token, issued) = try await Self.issue(h)
            let auth = h.controlPlane.auth
            h.advance(by: 299)
            _ = try await auth.require(token: issued.token, scope: .read, namespace: "team", repository: "team/app", context: h.context)
            h.advance(by: 1)
            try await h.expectRefusal(.registryTokenExpired, auditMayGrow: true) {
                _ = try await auth.require(token: issued.token, scope: .read, namespace: "team", repository: "team/app", context: h.context)
            }
            let record = try #require(try await h.auditRecords(action: "auth.denied").last)
            #expect(record.actor == "claimed:token:\(token.info.id)" && record.detail?.hasPrefix("registryTokenExpired") == true)
            // Issued in the future (another server's clock far ahead): not valid yet.
            h.advance(by: -3600)
            try await h.expectRefusal(.registryTokenExpired, auditMayGrow: true) {
                _ = try await auth.require(token: issued.token, scope: .read, namespace: "team", repository: "team/app", context: h.context)
            }
            h.advance(by: 3600 - 300)

            // The same database and keys, another service or issuer: wrong audience.
            for settings in [
                RegistryTokenSettings(service: "elsewhere", issuer: "registry.test"),
                RegistryTokenSettings(service: "registry.test", issuer: "elsewhere"),
            ] {
                let other = try await ControlPlane(
                    store: h.controlPlane.store,
                    dataPlane: h.dataPlane,
                    configuration: ControlPlane.Configuration(gcGracePeriod: .seconds(3600), registryTokens: settings),
                    clock: { h.clock.now },
                    logger: TestLogs.silent
                )
                try await h.expectRefusal(.registryTokenAudience, auditMayGrow: true) {
                    _ = try await other.auth.require(
                        token: issued.token,
                        scope: .read,
                        namespace: "team",
                        repository: "team/app",
                        context: h.context
                    )
                }
                // A token request naming a service that is not this server's is refused.
                guard settings.service != Self.settings.service else { continue }
                await #expect(throws: ControlPlaneError.self) {
                    _ = try await other.registryTokens.issue(
                        for: Principal.anonymous(reading: []),
                        service: "registry.test",
                        requested: RegistryAccess(entries: [])
                    )
                }
            }
            // A second server on the same database and settings verifies what the first issued.
            let peer = try await ControlPlane(
                store: h.controlPlane.store,
                dataPlane: h.dataPlane,
                configuration: Self.configuration,
                clock: { h.clock.now },
                logger: TestLogs.silent
            )
            _ = try await peer.auth.require(
                token: issued.token,
                scope: .read,
                namespace: "team",
                repository: "team/app",
                context: h.context
            )
            // Token authentication off: every JWT refused.
            let off = try await ControlPlane(
                store: h.controlPlane.store,
                dataPlane: h.dataPlane,
                clock: { h.clock.now },
                logger: TestLogs.silent
            )
            try await h.expectRefusal(.registryTokenInvalid, auditMayGrow: true) {
                _ = try await off.auth.require(
                    token: issued.token,
                    scope: .read,
                    namespace: "team",
                    repository: "team/app",
                    context: h.context
                )
            }
        }
    }

    @Test("token requests: malformed scopes are refused with invalidRegistryScope, repeated ones merged")
    func scopeParsing() throws {
        for scope in [
            "repository", "repository:team/app", "repository::pull", "repository:team/app:", "repository:team/app:pull,",
            "repository:app:pull",
            "repository:Team/app:pull", "repository:team/app:write", "repository:team/../x:pull", ":team/app:pull",
            "repository:team/app:pull" + String(repeating: "x", count: 600),
        ] {
            #expect(throws: ControlPlaneError.self, "\(scope)") { _ = try RegistryAccess.parse(scopes: [scope]) }
            do {
                _ = try RegistryAccess.parse(scopes: [scope])
            } catch {
                #expect(error.kind == .invalidRegistryScope)
            }
        }
        #expect(throws: ControlPlaneError.self) { _ = try RegistryAccess.parse(scopes: Array(repeating: "repository:a/b:pull", count: 65)) }
        let merged = try RegistryAccess.parse(scopes: ["repository:team/app:pull", "repository:team/app:push,pull"])
        #expect(merged.entries == [RegistryAccess.Entry(name: "team/app", actions: ["pull", "push"])])
        #expect(try RegistryAccess.parse(scopes: []).entries.isEmpty)
    }
}
