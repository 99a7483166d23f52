import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactMetadata
import ArtifactStoreAPI
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Foundation
import NIOCore
import SQLKit
import Testing

/// Replication rules and the push queue (docs/replication.md): every bad input refused with a
/// stable code and nothing stored; the queue written with each commit (never for one that rolled
/// back); leases that survive a node's death and a late writer; the status a rule shows.
@Suite("Replication rules and queue", .timeLimit(.minutes(10)))
struct ReplicationTests {
    static let context = RequestContext(actor: "test", requestID: "r-1")
    static let password = "remote-pa55word-never-shown"

    static func body(
        name: String = "to-dr",
        pushTo: String? = "https://93.184.216.34",
        pullFrom: String? = nil,
        repositories: String = "team/**",
        interval: Int64? = nil,
        username: String? = "ci",
        password: String? = ReplicationTests.password
    ) -> CreateReplicationBody {
        CreateReplicationBody(
            name: name,
            pushTo: pushTo,
            pullFrom: pullFrom,
            repositories: repositories,
            intervalSeconds: interval,
            username: username,
            password: password
        )
    }

    static func refusal(_ body: CreateReplicationBody, networks: WebhookNetworkPolicy = []) -> ControlPlaneError? {
        do {
            _ = try ReplicationRuleConfiguration(body: body, networks: networks)
            return nil
        } catch {
            return error
        }
    }

    @Test("bad rules are refused with invalidReplication, naming the field and never the password")
    func validation() throws {
        let bad: [(CreateReplicationBody, String)] = [
            (Self.body(pushTo: "ftp://registry.example.com"), "must be http:// or https://"),
            (Self.body(pushTo: "https://user:pw@registry.example.com"), "no user"),
            (Self.body(pushTo: "https://93.184.216.34/v2/x"), "no user, path"),
            (Self.body(pushTo: "https://93.184.216.34?x=1"), "query"),
            (Self.body(pushTo: "93.184.216.34"), "must be http:// or https://"),
            (Self.body(pushTo: "https://"), "with a host"),
            (Self.body(pushTo: nil), "exactly one of pushTo"),
            (Self.body(pullFrom: "https://93.184.216.34"), "exactly one of pushTo"),
            (Self.body(repositories: "Team/**"), "repositories:"),
            (Self.body(repositories: "team/app:v1"), "repositories:"),
            (Self.body(repositories: ""), "repositories:"),
            (Self.body(interval: 5), "intervalSeconds must be 10 to 86400"),
            (Self.body(interval: 86_401), "intervalSeconds must be 10 to 86400"),
            (Self.body(password: nil), "go together"),
            (Self.body(username: nil), "go together"),
            (Self.body(username: "a:b"), "username"),
            (Self.body(password: "line\nbreak"), "control characters"),
            (Self.body(name: "Bad Name"), "replication rule name"),
        ]
        for (body, expected) in bad {
            let error = try #require(Self.refusal(body), "accepted: \(body)")
            #expect(error.kind == .invalidReplication)
            #expect(error.message.contains(expected), "\(error.message)")
            #expect(!error.message.contains(Self.password) && !error.message.contains("pw@"))
        }
        let rule = try ReplicationRuleConfiguration(body: Self.body(), networks: [])
        #expect(rule.direction == .push && rule.remote.absoluteString == "https://93.184.216.34" && rule.intervalSeconds == 300)
        #expect(!rule.description.contains(Self.password))
        #expect(rule.covers("team/app") && rule.covers("team/a/b") && !rule.covers("other/app"))
    }

    @Test("a remote on loopback, private or link-local addresses is refused unless the network policy allows it")
    func ssrf() throws {
        for url in ["http://127.0.0.1:5000", "http://localhost:5000", "http://10.1.2.3", "http://169.254.169.254", "http://[::1]:5000"] {
            let error = try #require(Self.refusal(Self.body(pushTo: url)), "accepted \(url)")
            #expect(error.kind == .invalidReplication)
            #expect(error.message.contains("replication remote host"), "\(error.message)")
        }
        #expect(Self.refusal(Self.body(pushTo: "http://127.0.0.1:5000"), networks: [.loopback]) == nil)
        #expect(Self.refusal(Self.body(pushTo: nil, pullFrom: "http://10.1.2.3"), networks: [.privateNetworks]) == nil)
        // Allowing loopback does not allow the metadata service, and unspecified is never allowed.
        #expect(Self.refusal(Self.body(pushTo: "http://169.254.169.254"), networks: [.loopback])?.kind == .invalidReplication)
        #expect(Self.refusal(Self.body(pushTo: "http://0.0.0.0"), networks: [.loopback, .privateNetworks, .linkLocal]) != nil)
    }

    @Test("rules are stored with the password sealed, never listed or audited; names are unique", arguments: TestDatabase.allCases)
    func storage(database: TestDatabase) async throws {
        try await WebhookDeliveryTests.withControlPlanes(database) { planes, _ in
            let plane = planes[0]
            let replication = Replication(controlPlane: plane)
            let created = try await replication.create(
                try ReplicationRuleConfiguration(body: Self.body(), networks: []),
                context: Self.context
            )
            #expect(created.hasPassword && created.username == "ci" && created.status == ReplicationStatus())
            let again = await #expect(throws: ControlPlaneError.self) {
                _ = try await replication.create(try ReplicationRuleConfiguration(body: Self.body(), networks: []), context: Self.context)
            }
            #expect(again?.kind == .replicationExists)
            let stored = try await plane.store.read { db in
                try await db.raw("SELECT * FROM replication_rules").all().map { row in
                    [try row.optionalString("password_sealed") ?? "", try row.optionalString("username") ?? ""]
                }
            }
            #expect(stored.count == 1 && !stored[0][0].isEmpty && !stored[0][0].contains(Self.password))
            #expect(try await replication.configurations().map(\.password) == [Self.password])
            let listed = String(decoding: try JSONEncoder().encode(try await replication.list()), as: UTF8.self)
            #expect(!listed.contains(Self.password) && listed.contains("\"hasPassword\":true"))
            let audit = try await plane.audit.records(AuditFilter()).items
            #expect(audit.contains { $0.action == "replication.create" && $0.detail?.contains("with credentials") == true })
            #expect(!audit.contains { ($0.detail ?? "").contains(Self.password) })
            let missing = await #expect(throws: ControlPlaneError.self) { try await replication.delete("nope", context: Self.context) }
            #expect(missing?.kind == .replicationNotFound)
            try await replication.delete("to-dr", context: Self.context)
            #expect(try await replication.list().isEmpty)
        }
    }

    @Test(
        "push items are written with each commit of a covered repository, survive a node's death, and are leased to one node",
        arguments: TestDatabase.allCases
    )
    func durableQueue(database: TestDatabase) async throws {
        try await WebhookDeliveryTests.withControlPlanes(database, count: 2) { planes, clock in
            let (first, second) = (planes[0], planes[1])
            _ = try await first.registry.createNamespace("team", context: Self.context)
            _ = try await first.registry.createNamespace("other", context: Self.context)
            let replication = Replication(controlPlane: first)
            _ = try await replication.create(try ReplicationRuleConfiguration(body: Self.body(), networks: []), context: Self.context)
            let version = "sha256-" + String(repeating: "ab", count: 32)
            try await Self.commit(first, namespace: "team", version: version)
            try await Self.commit(first, namespace: "other", version: version)
            try await Self.commit(first, namespace: "team", version: "1.0")  // not an OCI manifest: no item
            _ = try await first.registry.setTag(namespace: "team", artifact: "app", tag: "v1", version: version, context: Self.context)
            // A commit that fails (the version exists) rolls back, and with it its item.
            await #expect(throws: ControlPlaneError.self) { try await Self.commit(first, namespace: "team", version: version) }
            let rows = try await Self.queue(first)
            #expect(rows == [["team/app", "sha256:" + String(repeating: "ab", count: 32)], ["team/app", "v1"]])

            let settings = WebhookDeliverySettings(maximumAttempts: 3, initialBackoff: .seconds(10), lease: .seconds(60))
            let dying = ReplicationQueue(controlPlane: first, settings: settings)
            let restarted = ReplicationQueue(controlPlane: second, settings: settings)
            let claimed = try await dying.claim()
            #expect(claimed.count == 2)
            clock.advance(5)
            let lagging = try await replication.rule("to-dr").status
            #expect(lagging.pending == 2 && lagging.lagSeconds == 5)
            // The first node dies holding the lease: nobody else takes the items before it ends.
            #expect(try await restarted.claim().isEmpty)
            clock.advance(56)
            let resumed = try await restarted.claim()
            #expect(Set(resumed.map(\.reference)) == Set(claimed.map(\.reference)))
            // The dead node's late answer is ignored: the lease is no longer its own.
            #expect(try await dying.record(claimed[0], failure: nil) == nil)
            #expect(try await replication.rule("to-dr").status.pending == 2)
            #expect(try await replication.rule("to-dr").status.lastSuccessAt == nil)
            let digestItem = try #require(resumed.first { $0.reference.hasPrefix("sha256:") })
            let tagItem = try #require(resumed.first { $0.reference == "v1" })
            #expect(try await restarted.record(tagItem, failure: nil) == .delivered)
            #expect(try await restarted.record(digestItem, failure: "the remote answered 503") == .pending)
            var status = try await replication.rule("to-dr").status
            #expect(status.pending == 1 && status.lastError == "team/app \(digestItem.reference): the remote answered 503")
            // Retried after the backoff, not before; then copied.
            #expect(try await restarted.claim().isEmpty)
            clock.advance(10)
            let retry = try #require(try await restarted.claim().first)
            #expect(retry.attempts == 1)
            #expect(try await restarted.record(retry, failure: nil) == .delivered)
            status = try await replication.rule("to-dr").status
            #expect(status.pending == 0 && status.lagSeconds == 0 && status.lastError == nil && status.lastSuccessAt != nil)
            // Deleting the rule takes its items with it.
            try await Self.commit(first, namespace: "team", version: "sha256-" + String(repeating: "cd", count: 32))
            try await replication.delete("to-dr", context: Self.context)
            #expect(try await Self.queue(first).isEmpty)
            #expect(try await restarted.claim().isEmpty)
        }
    }

    static func commit(_ plane: ControlPlane, namespace: String, version: String) async throws {
        let blob = try await plane.registry.ingestBlob(
            namespace: namespace,
            ByteStream(ByteBuffer(bytes: Array(version.utf8))),
            context: context
        )
        _ = try await plane.registry.commitVersion(
            VersionManifest(namespace: namespace, artifact: "app", version: version, files: [FileEntry(path: "f", address: blob.address)]),
            context: context
        )
    }

    static func queue(_ plane: ControlPlane) async throws -> [[String]] {
        try await plane.store.read { db in
            try await db.raw("SELECT repository, reference FROM replication_queue ORDER BY created_at, reference").all().map {
                [try $0.string("repository"), try $0.string("reference")]
            }
        }
    }
}
