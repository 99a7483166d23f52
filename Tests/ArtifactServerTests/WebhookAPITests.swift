import ArtifactControlPlane
import ArtifactMetadata
import ArtifactServer
import ArtifactStoreAPI
import ArtifactStoreTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing

/// `/v1/namespaces/{ns}/webhooks`: create, list, deliveries, delete; every bad input refused
/// with a stable code and nothing stored; SSRF refusals; secrets never shown or recorded.
@Suite("Webhook API", .timeLimit(.minutes(10)))
struct WebhookAPITests {
    static func loopbackAllowed() -> ControlPlane.Configuration {
        var configuration = ControlPlane.Configuration()
        configuration.webhookNetworks = [.loopback]
        return configuration
    }

    static func endpointCount(_ harness: ServerHarness) async throws -> Int64 {
        try await harness.controlPlane.store.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM webhook_endpoints").first()?.decode(column: "n", as: Int64.self) ?? -1
        }
    }

    static func create(
        _ client: any TestClientProtocol,
        token: String,
        _ json: String,
        _ check: @escaping @Sendable (TestResponse) throws -> Void
    ) async throws {
        let (headers, body) = TestRequest.json(token, json)
        try await client.execute(uri: "/v1/namespaces/team/webhooks", method: .post, headers: headers, body: body) { try check($0) }
    }

    @Test("create, list (never the secret), deliveries, delete; admin on the namespace is needed", arguments: TestDatabase.allCases)
    func lifecycle(database: TestDatabase) async throws {
        try await ServerHarness.run(database, configuration: Self.loopbackAllowed()) { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "test"))
            let writer = try await harness.token([Grant(.write, namespace: "team")])
            let admin = harness.adminToken
            try await harness.withClient { client in
                try await Self.create(client, token: writer, #"{"url":"http://127.0.0.1:9/hook","secret":"x"}"#) { response in
                    #expect(response.status == .forbidden)
                }
                var id = ""
                try await Self.create(
                    client,
                    token: admin,
                    #"{"url":"http://127.0.0.1:9/hook","secret":"topsecret","events":["push","pull"]}"#
                ) {
                    response in
                    #expect(response.status == .created)
                    let body = response.json()
                    #expect(body["events"] as? [String] == ["push", "pull"])
                    #expect(body["secret"] == nil)
                    #expect(!String(buffer: response.body).contains("topsecret"))
                }
                try await client.execute(uri: "/v1/namespaces/team/webhooks", method: .get, headers: TestRequest.bearer(admin)) {
                    response in
                    #expect(response.status == .ok)
                    let items = response.json()["items"] as? [[String: Any]] ?? []
                    #expect(items.count == 1 && items.first?["url"] as? String == "http://127.0.0.1:9/hook")
                    #expect(!String(buffer: response.body).contains("topsecret"))
                    id = items.first?["id"] as? String ?? ""
                }
                let pushed = try await harness.controlPlane.registry.ingestBlob(
                    namespace: "team",
                    ByteStream(ByteBuffer(bytes: [1])),
                    context: RequestContext(actor: "test")
                )
                _ = try await harness.controlPlane.registry.commitVersion(
                    VersionManifest(namespace: "team", artifact: "a", version: "1", files: [FileEntry(path: "f", address: pushed.address)]),
                    context: RequestContext(actor: "test")
                )
                let deliveries = "/v1/namespaces/team/webhooks/\(id)/deliveries"
                try await client.execute(uri: deliveries + "?state=pending", method: .get, headers: TestRequest.bearer(admin)) { response in
                    let items = response.json()["items"] as? [[String: Any]] ?? []
                    #expect(items.count == 1 && items.first?["event"] as? String == "push" && items.first?["state"] as? String == "pending")
                }
                try await client.execute(uri: deliveries + "?state=lost", method: .get, headers: TestRequest.bearer(admin)) { response in
                    #expect(response.status == .badRequest && response.errorCode() == "badRequest")
                }
                try await client.execute(uri: "/v1/namespaces/team/webhooks/\(id)", method: .delete, headers: TestRequest.bearer(admin)) {
                    response in
                    #expect(response.status == .noContent)
                }
                for (uri, method) in [("/v1/namespaces/team/webhooks/\(id)", HTTPRequest.Method.delete), (deliveries, .get)] {
                    try await client.execute(uri: uri, method: method, headers: TestRequest.bearer(admin)) { response in
                        #expect(response.status == .notFound && response.errorCode() == "webhookNotFound")
                    }
                }
            }
            #expect(try await Self.endpointCount(harness) == 0)
            let stored = try await harness.controlPlane.store.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM webhook_deliveries").first()?.decode(column: "n", as: Int64.self) ?? -1
            }
            #expect(stored == 0)
            // The audit records name the endpoint and its URL, never the secret.
            let records = try await harness.controlPlane.audit.records(AuditFilter(namespace: "team"))
            #expect(records.items.contains { $0.action == "webhook.create" } && records.items.contains { $0.action == "webhook.delete" })
            #expect(!records.items.contains { ($0.detail ?? "").contains("topsecret") || $0.target.contains("topsecret") })
        }
    }

    @Test(
        "bad input is refused with invalidWebhook and nothing is stored",
        arguments: [
            #"{"url":"ftp://127.0.0.1/hook","secret":"s"}"#, #"{"url":"not a url","secret":"s"}"#, #"{"url":"http:///path","secret":"s"}"#,
            #"{"url":"http://user:pw@127.0.0.1/hook","secret":"s"}"#, #"{"url":"http://127.0.0.1/hook#x","secret":"s"}"#,
            #"{"url":"http://127.0.0.1/hook","secret":""}"#, #"{"url":"http://127.0.0.1/hook","secret":"s","events":["push","pushed"]}"#,
        ]
    )
    func badInput(_ json: String) async throws {
        try await ServerHarness.run(configuration: Self.loopbackAllowed()) { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "test"))
            try await harness.withClient { client in
                try await Self.create(client, token: harness.adminToken, json) { response in
                    #expect(response.status == .badRequest, "\(json)")
                    #expect(response.errorCode() == "invalidWebhook", "\(json)")
                }
            }
            #expect(try await Self.endpointCount(harness) == 0)
        }
    }

    @Test("an unknown event's refusal names every event; an oversized secret is refused; an unknown namespace is namespaceNotFound")
    func messages() async throws {
        try await ServerHarness.run(configuration: Self.loopbackAllowed()) { harness in
            let webhooks = harness.controlPlane.webhooks
            let context = RequestContext(actor: "test")
            _ = try await harness.controlPlane.registry.createNamespace("team", context: context)
            do throws(ControlPlaneError) {
                _ = try await webhooks.create(
                    namespace: "team",
                    url: "http://127.0.0.1/h",
                    secret: [1],
                    events: ["bogus"],
                    context: context
                )
                Issue.record("an unknown event was accepted")
            } catch {
                #expect(error.kind == .invalidWebhook)
                #expect(
                    error.message
                        == "\"bogus\" is not a webhook event; the events are push, pull, delete, tag.move, hold, gc.delete, verify.failure, replication.failed"
                )
            }
            await #expect(throws: ControlPlaneError.self) {
                _ = try await webhooks.create(
                    namespace: "team",
                    url: "http://127.0.0.1/h",
                    secret: Array(repeating: 1, count: 1025),
                    events: [],
                    context: context
                )
            }
            do throws(ControlPlaneError) {
                _ = try await webhooks.create(namespace: "nope", url: "http://127.0.0.1/h", secret: [1], events: [], context: context)
                Issue.record("an unknown namespace was accepted")
            } catch {
                #expect(error.kind == .namespaceNotFound)
            }
            #expect(try await Self.endpointCount(harness) == 0)
        }
    }

    @Test(
        "SSRF: loopback, private, link-local and unusable addresses are refused unless configured",
        arguments: [
            ("http://127.0.0.1/h", false, true), ("http://localhost:8080/h", false, true), ("http://[::1]/h", false, true),
            ("http://10.1.2.3/h", false, false), ("http://192.168.0.1/h", false, false), ("http://172.20.0.1/h", false, false),
            ("http://169.254.169.254/latest/meta-data", false, false), ("http://[fe80::1]/h", false, false),
            ("http://0.0.0.0/h", false, false), ("http://[::ffff:127.0.0.1]/h", false, true), ("http://[fd00::1]/h", false, false),
        ] as [(String, Bool, Bool)]
    )
    func ssrf(url: String, allowedByDefault: Bool, allowedWithLoopback: Bool) async throws {
        for (configuration, allowed) in [(ControlPlane.Configuration(), allowedByDefault), (Self.loopbackAllowed(), allowedWithLoopback)] {
            try await ServerHarness.run(configuration: configuration) { harness in
                let context = RequestContext(actor: "test")
                _ = try await harness.controlPlane.registry.createNamespace("team", context: context)
                do throws(ControlPlaneError) {
                    _ = try await harness.controlPlane.webhooks.create(
                        namespace: "team",
                        url: url,
                        secret: [1],
                        events: [],
                        context: context
                    )
                    #expect(allowed, "\(url) was accepted")
                } catch {
                    #expect(!allowed, "\(url): \(error.message)")
                    #expect(error.kind == .webhookAddressRefused, "\(url)")
                    #expect(try await Self.endpointCount(harness) == 0)
                }
            }
        }
    }

    @Test("the stored secret is sealed: the database holds neither it nor its hex")
    func sealedSecret() async throws {
        try await ServerHarness.run(configuration: Self.loopbackAllowed()) { harness in
            let context = RequestContext(actor: "test")
            _ = try await harness.controlPlane.registry.createNamespace("team", context: context)
            let secret = "plain-secret-value"
            _ = try await harness.controlPlane.webhooks.create(
                namespace: "team",
                url: "http://127.0.0.1/h",
                secret: Array(secret.utf8),
                events: [],
                context: context
            )
            let sealed = try await harness.controlPlane.store.read { db in
                try await db.raw("SELECT secret_sealed FROM webhook_endpoints").first()?.decode(column: "secret_sealed", as: String.self)
            }
            let value = try #require(sealed)
            #expect(
                !value.contains(secret)
                    && !(Data(base64Encoded: value).map { String(decoding: $0, as: UTF8.self).contains(secret) } ?? true)
            )
        }
    }

    @Test("delivery rounds are counted in /metrics by outcome")
    func metrics() {
        let metrics = ServerMetrics()
        metrics.recordWebhookRound(WebhookRoundReport())
        #expect(!String(decoding: metrics.exposition(), as: UTF8.self).contains("artifactstore_webhook_attempts_total"))
        metrics.recordWebhookRound(WebhookRoundReport(claimed: 4, delivered: 2, retrying: 1, dead: 1))
        metrics.recordWebhookRound(WebhookRoundReport(claimed: 1, delivered: 1))
        let text = String(decoding: metrics.exposition(), as: UTF8.self)
        #expect(text.contains(#"artifactstore_webhook_attempts_total{outcome="delivered"} 3"#), "\(text)")
        #expect(text.contains(#"artifactstore_webhook_attempts_total{outcome="retrying"} 1"#))
        #expect(text.contains(#"artifactstore_webhook_attempts_total{outcome="dead"} 1"#))
    }

    @Test("webhookAllowedNetworks is read and checked")
    func configuration() async throws {
        let loaded = try await ServerConfiguration.load(environment: ["ARTIFACTSTORE_WEBHOOK_ALLOWED_NETWORKS": "loopback,link-local"])
        #expect(loaded.webhookAllowedNetworks == [.loopback, .linkLocal])
        #expect(try await ServerConfiguration.load(environment: [:]).webhookAllowedNetworks == [])
        await #expect(throws: ServerConfigurationError.self) {
            try await ServerConfiguration.load(environment: ["ARTIFACTSTORE_WEBHOOK_ALLOWED_NETWORKS": "everything"])
        }
    }
}
