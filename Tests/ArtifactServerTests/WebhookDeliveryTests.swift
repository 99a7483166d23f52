import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactDataPlaneLocal
import ArtifactIdentity
import ArtifactMetadata
import ArtifactServer
import ArtifactStorageFileSystem
import ArtifactStoreAPI
import ArtifactStoreCore
import ArtifactStoreTestSupport
import AsyncHTTPClient
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing

/// Webhook delivery end to end: the outbox written with each change, signed CloudEvents posted to
/// a real receiver on loopback through the real HTTP transport, retries with backoff on an
/// injected clock, dead letters, leases shared by two control planes on one database.
@Suite("Webhook delivery", .timeLimit(.minutes(10)))
struct WebhookDeliveryTests {
    static let secret = Array("s3cret-for-signing".utf8)
    static let context = RequestContext(actor: "test", requestID: "r-1")

    /// `count` control planes on one fresh database (loopback allowed for webhooks), sharing one
    /// stepped clock and one filesystem backend.
    static func withControlPlanes(
        _ database: TestDatabase,
        count: Int = 1,
        networks: [WebhookNetworkPolicy]? = nil,
        test: String = #function,
        _ body: ([ControlPlane], SteppedDate) async throws -> Void
    ) async throws {
        try await database.withLocation(maximumConnections: 4, test: test) { location in
            let directory = FileManager.default.temporaryDirectory.path + "/artifactstore-webhooks-\(UUID().uuidString.lowercased())"
            try FileManager.default.createDirectory(atPath: directory + "/blobs", withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let clock = SteppedDate()
            var configuration = ControlPlane.Configuration()
            configuration.webhookNetworks = [.loopback]
            var planes: [ControlPlane] = []
            for index in 0..<count {
                if let networks { configuration.webhookNetworks = networks[index] }
                let dataPlane = try LocalDataPlane(
                    backends: [
                        .init(id: "default", connector: try FileSystemConnector(rootPath: directory + "/blobs", logger: TestLogs.silent))
                    ],
                    logger: TestLogs.silent
                )
                planes.append(
                    try await ControlPlane.open(
                        location,
                        dataPlane: dataPlane,
                        configuration: configuration,
                        clock: clock.clock,
                        logger: TestLogs.silent
                    )
                )
            }
            try await withCleanup {
                try await body(planes, clock)
            } then: {
                for plane in planes { await plane.close() }
            }
        }
    }

    /// An endpoint of `team` at `url` with the test secret.
    static func endpoint(_ plane: ControlPlane, _ url: String, events: [String]) async throws -> WebhookEndpoint {
        try await plane.webhooks.create(namespace: "team", url: url, secret: secret, events: events, context: context)
    }

    /// Runs `body` with a webhook HTTP client, shut down afterwards.
    static func withTransport(_ body: (WebhookHTTPTransport) async throws -> Void) async throws {
        let client = WebhookHTTPTransport.makeClient()
        try await withCleanup {
            try await body(WebhookHTTPTransport(client: client, requestTimeout: .seconds(30)))
        } then: {
            try? await client.shutdown()
        }
    }

    static func deliveryRows(_ plane: ControlPlane) async throws -> [(id: String, state: String, payload: String)] {
        try await plane.store.read { db in
            try await db.raw("SELECT id, state, payload FROM webhook_deliveries ORDER BY id").all().map {
                (try $0.string("id"), try $0.string("state"), try $0.string("payload"))
            }
        }
    }

    /// A namespace with a committed version `1.0` of `app` (one push event when an endpoint exists).
    static func push(_ plane: ControlPlane, version: String = "1.0") async throws {
        let blob = try await plane.registry.ingestBlob(
            namespace: "team",
            ByteStream(ByteBuffer(bytes: Array(version.utf8))),
            context: context
        )
        _ = try await plane.registry.commitVersion(
            VersionManifest(namespace: "team", artifact: "app", version: version, files: [FileEntry(path: "f", address: blob.address)]),
            context: context
        )
    }

    @Test(
        "a receiver that fails, then recovers, gets every committed event exactly as committed and signed",
        arguments: TestDatabase.allCases
    )
    func failThenRecover(database: TestDatabase) async throws {
        try await Self.withControlPlanes(database) { planes, clock in
            let plane = planes[0]
            _ = try await plane.registry.createNamespace("team", context: Self.context)
            let receiver = WebhookReceiver()
            try await receiver.run { url in
                let endpoint = try await WebhookDeliveryTests.endpoint(plane, url, events: [])
                #expect(endpoint.events == WebhookEventName.defaults)
                try await Self.push(plane)
                _ = try await plane.registry.setTag(
                    namespace: "team",
                    artifact: "app",
                    tag: "latest",
                    version: "1.0",
                    context: Self.context
                )
                _ = try await plane.retention.placeHold(
                    namespace: "team",
                    artifact: "app",
                    version: "1.0",
                    reason: "audit",
                    context: Self.context
                )
                try await plane.registry.deleteTag(namespace: "team", artifact: "app", tag: "latest", context: Self.context)
                let committed = try await Self.deliveryRows(plane)
                #expect(committed.count == 4)

                try await Self.withTransport { transport in
                    let dispatcher = WebhookDispatcher(
                        controlPlane: plane,
                        transport: transport,
                        settings: WebhookDeliverySettings(maximumAttempts: 5, initialBackoff: .seconds(10), maximumBackoff: .seconds(60))
                    )
                    receiver.answer(503)
                    let failed = try await dispatcher.deliverDue()
                    #expect(failed == WebhookRoundReport(claimed: 4, delivered: 0, retrying: 4, dead: 0))
                    let pending = try await plane.webhooks.deliveries(namespace: "team", endpoint: endpoint.id, state: .pending)
                    #expect(
                        pending.items.allSatisfy { $0.attempts == 1 && $0.lastStatus == 503 && $0.lastError == "the endpoint answered 503" }
                    )
                    // Not due before the backoff has passed.
                    clock.advance(9)
                    #expect(try await dispatcher.deliverDue().claimed == 0)
                    clock.advance(1)
                    receiver.answer(200)
                    #expect(try await dispatcher.deliverDue() == WebhookRoundReport(claimed: 4, delivered: 4, retrying: 0, dead: 0))
                    clock.advance(3600)
                    #expect(try await dispatcher.deliverDue().claimed == 0)
                }
                #expect(receiver.received.count == 8)
                let accepted = receiver.accepted
                #expect(Set(accepted.map(\.deliveryID)) == Set(committed.map(\.id)))
                for delivery in accepted {
                    let row = try #require(committed.first { $0.id == delivery.deliveryID })
                    #expect(delivery.body == Array(row.payload.utf8), "the body is the committed event, byte for byte")
                    #expect(WebhookReceiver.verify(signature: delivery.signature, body: delivery.body, secret: Self.secret))
                    #expect(!WebhookReceiver.verify(signature: delivery.signature, body: delivery.body, secret: Array("other".utf8)))
                    #expect(delivery.contentType.hasPrefix("application/cloudevents+json"))
                }
                let events = try accepted.map { try #require(try JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any]) }
                #expect(
                    Set(events.compactMap { $0["type"] as? String }) == [
                        "dev.artifactstore.push", "dev.artifactstore.tag.move", "dev.artifactstore.hold", "dev.artifactstore.delete",
                    ]
                )
                #expect(
                    events.allSatisfy {
                        $0["specversion"] as? String == "1.0" && $0["source"] as? String == "/artifactstore/namespaces/team"
                    }
                )
                let push = try #require(events.first { $0["type"] as? String == "dev.artifactstore.push" })
                #expect(push["subject"] as? String == "team/app@1.0")
                #expect((push["data"] as? [String: Any])?["actor"] as? String == "test")
                let delivered = try await plane.webhooks.deliveries(namespace: "team", endpoint: endpoint.id, state: .delivered)
                #expect(delivered.items.count == 4 && delivered.items.allSatisfy { $0.attempts == 2 && $0.deliveredAt != nil })
                // Delivered rows go after keepDelivered (7 days by default), not before.
                try await Self.withTransport { transport in
                    let pruning = WebhookDispatcher(controlPlane: plane, transport: transport)
                    let early = try await pruning.prune()
                    clock.advance(7 * 86_400 + 1)
                    let late = try await pruning.prune()
                    #expect(early == 0 && late == 4)
                }
            }
        }
    }

    @Test("an event never leaves for a change that rolled back", arguments: TestDatabase.allCases)
    func rolledBack(database: TestDatabase) async throws {
        try await Self.withControlPlanes(database) { planes, _ in
            let plane = planes[0]
            _ = try await plane.registry.createNamespace("team", context: Self.context)
            _ = try await WebhookDeliveryTests.endpoint(plane, "http://127.0.0.1:9/hook", events: [])
            // A refused commit (its blob is not linked) rolls back with its event.
            let stray = try ContentAddress(parsing: "blake3:" + String(repeating: "ab", count: 32))
            await #expect(throws: ControlPlaneError.self) {
                _ = try await plane.registry.commitVersion(
                    VersionManifest(namespace: "team", artifact: "app", version: "1.0", files: [FileEntry(path: "f", address: stray)]),
                    context: Self.context
                )
            }
            // A transaction that wrote its change's audit record (and so its event) and then failed.
            await #expect(throws: ControlPlaneError.self) {
                try await plane.mutate("a change that fails after its record") { db in
                    try await AuditLog.append(
                        AuditEvent(action: "version.commit", namespace: "team", target: "team/app@2.0"),
                        context: Self.context,
                        at: 1,
                        in: db
                    )
                    throw ControlPlaneError(.internalError, "rolled back on purpose")
                }
            }
            #expect(try await Self.deliveryRows(plane).isEmpty)
            try await Self.push(plane)
            #expect(try await Self.deliveryRows(plane).count == 1)
        }
    }

    @Test("after the last attempt a delivery is dead: listed with its error, never sent again", arguments: TestDatabase.allCases)
    func deadLetter(database: TestDatabase) async throws {
        try await Self.withControlPlanes(database) { planes, clock in
            let plane = planes[0]
            _ = try await plane.registry.createNamespace("team", context: Self.context)
            let receiver = WebhookReceiver()
            receiver.answer(500)
            try await receiver.run { url in
                let endpoint = try await WebhookDeliveryTests.endpoint(plane, url, events: ["push"])
                try await Self.push(plane)
                try await Self.withTransport { transport in
                    let dispatcher = WebhookDispatcher(
                        controlPlane: plane,
                        transport: transport,
                        settings: WebhookDeliverySettings(maximumAttempts: 3, initialBackoff: .seconds(1), maximumBackoff: .seconds(2))
                    )
                    var reports: [WebhookRoundReport] = []
                    for step in [0.0, 1, 2, 3600] {
                        clock.advance(step)
                        reports.append(try await dispatcher.deliverDue())
                    }
                    #expect(reports.map(\.retrying) == [1, 1, 0, 0])
                    #expect(reports.map(\.dead) == [0, 0, 1, 0])
                    #expect(reports.last?.claimed == 0)
                }
                #expect(receiver.received.count == 3)
                let dead = try await plane.webhooks.deliveries(namespace: "team", endpoint: endpoint.id, state: .dead)
                #expect(dead.items.count == 1)
                #expect(dead.items.first?.attempts == 3 && dead.items.first?.lastStatus == 500 && dead.items.first?.nextAttemptAt == nil)
                // Dead letters stay listed for keepDead, then go: the outbox stays bounded.
                try await Self.withTransport { transport in
                    let pruning = WebhookDispatcher(
                        controlPlane: plane,
                        transport: transport,
                        settings: WebhookDeliverySettings(keepDelivered: .seconds(60), keepDead: .seconds(2 * 86_400))
                    )
                    let early = try await pruning.prune()
                    clock.advance(2 * 86_400)
                    let late = try await pruning.prune()
                    #expect(early == 0 && late == 1)
                }
                #expect(try await plane.webhooks.deliveries(namespace: "team", endpoint: endpoint.id).items.isEmpty)
            }
        }
    }

    @Test("no redirect is followed, and a refused connection is a failed attempt said in words")
    func redirectAndRefusal() async throws {
        try await Self.withControlPlanes(.sqlite) { planes, _ in
            let plane = planes[0]
            _ = try await plane.registry.createNamespace("team", context: Self.context)
            let receiver = WebhookReceiver()
            receiver.answer(307)
            try await receiver.run { url in
                let redirected = try await WebhookDeliveryTests.endpoint(plane, url, events: ["push"])
                // Nothing listens on port 9 (discard) of loopback here.
                let refused = try await WebhookDeliveryTests.endpoint(plane, "http://127.0.0.1:9/hook", events: ["push"])
                try await Self.push(plane)
                try await Self.withTransport { transport in
                    let report = try await WebhookDispatcher(controlPlane: plane, transport: transport).deliverDue()
                    #expect(report == WebhookRoundReport(claimed: 2, retrying: 2))
                }
                #expect(receiver.received.count == 1, "the Location of the 307 was not followed")
                let first = try await plane.webhooks.deliveries(namespace: "team", endpoint: redirected.id).items
                #expect(first.first?.lastStatus == 307 && first.first?.lastError == "the endpoint answered 307")
                let second = try await plane.webhooks.deliveries(namespace: "team", endpoint: refused.id).items
                #expect(second.first?.lastStatus == nil)
                #expect(second.first?.lastError == "the connection was refused", "\(second.first?.lastError ?? "-")")
            }
        }
    }

    @Test("a node that does not allow loopback refuses to deliver there, without a request, whoever created the endpoint")
    func deliveryTimeAddressCheck() async throws {
        try await Self.withControlPlanes(.sqlite, count: 2, networks: [[.loopback], []]) { planes, _ in
            _ = try await planes[0].registry.createNamespace("team", context: Self.context)
            let receiver = WebhookReceiver()
            try await receiver.run { url in
                let endpoint = try await WebhookDeliveryTests.endpoint(planes[0], url, events: ["push"])
                try await Self.push(planes[0])
                try await Self.withTransport { transport in
                    let report = try await WebhookDispatcher(controlPlane: planes[1], transport: transport).deliverDue()
                    #expect(report == WebhookRoundReport(claimed: 1, retrying: 1))
                }
                #expect(receiver.received.isEmpty)
                let delivery = try await planes[0].webhooks.deliveries(namespace: "team", endpoint: endpoint.id).items.first
                #expect(
                    delivery?.lastError?.hasPrefix("webhook host \"127.0.0.1\" is a loopback address") == true,
                    "\(delivery?.lastError ?? "-")"
                )
            }
        }
    }

    @Test("two control planes on one database deliver each event once, never both at once", arguments: TestDatabase.allCases)
    func twoNodes(database: TestDatabase) async throws {
        try await Self.withControlPlanes(database, count: 2) { planes, _ in
            _ = try await planes[0].registry.createNamespace("team", context: Self.context)
            let receiver = WebhookReceiver()
            try await receiver.run { url in
                _ = try await WebhookDeliveryTests.endpoint(planes[0], url, events: [])
                for version in 0..<24 { try await Self.push(planes[version % 2], version: "1.\(version)") }
                try await Self.withTransport { transport in
                    let settings = WebhookDeliverySettings(batchSize: 5)
                    let dispatchers = planes.map { WebhookDispatcher(controlPlane: $0, transport: transport, settings: settings) }
                    var claimed = 0
                    while claimed < 24 {
                        let reports = try await withThrowingTaskGroup(of: WebhookRoundReport.self) { group in
                            for dispatcher in dispatchers { group.addTask { try await dispatcher.deliverDue() } }
                            var all: [WebhookRoundReport] = []
                            for try await report in group { all.append(report) }
                            return all
                        }
                        let round = reports.map(\.claimed).reduce(0, +)
                        #expect(round > 0, "a round with deliveries due claimed none")
                        if round == 0 { break }
                        claimed += round
                    }
                    #expect(claimed == 24)
                }
                let ids = receiver.received.map(\.deliveryID)
                #expect(ids.count == 24)
                #expect(Set(ids).count == 24, "no delivery was sent twice")
                #expect(try await Self.deliveryRows(planes[1]).allSatisfy { $0.state == "delivered" })
            }
        }
    }

    @Test("the delivery service delivers what commits, in the ServiceGroup's way, on an injected clock")
    func service() async throws {
        try await Self.withControlPlanes(.sqlite) { planes, _ in
            let plane = planes[0]
            _ = try await plane.registry.createNamespace("team", context: Self.context)
            let receiver = WebhookReceiver()
            try await receiver.run { url in
                _ = try await WebhookDeliveryTests.endpoint(plane, url, events: [])
                try await Self.withTransport { transport in
                    let clock = ManualClock()
                    let service = WebhookDeliveryService(
                        dispatcher: WebhookDispatcher(controlPlane: plane, transport: transport),
                        interval: .seconds(1),
                        clock: clock
                    )
                    let running = Task { try await service.run() }
                    #expect(try await eventually { clock.sleeperCount == 1 })
                    try await Self.push(plane)
                    clock.advance(by: .seconds(1))
                    #expect(try await eventually { receiver.accepted.count == 1 })
                    running.cancel()
                    _ = await running.result
                }
            }
        }
    }
}

/// The events that come from other parts than a user's request: the collector, verification,
/// and pulls (only for endpoints that ask).
@Suite("Webhook events", .timeLimit(.minutes(10)))
struct WebhookEventTests {
    static let context = WebhookDeliveryTests.context

    static func events(_ plane: ControlPlane) async throws -> [String] {
        try await plane.store.read { db in
            try await db.raw("SELECT event FROM webhook_deliveries ORDER BY created_at, id").all().map { try $0.string("event") }
        }
    }

    @Test("a deleted version's blobs leave the namespace by GC: delete, then gc.delete", arguments: TestDatabase.allCases)
    func garbageCollection(database: TestDatabase) async throws {
        try await WebhookDeliveryTests.withControlPlanes(database) { planes, clock in
            let plane = planes[0]
            _ = try await plane.registry.createNamespace("team", context: Self.context)
            _ = try await WebhookDeliveryTests.endpoint(plane, "http://127.0.0.1:9/hook", events: ["delete", "gc.delete"])
            try await WebhookDeliveryTests.push(plane)
            try await plane.registry.deleteVersion(namespace: "team", artifact: "app", version: "1.0", context: Self.context)
            clock.advance(2 * 86_400)
            let report = try await plane.garbageCollector.collect()
            #expect(report.ran)
            #expect(try await Self.events(plane) == ["delete", "gc.delete"])
        }
    }

    @Test("a verification that finds altered bytes is verify.failure; a manifest GET is pull only where asked")
    func verifyFailureAndPull() async throws {
        var configuration = ControlPlane.Configuration()
        configuration.webhookNetworks = [.loopback]
        try await ServerHarness.run(configuration: configuration) { harness in
            let plane = harness.controlPlane
            _ = try await plane.registry.createNamespace("team", context: Self.context)
            _ = try await WebhookDeliveryTests.endpoint(plane, "http://127.0.0.1:9/hook", events: ["verify.failure"])
            let config = Array("{}".utf8)
            try await harness.withClient { client in
                try await OCITest.pushBlob(client, "team/app", config, token: harness.adminToken)
                try await OCITest.pushManifest(
                    client,
                    "team/app",
                    "v1",
                    OCITest.manifest(config: config, layers: []),
                    token: harness.adminToken
                )
                try await client.execute(uri: "/v2/team/app/manifests/v1", method: .get, headers: OCITest.headers(harness.adminToken)) {
                    #expect($0.status == .ok)
                }
            }
            #expect(try await Self.events(plane).isEmpty, "push is not asked for, nor pull")

            let blob = try await plane.registry.ingestBlob(
                namespace: "team",
                ByteStream(ByteBuffer(bytes: Array(repeating: 7, count: 4096))),
                context: Self.context
            )
            let file = try #require(harness.storedFiles().first { $0.hasPrefix("blobs/") && $0.contains(blob.address.digest.hex) })
            let handle = try #require(FileHandle(forUpdatingAtPath: harness.blobsDirectory + "/" + file))
            try handle.seek(toOffset: 100)
            try handle.write(contentsOf: Data([0]))
            try handle.close()
            #expect(try await plane.registry.verifyBlob(namespace: "team", address: blob.address).verified == false)
            #expect(try await Self.events(plane) == ["verify.failure"])

            _ = try await WebhookDeliveryTests.endpoint(plane, "http://127.0.0.1:9/pulls", events: ["pull"])
            try await harness.withClient { client in
                try await client.execute(uri: "/v2/team/app/manifests/v1", method: .get, headers: OCITest.headers(harness.adminToken)) {
                    #expect($0.status == .ok)
                }
                try await client.execute(uri: "/v2/team/app/manifests/v1", method: .head, headers: OCITest.headers(harness.adminToken)) {
                    #expect($0.status == .ok)
                }
            }
            #expect(try await Self.events(plane) == ["verify.failure", "pull"])
        }
    }
}
