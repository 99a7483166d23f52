import ArtifactControlPlane
import ArtifactMetadata
import ArtifactServer
import ArtifactStoreAPI
import ArtifactStoreTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import SQLKit
import Synchronization
import Testing

/// LDAP identities on `/v2` and the token endpoint, and the identity suite's secrets kept out of
/// logs and audit records.
@Suite("Identity: LDAP and secrets", .timeLimit(.minutes(5)))
struct IdentityTests {
    static let environment = ProcessInfo.processInfo.environment

    /// The server configuration of the test slapd (scripts/ldap/start-slapd.sh), or of `fallback`.
    static func directory(url: String) throws -> DirectorySettings? {
        var server = ServerConfiguration()
        server.ldapURL = url
        server.ldapBindDN = "uid={user},ou=people,dc=example,dc=org"
        server.ldapGroupBase = "ou=groups,dc=example,dc=org"
        server.ldapGroupRules = ["write:team=cn=devs, ou=groups, dc=example, dc=org", "read:*=cn=readers,ou=groups,dc=example,dc=org"]
        // Generous: the whole test suite runs in parallel on two cores in CI, where a bind and a group
        // search waited longer than 3 s for a thread (a 503 directoryUnavailable). The timeout itself is tested in
        // LDAPClientTests against a server that never answers.
        server.ldapTimeout = .seconds(60)
        return try server.directorySettings()
    }

    static func basic(_ user: String, _ password: String) -> HTTPFields {
        [.authorization: "Basic \(Data("\(user):\(password)".utf8).base64EncodedString())"]
    }

    static func denials(_ harness: ServerHarness) async throws -> [AuditRecord] {
        try await harness.controlPlane.audit.records(AuditFilter(action: "auth.denied"), page: .first(1000)).items
    }

    @Test("LDAP users push and pull by their groups' rules, on /v2 and through /v2/token; refusals audited as ldap:<user>")
    func ldapUsers() async throws {
        guard let url = Self.environment["ARTIFACTSTORE_TEST_LDAP_URL"],
            let alice = Self.environment["ARTIFACTSTORE_TEST_LDAP_ALICE_PASSWORD"],
            let bob = Self.environment["ARTIFACTSTORE_TEST_LDAP_BOB_PASSWORD"]
        else {
            print("SKIPPED ldapUsers: no OpenLDAP (set ARTIFACTSTORE_TEST_LDAP_URL; scripts/ldap/start-slapd.sh starts one)")
            return
        }
        let configuration = ControlPlane.Configuration(
            registryTokens: RegistryTokenSettings(service: "registry.test", issuer: "registry.test"),
            directory: try Self.directory(url: url)
        )
        try await ServerHarness.run(configuration: configuration) { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "test"))
            let layer = OCITest.bytes(500, seed: 9)
            try await harness.withClient { client in
                let push = "/v2/team/app/blobs/uploads/?digest=\(OCITest.digest(layer))"
                try await client.execute(uri: push, method: .post, headers: Self.basic("alice", alice), body: ByteBuffer(bytes: layer)) {
                    response in
                    #expect(response.status == .created, "devs → write:team")
                }
                try await client.execute(uri: push, method: .post, headers: Self.basic("bob", bob), body: ByteBuffer(bytes: layer)) {
                    response in
                    #expect(response.status == .forbidden, "readers → read only")
                }
                try await client.execute(uri: "/v2/team/app/blobs/\(OCITest.digest(layer))", method: .get, headers: Self.basic("bob", bob))
                { response in
                    #expect(response.status == .ok)
                }
                for (user, password) in [("alice", bob), ("nobody", alice), ("alice,ou=x", alice)] {
                    try await client.execute(uri: "/v2/team/app/tags/list", method: .get, headers: Self.basic(user, password)) { response in
                        #expect(response.status == .unauthorized, "\(user)")
                    }
                }
                let refusal = try #require(try await Self.denials(harness).first { $0.actor == "ldap:nobody" })
                #expect(refusal.detail?.hasPrefix("unauthenticated") == true)
                #expect(
                    try await Self.denials(harness).contains { $0.actor == "ldap:alice" && $0.detail?.hasPrefix("unauthenticated") == true }
                )
                // LDAP is for /v2 and the token endpoint only.
                try await client.execute(uri: "/v1/namespaces/team", method: .get, headers: Self.basic("alice", alice)) { response in
                    #expect(response.status == .unauthorized)
                }
                // The token endpoint: a JWT for alice, and the audit names her.
                let jwt = try await OCITokenAuthTests.fetchToken(
                    client,
                    ["repository:team/app:pull,push"],
                    headers: Self.basic("alice", alice)
                )
                #expect(try OCITokenAuthTests.claims(jwt)["sub"] as? String == "ldap:alice")
                let manifest = OCITest.manifest(config: layer, layers: [layer])
                try await OCITest.pushManifest(client, "team/app", "v1", manifest, token: jwt)
            }
            let commits = try await harness.controlPlane.audit.records(AuditFilter(action: "version.commit"), page: .first(10)).items
            #expect(commits.map(\.actor) == ["ldap:alice"])
        }
    }

    @Test("no token, password, JWT or signing key in the logs (trace level) or the audit records of the identity flows")
    func secretsStayOut() async throws {
        let (logger, lines) = TestLogs.recording(label: "artifactstore.tests.identity")
        let ldap = Self.environment["ARTIFACTSTORE_TEST_LDAP_URL"]
        let alice = Self.environment["ARTIFACTSTORE_TEST_LDAP_ALICE_PASSWORD"] ?? "alice-not-a-directory-password-\(UUID().uuidString)"
        // Without the test slapd, a directory that is down: the unavailable path is logged too.
        let configuration = ControlPlane.Configuration(
            registryTokens: RegistryTokenSettings(service: "registry.test", issuer: "registry.test"),
            directory: try Self.directory(url: ldap ?? "ldap://127.0.0.1:1")
        )
        let secrets = RecordedLines()
        secrets.append(alice)
        try await ServerHarness.run(configuration: configuration, logger: logger) { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "test"))
            let token = try await harness.token([Grant(.write, namespace: "team")])
            for secret in [harness.adminToken, token] { secrets.append(secret) }
            try await harness.withClient { client in
                let jwt = try await OCITokenAuthTests.fetchToken(
                    client,
                    ["repository:team/app:pull,push"],
                    headers: Self.basic("ci", token)
                )
                for secret in [jwt, String(jwt.split(separator: ".")[2])] { secrets.append(secret) }
                let parts = jwt.split(separator: ".").map(String.init)
                let bad = [
                    parts[0] + "." + parts[1] + ".AAAA", "eyJhbGciOiJub25lIn0." + parts[1] + ".", token + "x",
                    "ast_0123456789abcdef_" + String(repeating: "ab", count: 32),
                ]
                for secret in bad { secrets.append(secret) }
                for credential in [jwt] + bad {
                    try await client.execute(uri: "/v2/team/app/tags/list", method: .get, headers: OCITest.headers(credential)) { _ in }
                    try await client.execute(uri: "/v2/team/app/tags/list", method: .get, headers: Self.basic("ci", credential)) { _ in }
                }
                for password in [alice, alice + "-wrong"] {
                    secrets.append(password)
                    try await client.execute(uri: "/v2/team/app/tags/list", method: .get, headers: Self.basic("alice", password)) { _ in }
                    try await client.execute(
                        uri: "/v2/token?scope=repository:team/app:pull",
                        method: .get,
                        headers: Self.basic("alice", password)
                    ) { _ in }
                }
                try await client.execute(
                    uri: "/v2/token?scope=repository:team/app:pull",
                    method: .get,
                    headers: Self.basic("ci", "wrong-\(token)")
                ) { _ in }
            }
            let key = try await harness.controlPlane.store.read { db in
                try await db.raw("SELECT secret FROM registry_token_keys").first()?.decode(column: "secret", as: String.self)
            }
            secrets.append(try #require(key))
            let auditLines = RecordedLines()
            _ = try await harness.controlPlane.audit.exportJSONLines { auditLines.append($0) }
            let audit = auditLines.all
            let logged = lines.all
            #expect(logged.count > 10, "the flows were logged at trace level")
            for secret in secrets.all {
                #expect(!logged.contains { $0.contains(secret) }, "a secret of \(secret.count) characters is in the log")
                #expect(!audit.contains { $0.contains(secret) }, "a secret of \(secret.count) characters is in the audit records")
            }
        }
    }
}
