import ArtifactLDAP
import ArtifactStoreCore
import Foundation
import NIOCore
import NIOPosix
import Testing

/// The client against a real OpenLDAP (scripts/ldap/start-slapd.sh, started by .ci/run), and
/// against servers that do not answer.
@Suite("LDAP client", .timeLimit(.minutes(5)))
struct LDAPClientTests {
    static let environment = ProcessInfo.processInfo.environment

    /// The test slapd's client, or `nil` (and a line saying the test skipped) without one.
    static func client(test: String = #function) throws -> LDAPClient? {
        guard let url = environment["ARTIFACTSTORE_TEST_LDAP_URL"] else {
            print("SKIPPED \(test): no OpenLDAP (set ARTIFACTSTORE_TEST_LDAP_URL; scripts/ldap/start-slapd.sh starts one)")
            return nil
        }
        let address = try LDAPConfiguration.parseURL(url)
        return LDAPClient(
            configuration: LDAPConfiguration(
                host: address.host,
                port: address.port,
                bindDNTemplate: "uid={user},ou=people,dc=example,dc=org",
                // Generous: in CI the whole suite runs in parallel on two cores, where the first bind
                // once waited past a 5 s timeout for a thread. Timeouts are tested below.
                groupBase: "ou=groups,dc=example,dc=org",
                timeout: .seconds(60)
            )
        )
    }

    @Test("a right password binds and names the user's groups; wrong ones, unknown users and unsafe names are refused")
    func bindAndGroups() async throws {
        guard let client = try Self.client(), let alice = Self.environment["ARTIFACTSTORE_TEST_LDAP_ALICE_PASSWORD"],
            let bob = Self.environment["ARTIFACTSTORE_TEST_LDAP_BOB_PASSWORD"]
        else { return }
        #expect(
            try await client.authenticate(user: "alice", password: alice).sorted() == [
                "cn=devs,ou=groups,dc=example,dc=org", "cn=readers,ou=groups,dc=example,dc=org",
            ]
        )
        #expect(try await client.authenticate(user: "bob", password: bob) == ["cn=readers,ou=groups,dc=example,dc=org"])
        for (user, password) in [
            ("alice", bob), ("alice", alice + "x"), ("nobody", alice), ("alice", ""), ("alice,ou=x", alice), ("*", alice),
        ] {
            do {
                _ = try await client.authenticate(user: user, password: password)
                Issue.record("\(user) was accepted")
            } catch {
                #expect(error.kind == .invalidCredentials, "\(user): \(error)")
                #expect(!error.message.contains(alice) && !error.message.contains(bob))
            }
        }
    }

    @Test("a closed port and a server that never answers are unreachable, within the timeout")
    func unreachable() async throws {
        let closed = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = closed.localAddress!.port!
        try await closed.close()
        let refused = LDAPClient(
            configuration: LDAPConfiguration(host: "127.0.0.1", port: port, bindDNTemplate: "uid={user}", timeout: .seconds(2))
        )
        await #expect(throws: LDAPError.self) { _ = try await refused.authenticate(user: "alice", password: "pw") }

        // Accepts, reads, never answers.
        let silent = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        defer { silent.close(promise: nil) }
        let client = LDAPClient(
            configuration: LDAPConfiguration(
                host: "127.0.0.1",
                port: silent.localAddress!.port!,
                bindDNTemplate: "uid={user}",
                timeout: .seconds(1)
            )
        )
        do {
            _ = try await client.authenticate(user: "alice", password: "pw")
            Issue.record("a silent server answered")
        } catch {
            #expect(error.kind == .unreachable)
            #expect(!error.message.contains("pw"))
        }
    }
}
