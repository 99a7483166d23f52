import ArtifactControlPlane
import ArtifactIdentity
import ArtifactMetadata
import ArtifactOCI
import ArtifactStoreAPI
import ArtifactStoreTestSupport
import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import SQLKit
import Synchronization
import Testing

/// Proxy namespaces (docs/oci.md, "Proxy namespaces"): their configuration through `/v1`, and
/// pull-through against a real docker-registry started per test (skipped, said plainly, when the
/// binary is absent). Tag TTLs run on an injected clock.
@Suite("OCI proxy namespaces", .timeLimit(.minutes(10)))
struct OCIProxyTests {
    /// A clock the test moves.
    final class TestClock: Sendable {
        private let now = Mutex(Date())
        func read() -> Date { now.withLock { $0 } }
        func advance(seconds: Double) { now.withLock { $0 = $0.addingTimeInterval(seconds) } }
    }

    static func setProxy(
        _ client: any TestClientProtocol,
        _ token: String,
        _ namespace: String,
        _ body: String
    ) async throws -> TestResponse {
        let (headers, buffer) = TestRequest.json(token, body)
        return try await client.execute(uri: "/v1/proxies/\(namespace)", method: .put, headers: headers, body: buffer) { $0 }
    }

    static func get(
        _ client: any TestClientProtocol,
        _ token: String,
        _ path: String,
        method: HTTPRequest.Method = .get
    ) async throws -> TestResponse {
        try await client.execute(
            uri: path,
            method: method,
            headers: OCITest.headers(token, [.accept: "application/vnd.oci.image.manifest.v1+json"])
        ) { $0 }
    }

    /// A `GET` of the live server on its own connection (HTTPClient.shared's pool: a connection
    /// per request in flight, so concurrent pulls really are concurrent), with a patient deadline:
    /// `nil` when the transfer failed. The status and the body.
    static func pull(port: Int, _ token: String, _ path: String) async -> (status: Int, body: [UInt8])? {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        do {
            let answer = try await HTTPClient.shared.execute(request, timeout: .seconds(600))
            let body = try await answer.body.collect(upTo: 64 << 20)
            return (Int(answer.status.code), Array(body.readableBytesView))
        } catch {
            return nil
        }
    }

    @Test("configuration: every malformed field is invalidProxy with nothing stored; the password is never returned; admin only")
    func configuration() async throws {
        try await ServerHarness.run { harness in
            let admin = harness.adminToken
            let tenant = try await harness.token([Grant(.admin, namespace: "hub")])
            try await harness.withClient { client in
                let refused = [
                    #"{"upstream":"ftp://example.org"}"#, #"{"upstream":"http://"}"#, #"{"upstream":"http://user:pw@example.org"}"#,
                    #"{"upstream":"https://example.org/?q=1"}"#, #"{"upstream":"https://example.org#x"}"#, #"{"upstream":"example.org"}"#,
                    #"{"upstream":"https://example.org","prefix":"library"}"#, #"{"upstream":"https://example.org","prefix":"Lib/"}"#,
                    #"{"upstream":"https://example.org","allow":["a b"]}"#, #"{"upstream":"https://example.org","deny":[""]}"#,
                    #"{"upstream":"https://example.org","tagTTLSeconds":-1}"#,
                    #"{"upstream":"https://example.org","tagTTLSeconds":99999999999}"#,
                    #"{"upstream":"https://example.org","username":"u"}"#, #"{"upstream":"https://example.org","password":"p"}"#,
                    #"{"upstream":"https://example.org","username":"a:b","password":"p"}"#,
                    #"{"upstream":"https://example.org","redirectHosts":["a/b"]}"#,
                ]
                for body in refused {
                    let response = try await Self.setProxy(client, admin, "hub", body)
                    #expect(response.status == .badRequest, "\(body)")
                    #expect(response.errorCode() == "invalidProxy", "\(body)")
                    #expect(!String(buffer: response.body).contains("\"p\""), "the password is not quoted: \(body)")
                    #expect(!String(buffer: response.body).contains("user:pw"), "credentials in the URL are not repeated: \(body)")
                }
                let forbidden = try await Self.setProxy(client, tenant, "hub", #"{"upstream":"https://example.org"}"#)
                #expect(forbidden.status == .forbidden)
                let empty = try await client.execute(uri: "/v1/proxies", method: .get, headers: TestRequest.bearer(admin)) { $0 }
                #expect((empty.json()["items"] as? [Any])?.isEmpty == true)
                #expect((try? await harness.controlPlane.registry.namespace("hub")) == nil, "a refused configuration creates nothing")

                let secret = "s3cret-\(UUID().uuidString)"
                let body =
                    #"{"upstream":"https://Registry.Example.org/","prefix":"library/","tagTTLSeconds":60,"#
                    + #""username":"ci","password":"\#(secret)"}"#
                let set = try await Self.setProxy(client, admin, "hub", body)
                #expect(set.status == .ok)
                #expect(!String(buffer: set.body).contains(secret))
                #expect(set.json()["upstream"] as? String == "https://registry.example.org")
                #expect(set.json()["hasPassword"] as? Bool == true)
                let listed = try await client.execute(uri: "/v1/proxies", method: .get, headers: TestRequest.bearer(admin)) { $0 }
                #expect(!String(buffer: listed.body).contains(secret))
                #expect((listed.json()["items"] as? [[String: Any]])?.first?["namespace"] as? String == "hub")
                #expect(try await harness.controlPlane.registry.namespace("hub").name == "hub", "the namespace was created")
                let audit = try await harness.controlPlane.store.read { db in
                    try await db.raw(
                        "SELECT detail FROM audit_log WHERE action = 'proxy.set' "
                            + "UNION ALL SELECT detail FROM audit_pending WHERE action = 'proxy.set'"
                    ).all().map { try $0.decode(column: "detail", as: String?.self) }
                }
                #expect(audit.count == 1 && !(audit.first??.contains(secret) ?? true), "audited without the password")
                // The database holds the password sealed under the audit key, never as sent; the
                // store opens it for the upstream client.
                let stored = try await harness.controlPlane.store.read { db in
                    try await db.raw("SELECT password FROM oci_proxies WHERE namespace = 'hub'").first()?.decode(
                        column: "password",
                        as: String.self
                    )
                }
                #expect(stored?.hasPrefix("sealed:") == true)
                #expect(stored?.contains(secret) == false)
                #expect(try await OCIProxyStore(controlPlane: harness.controlPlane).configuration("hub")?.password == secret)

                let deleted = try await client.execute(uri: "/v1/proxies/hub", method: .delete, headers: TestRequest.bearer(admin)) { $0 }
                #expect(deleted.status == .noContent)
                let again = try await client.execute(uri: "/v1/proxies/hub", method: .delete, headers: TestRequest.bearer(admin)) { $0 }
                #expect(again.status == .notFound)
                #expect(again.errorCode() == "proxyNotFound")
            }
        }
    }

    @Test(
        "pull-through: a manifest and its blobs fetched once, verified, stored and linked; a tenant without read gets 403; pushes refused"
    )
    func pullThrough() async throws {
        guard let upstream = try await DockerRegistryProcess.start() else { return }
        defer { upstream.remove() }
        let config = OCITest.bytes(700, seed: 1)
        let layers = [OCITest.bytes(300_000, seed: 2), OCITest.bytes(2_000_000, seed: 3)]
        let manifest = try await upstream.pushImage("library/app", tag: "v1", config: config, layers: layers)
        try await ServerHarness.run { harness in
            let admin = harness.adminToken
            let reader = try await harness.token([Grant(.read, namespace: "hub")])
            let stranger = try await harness.token([Grant(.admin, namespace: "other")])
            try await harness.withClient { client in
                #expect(
                    try await Self.setProxy(client, admin, "hub", #"{"upstream":"\#(upstream.url)","prefix":"library/"}"#).status == .ok
                )
                let denied = try await Self.get(client, stranger, "/v2/hub/app/manifests/v1")
                #expect(denied.status == .forbidden)
                #expect(try upstream.servedGETs("/v2/library/app/manifests/v1") == 0, "nothing fetched for a caller who may not read")

                for _ in 0..<2 {
                    let pulled = try await Self.get(client, reader, "/v2/hub/app/manifests/v1")
                    #expect(pulled.status == .ok)
                    #expect(Array(pulled.body.readableBytesView) == manifest)
                    #expect(pulled.headers[OCITest.contentDigest] == OCITest.digest(manifest))
                    for blob in [config] + layers {
                        let head = try await Self.get(client, reader, "/v2/hub/app/blobs/\(OCITest.digest(blob))", method: .head)
                        #expect(head.status == .ok)
                        #expect(head.headers[.contentLength] == "\(blob.count)")
                        let got = try await Self.get(client, reader, "/v2/hub/app/blobs/\(OCITest.digest(blob))")
                        #expect(got.status == .ok)
                        #expect(Array(got.body.readableBytesView) == blob)
                    }
                }
                for blob in [config] + layers {
                    #expect(try upstream.servedGETs("/v2/library/app/blobs/\(OCITest.digest(blob))") == 1, "each blob fetched once")
                    let linked = try await harness.controlPlane.registry.blob(
                        namespace: "hub",
                        digest: try #require(Digest(OCITest.digest(blob)))
                    )
                    #expect(linked.size == UInt64(blob.count))
                }
                #expect(try upstream.servedGETs("/v2/library/app/manifests/v1") == 1, "the tag was fetched once within its TTL")
                let version = "sha256-" + OCITest.digest(manifest).dropFirst("sha256:".count)
                let committed = try await harness.controlPlane.registry.version(namespace: "hub", artifact: "app", version: version)
                #expect(committed.files.contains { $0.path == OCIRegistry.manifestPath })
                let range = try await client.execute(
                    uri: "/v2/hub/app/blobs/\(OCITest.digest(layers[1]))",
                    method: .get,
                    headers: OCITest.headers(reader, [.range: "bytes=10-19"])
                ) { $0 }
                #expect(range.status == .partialContent)
                #expect(Array(range.body.readableBytesView) == Array(layers[1][10...19]))

                let push = try await client.execute(uri: "/v2/hub/app/blobs/uploads/", method: .post, headers: OCITest.headers(admin)) {
                    $0
                }
                #expect(push.status == .forbidden)
                #expect(push.ociErrorCode == "DENIED")
                let unknown = try await Self.get(client, reader, "/v2/hub/app/manifests/nosuch")
                #expect(unknown.status == .notFound)
                #expect(unknown.ociErrorCode == "MANIFEST_UNKNOWN")
                let missingBlob = try await Self.get(client, reader, "/v2/hub/app/blobs/\(OCITest.digest(OCITest.bytes(10, seed: 99)))")
                #expect(missingBlob.status == .notFound)
                #expect(missingBlob.ociErrorCode == "BLOB_UNKNOWN")
            }
        }
    }

    @Test(
        "GC: pulled-through blobs join the cached manifest's version, survive collection past the grace period, go with the manifest",
        arguments: TestDatabase.allCases
    )
    func garbageCollection(database: TestDatabase) async throws {
        guard let upstream = try await DockerRegistryProcess.start() else { return }
        defer { upstream.remove() }
        let config = OCITest.bytes(600, seed: 13)
        let layers = [OCITest.bytes(5000, seed: 14), OCITest.bytes(70_000, seed: 15)]
        let manifest = try await upstream.pushImage("library/app", tag: "v1", config: config, layers: layers)
        let clock = TestClock()
        try await ServerHarness.run(database, clock: clock.read) { harness in
            let reader = try await harness.token([Grant(.read, namespace: "hub")])
            try await harness.withClient { client in
                #expect(
                    try await Self.setProxy(client, harness.adminToken, "hub", #"{"upstream":"\#(upstream.url)","prefix":"library/"}"#)
                        .status == .ok
                )
                #expect(try await Self.get(client, reader, "/v2/hub/app/manifests/v1").status == .ok)
                let version = "sha256-" + OCITest.digest(manifest).dropFirst("sha256:".count)
                let before = try await harness.controlPlane.registry.version(namespace: "hub", artifact: "app", version: version)
                #expect(before.files.map(\.path) == [OCIRegistry.manifestPath], "the blobs are not fetched yet")
                for blob in [config] + layers {
                    #expect(try await Self.get(client, reader, "/v2/hub/app/blobs/\(OCITest.digest(blob))").status == .ok)
                }
                let after = try await harness.controlPlane.registry.version(namespace: "hub", artifact: "app", version: version)
                let expected = ([config] + layers).map { "blobs/sha256-" + OCITest.digest($0).dropFirst("sha256:".count) }
                #expect(Set(after.files.map(\.path)) == Set(expected + [OCIRegistry.manifestPath]))

                clock.advance(seconds: 2 * 86_400)
                let kept = try await harness.controlPlane.garbageCollector.collect()
                #expect(kept.blobsDeleted == 0, "referenced by the cached manifest's version")
                for blob in [config] + layers {
                    let got = try await Self.get(client, reader, "/v2/hub/app/blobs/\(OCITest.digest(blob))")
                    #expect(Array(got.body.readableBytesView) == blob)
                }
                #expect(
                    try upstream.servedGETs("/v2/library/app/blobs/\(OCITest.digest(layers[1]))") == 1,
                    "served from the store after GC"
                )

                let admin = harness.adminToken
                let deleted = try await client.execute(
                    uri: "/v1/namespaces/hub/artifacts/app/versions/\(version)",
                    method: .delete,
                    headers: TestRequest.bearer(admin)
                ) { $0 }
                #expect(deleted.status == .noContent)
                var deletedBlobs = 0
                for _ in 0..<2 {
                    clock.advance(seconds: 2 * 86_400)
                    deletedBlobs += try await harness.controlPlane.garbageCollector.collect().blobsDeleted
                }
                #expect(deletedBlobs == 4, "the manifest's bytes and its three blobs")
            }
        }
    }

    @Test(
        "unused for N days: a cached manifest not pulled for the eviction age is deleted, one pulled since is kept",
        arguments: TestDatabase.allCases
    )
    func evictUnused(database: TestDatabase) async throws {
        guard let upstream = try await DockerRegistryProcess.start() else { return }
        defer { upstream.remove() }
        let first = try await upstream.pushImage(
            "library/a",
            tag: "v1",
            config: OCITest.bytes(300, seed: 16),
            layers: [OCITest.bytes(900, seed: 17)]
        )
        let second = try await upstream.pushImage(
            "library/b",
            tag: "v1",
            config: OCITest.bytes(300, seed: 18),
            layers: [OCITest.bytes(800, seed: 19)]
        )
        let clock = TestClock()
        try await ServerHarness.run(database, clock: clock.read) { harness in
            let reader = try await harness.token([Grant(.read, namespace: "hub")])
            try await harness.withClient { client in
                let body = #"{"upstream":"\#(upstream.url)","prefix":"library/","tagTTLSeconds":31536000,"evictUnusedAfterSeconds":86400}"#
                let set = try await Self.setProxy(client, harness.adminToken, "hub", body)
                #expect(set.json()["evictUnusedAfterSeconds"] as? Int == 86400)
                #expect(try await Self.get(client, reader, "/v2/hub/a/manifests/v1").status == .ok)
                #expect(try await Self.get(client, reader, "/v2/hub/b/manifests/v1").status == .ok)
                clock.advance(seconds: 0.75 * 86_400)
                #expect(try await Self.get(client, reader, "/v2/hub/b/manifests/v1").status == .ok)
                let proxies = OCIProxyStore(controlPlane: harness.controlPlane)
                #expect(try await proxies.evictUnused() == 0, "nothing is a day old yet")
                clock.advance(seconds: 0.75 * 86_400)
                #expect(try await proxies.evictUnused() == 1)
                let version = { (manifest: [UInt8]) in "sha256-" + OCITest.digest(manifest).dropFirst("sha256:".count) }
                await #expect(throws: ControlPlaneError.self) {
                    try await harness.controlPlane.registry.version(namespace: "hub", artifact: "a", version: version(first))
                }
                _ = try await harness.controlPlane.registry.version(namespace: "hub", artifact: "b", version: version(second))
                #expect(try await proxies.evictUnused() == 0)
                clock.advance(seconds: 2 * 86_400)
                #expect(try await proxies.evictUnused() == 1, "b, unused since")
                var deleted = 0
                for _ in 0..<2 {
                    clock.advance(seconds: 2 * 86_400)
                    deleted += try await harness.controlPlane.garbageCollector.collect().blobsDeleted
                }
                #expect(deleted == 2, "the two evicted manifests' bytes (their blobs were never pulled)")
            }
        }
    }

    @Test(
        "tags: re-checked upstream only after the TTL (injected clock); upstream down: cached content served, marked stale",
        arguments: TestDatabase.allCases
    )
    func tagTTLAndStale(database: TestDatabase) async throws {
        guard let upstream = try await DockerRegistryProcess.start() else { return }
        defer { upstream.remove() }
        let first = try await upstream.pushImage(
            "library/app",
            tag: "moving",
            config: OCITest.bytes(500, seed: 4),
            layers: [OCITest.bytes(1000, seed: 5)]
        )
        let clock = TestClock()
        try await ServerHarness.run(database, clock: clock.read) { harness in
            let reader = try await harness.token([Grant(.read, namespace: "hub")])
            try await harness.withClient { client in
                let body = #"{"upstream":"\#(upstream.url)","prefix":"library/","tagTTLSeconds":60}"#
                #expect(try await Self.setProxy(client, harness.adminToken, "hub", body).status == .ok)
                #expect(
                    try await Self.get(client, reader, "/v2/hub/app/manifests/moving").headers[OCITest.contentDigest]
                        == OCITest.digest(first)
                )
                let second = try await upstream.pushImage(
                    "library/app",
                    tag: "moving",
                    config: OCITest.bytes(500, seed: 6),
                    layers: [OCITest.bytes(900, seed: 7)]
                )
                clock.advance(seconds: 59)
                #expect(
                    try await Self.get(client, reader, "/v2/hub/app/manifests/moving").headers[OCITest.contentDigest]
                        == OCITest.digest(first)
                )
                clock.advance(seconds: 2)
                let moved = try await Self.get(client, reader, "/v2/hub/app/manifests/moving")
                #expect(moved.headers[OCITest.contentDigest] == OCITest.digest(second))
                #expect(moved.headers[HTTPField.Name("X-ArtifactStore-Stale")!] == nil)
                #expect(Array(moved.body.readableBytesView) == second)

                upstream.stop()
                clock.advance(seconds: 61)
                let stale = try await Self.get(client, reader, "/v2/hub/app/manifests/moving")
                #expect(stale.status == .ok)
                #expect(Array(stale.body.readableBytesView) == second)
                #expect(stale.headers[HTTPField.Name("X-ArtifactStore-Stale")!] == "true")
                #expect(stale.headers[HTTPField.Name("Warning")!]?.hasPrefix("110") == true)
                let byDigest = try await Self.get(client, reader, "/v2/hub/app/manifests/\(OCITest.digest(first))")
                #expect(byDigest.status == .ok, "a manifest by digest is served from the store without asking upstream")
                let absent = try await Self.get(client, reader, "/v2/hub/app/manifests/other")
                #expect(absent.status.code == 502)
                #expect(absent.ociErrorCode == "UNKNOWN")
                #expect(!String(buffer: absent.body).contains("Connection refused"), "no library error text in the answer")
                let blob = try await Self.get(client, reader, "/v2/hub/app/blobs/\(OCITest.digest(OCITest.bytes(12, seed: 8)))")
                #expect(blob.status.code == 502, "a blob never fetched, upstream down")
            }
        }
    }

    @Test("a corrupt upstream blob is refused and not stored, for the client that started the fetch and for those waiting on it")
    func corruptBlob() async throws {
        guard let upstream = try await DockerRegistryProcess.start() else { return }
        defer { upstream.remove() }
        let layer = OCITest.bytes(3_000_000, seed: 9)
        try await upstream.pushImage("library/app", tag: "v1", config: OCITest.bytes(400, seed: 10), layers: [layer])
        let digest = OCITest.digest(layer)
        let corrupt = Array(layer.dropLast()) + [layer[layer.count - 1] ^ 0xFF]
        try Data(corrupt).write(to: URL(fileURLWithPath: upstream.blobFile(digest)))
        try await ServerHarness.run { harness in
            let reader = try await harness.token([Grant(.read, namespace: "hub")])
            let before = try await harness.blobAndLinkCounts()
            try await harness.withClient(.live) { client in
                #expect(
                    try await Self.setProxy(client, harness.adminToken, "hub", #"{"upstream":"\#(upstream.url)","prefix":"library/"}"#)
                        .status == .ok
                )
                let port = try #require(client.port)
                await withTaskGroup(of: Bool.self) { group in
                    for _ in 0..<4 {
                        group.addTask {
                            // Any whole, successful answer would be a failure of the proxy.
                            await Self.pull(port: port, reader, "/v2/hub/app/blobs/\(digest)").map { $0.status == 200 } ?? false
                        }
                    }
                    for await served in group { #expect(!served) }
                }
                // The first client's transfer was cut, the others answered 502; a new pull is refused again.
                let after = await Self.pull(port: port, reader, "/v2/hub/app/blobs/\(digest)")
                #expect(after.map { $0.status != 200 && $0.body != corrupt } ?? true, "never the corrupt bytes as a success")
            }
            await #expect(throws: ControlPlaneError.self) {
                try await harness.controlPlane.registry.blob(namespace: "hub", digest: try #require(Digest(digest)))
            }
            #expect(try await harness.blobAndLinkCounts() == before, "no blob row, no link")
            #expect(!harness.storedFiles().contains { $0.hasSuffix(String(digest.dropFirst(7))) })
        }
    }

    @Test("8 concurrent pulls of one 8 MiB blob: every body right, one upstream fetch, one blob stored")
    func concurrentPulls() async throws {
        guard let upstream = try await DockerRegistryProcess.start() else { return }
        defer { upstream.remove() }
        let layer = OCITest.bytes(8 << 20, seed: 11)
        try await upstream.pushImage("library/big", tag: "v1", config: OCITest.bytes(300, seed: 12), layers: [layer])
        let digest = OCITest.digest(layer)
        try await ServerHarness.run { harness in
            let reader = try await harness.token([Grant(.read, namespace: "hub")])
            try await harness.withClient(.live) { client in
                #expect(
                    try await Self.setProxy(client, harness.adminToken, "hub", #"{"upstream":"\#(upstream.url)","prefix":"library/"}"#)
                        .status == .ok
                )
                let before = try await harness.blobAndLinkCounts()
                let port = try #require(client.port)
                await withTaskGroup(of: Bool.self) { group in
                    for _ in 0..<8 {
                        group.addTask {
                            let answer = await Self.pull(port: port, reader, "/v2/hub/big/blobs/\(digest)")
                            return answer.map { $0.status == 200 && OCITest.digest($0.body) == digest } ?? false
                        }
                    }
                    for await right in group { #expect(right) }
                }
                #expect(try upstream.servedGETs("/v2/library/big/blobs/\(digest)") == 1)
                let after = try await harness.blobAndLinkCounts()
                #expect(after.blobs == before.blobs + 1)
                #expect(after.links == before.links + 1)
            }
        }
    }
}
