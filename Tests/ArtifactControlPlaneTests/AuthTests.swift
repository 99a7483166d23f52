import ArtifactControlPlane
import ArtifactMetadata
import ArtifactStoreAPI
import ArtifactStoreTestSupport
import Crypto
import Foundation
import SQLKit
import Synchronization
import Testing

@Suite("Auth", .timeLimit(.minutes(10)))
struct AuthTests {
    @Test("bootstrap creates the first admin token once, even when called concurrently", arguments: TestDatabase.allCases)
    func bootstrapOnce(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            let auth = h.controlPlane.auth
            let issued = try await withThrowingTaskGroup(of: IssuedToken?.self) { group in
                for _ in 0..<6 { group.addTask { try await auth.bootstrap() } }
                var tokens: [IssuedToken] = []
                for try await token in group { if let token { tokens.append(token) } }
                return tokens
            }
            #expect(issued.count == 1)
            let admin = try #require(issued.first)
            #expect(admin.info.grants == [.global(.admin)])
            #expect(try await auth.bootstrap() == nil)
            #expect(try await auth.listTokens().items.count == 1)
            for scope in Scope.allCases {
                for namespace in [nil, "anything"] {
                    guard case .allow = try await auth.authorize(token: admin.token, scope: scope, namespace: namespace, context: h.context)
                    else {
                        Issue.record("admin refused \(scope) on \(namespace ?? "*")")
                        continue
                    }
                }
            }
        }
    }

    @Test("tokens are stored only as SHA-256 hashes, and never recorded", arguments: TestDatabase.allCases)
    func hashedOnly(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            let issued = try await h.controlPlane.auth.createToken(
                name: "ci",
                grants: [Grant(.write, namespace: "team")],
                expiresAt: nil,
                context: h.context
            )
            #expect(issued.token.hasPrefix("ast_\(issued.info.id)_"))
            let expectedLength = 85  // "ast_" + 16 + "_" + 64
            #expect(issued.token.count == expectedLength)
            let secret = String(issued.token.split(separator: "_")[2])
            let everything = try await h.snapshot().values.flatMap { $0 }.joined(separator: "\n")
            #expect(!everything.contains(secret))
            let expectedHash = SHA256.hash(data: Array(issued.token.utf8)).map { String(format: "%02x", $0) }.joined()
            #expect(everything.contains(expectedHash))
            _ = try await h.controlPlane.auth.authorize(token: issued.token, scope: .admin, namespace: "team", context: h.context)
            let lines = Mutex<[String]>([])
            _ = try await h.controlPlane.audit.exportJSONLines { line in lines.withLock { $0.append(line) } }
            #expect(lines.withLock { $0 }.allSatisfy { !$0.contains(secret) })
        }
    }

    @Test("scopes: admin ⊇ write ⊇ read, per namespace or global", arguments: TestDatabase.allCases)
    func scopes(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            let auth = h.controlPlane.auth
            let writer = try await auth.createToken(
                name: "writer",
                grants: [Grant(.write, namespace: "team")],
                expiresAt: nil,
                context: h.context
            )
            let reader = try await auth.createToken(name: "reader", grants: [.global(.read)], expiresAt: nil, context: h.context)
            func allowed(_ token: IssuedToken, _ scope: Scope, _ namespace: String?) async throws -> Bool {
                if case .allow(let principal) = try await auth.authorize(
                    token: token.token,
                    scope: scope,
                    namespace: namespace,
                    context: h.context
                ) {
                    #expect(principal.tokenID == token.info.id)
                    return true
                }
                return false
            }
            #expect(try await allowed(writer, .read, "team"))
            #expect(try await allowed(writer, .write, "team"))
            #expect(try await !allowed(writer, .admin, "team"))
            #expect(try await !allowed(writer, .read, "other"))
            #expect(try await !allowed(writer, .read, nil))
            #expect(try await allowed(reader, .read, "team"))
            #expect(try await allowed(reader, .read, "other"))
            #expect(try await allowed(reader, .read, nil))
            #expect(try await !allowed(reader, .write, "team"))
        }
    }

    @Test(
        "wrong scope, missing, unknown, expired and revoked tokens are refused, audited, and change nothing else",
        arguments: TestDatabase.allCases
    )
    func refusals(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            let auth = h.controlPlane.auth
            let expiring = try await auth.createToken(
                name: "short",
                grants: [Grant(.write, namespace: "team")],
                expiresAt: h.time.addingTimeInterval(60),
                context: h.context
            )
            let revoked = try await auth.createToken(name: "gone", grants: [.global(.admin)], expiresAt: nil, context: h.context)
            try await auth.revokeToken(id: revoked.info.id, context: h.context)
            let request = RequestContext(actor: "ignored", requestID: "req-denied", clientAddress: "203.0.113.9")

            let cases: [(String?, Scope, String?, ControlPlaneError.Code, String)] = [
                (nil, .read, "team", .unauthenticated, "anonymous"),
                ("", .read, "team", .unauthenticated, "anonymous"),
                ("ast_0000000000000000_" + String(repeating: "0", count: 64), .read, "team", .unauthenticated, "anonymous"),
                (expiring.token, .admin, "team", .forbidden, "token:\(expiring.info.id)"),
                (expiring.token, .write, "other", .forbidden, "token:\(expiring.info.id)"),
                (revoked.token, .read, "team", .tokenRevoked, "token:\(revoked.info.id)"),
            ]
            for (token, scope, namespace, code, actor) in cases {
                let before = try await h.auditRecords(action: "auth.denied").count
                try await h.expectRefusal(code, auditMayGrow: true) {
                    _ = try await auth.require(token: token, scope: scope, namespace: namespace, context: request)
                }
                let denials = try await h.auditRecords(action: "auth.denied")
                #expect(denials.count == before + 1)
                let record = try #require(denials.last)
                #expect(record.actor == actor)
                #expect(record.outcome == "denied")
                #expect(record.requestID == "req-denied" && record.clientAddress == "203.0.113.9")
                #expect(record.detail?.hasPrefix(code.rawValue) == true)
                #expect(record.target == "\(scope.rawValue):\(namespace ?? "*")")
            }

            // Valid until it expires.
            _ = try await auth.require(token: expiring.token, scope: .write, namespace: "team", context: request)
            h.advance(by: 61)
            try await h.expectRefusal(.tokenExpired, auditMayGrow: true) {
                _ = try await auth.require(token: expiring.token, scope: .write, namespace: "team", context: request)
            }
            #expect(try await h.auditRecords(action: "auth.denied").last?.detail?.hasPrefix("tokenExpired") == true)
            #expect(try await h.controlPlane.audit.verifyChain().isIntact)

            try await h.expectRefusal(.tokenNotFound) { try await auth.revokeToken(id: "0123456789abcdef", context: h.context) }
            try await h.expectRefusal(.invalidName) {
                _ = try await auth.createToken(name: "ci", grants: [], expiresAt: nil, context: h.context)
            }
            try await h.expectRefusal(.invalidName) {
                _ = try await auth.createToken(name: "Bad Name", grants: [.global(.read)], expiresAt: nil, context: h.context)
            }
            try await h.expectRefusal(.invalidName) {
                _ = try await auth.createToken(name: "ci", grants: [Grant(.read, namespace: "Bad!")], expiresAt: nil, context: h.context)
            }
            #expect(try await h.auditRecords(action: "token.create").count == 2)
            #expect(try await h.auditRecords(action: "token.revoke").count == 1)
        }
    }
}

@Suite("Auth bootstrap with a provided token", .timeLimit(.minutes(10)))
struct AuthProvidedBootstrapTests {
    static let provided = "ast_0123456789abcdef_" + String(repeating: "5a", count: 32)

    @Test("a provided token of the right form becomes the admin token, once", arguments: TestDatabase.allCases)
    func providedBecomesAdmin(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            let auth = h.controlPlane.auth
            let issued = try #require(try await auth.bootstrap(providedToken: Self.provided))
            #expect(issued.token == Self.provided)
            #expect(issued.info.id == "0123456789abcdef")
            #expect(issued.info.grants == [.global(.admin)])
            guard case .allow = try await auth.authorize(token: Self.provided, scope: .admin, namespace: nil, context: h.context) else {
                Issue.record("provided admin token refused")
                return
            }
            // Later starts ignore it, even a different one.
            #expect(try await auth.bootstrap(providedToken: "ast_fedcba9876543210_" + String(repeating: "0", count: 64)) == nil)
            #expect(try await auth.listTokens().items.map(\.id) == ["0123456789abcdef"])
            // Only its hash is stored.
            let rows = try await h.snapshot()
            #expect(!rows.values.joined().contains { $0.contains(Self.provided) })
        }
    }

    @Test("a provided token of the wrong form is refused with invalidToken and nothing is stored", arguments: TestDatabase.allCases)
    func malformedRefused(database: TestDatabase) async throws {
        try await Harness.run(database) { h in
            let before = try await h.snapshot()
            for bad in [
                "", "secret", "ast_0123_" + String(repeating: "a", count: 64), "ast_0123456789abcdef_" + String(repeating: "a", count: 63),
                "ast_0123456789ABCDEF_" + String(repeating: "a", count: 64), "xyz_0123456789abcdef_" + String(repeating: "a", count: 64),
                "ast_0123456789abcdef_" + String(repeating: "g", count: 64),
                "ast_0123456789abcdef_" + String(repeating: "a", count: 64) + "_x",
            ] {
                do {
                    _ = try await h.controlPlane.auth.bootstrap(providedToken: bad)
                    Issue.record("accepted \"\(bad)\"")
                } catch {
                    #expect((error as? ControlPlaneError)?.code == "invalidToken")
                    #expect(!bad.isEmpty ? !((error as? ControlPlaneError)?.message.contains(bad) ?? true) : true)
                }
            }
            #expect(try await h.snapshot() == before)
        }
    }
}
