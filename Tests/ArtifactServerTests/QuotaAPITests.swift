import ArtifactControlPlane
import ArtifactIdentity
import ArtifactStoreAPI
import ArtifactStoreTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import ArtifactServer

/// Namespace quotas over HTTP: the settings body, `quotaExceeded` (413) on `/v1`, `DENIED` (403)
/// on `/v2`, the usage route and the per-namespace gauges of `/metrics`.
@Suite("Namespace quotas over HTTP", .timeLimit(.minutes(5)))
struct QuotaAPITests {
    static func bytes(_ count: Int, seed: UInt8) -> ByteBuffer {
        ByteBuffer(bytes: [UInt8](count: count) { UInt8(truncatingIfNeeded: $0 &* 29 &+ Int(seed)) })
    }

    @Test(
        "/v1: the quota is set and removed through PUT settings; a blob or version past it gets 413 quotaExceeded and is not stored",
        arguments: TestDatabase.allCases
    )
    func v1(database: TestDatabase) async throws {
        try await ServerHarness.run(database) { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "t"))
            let admin = harness.adminToken
            try await harness.withClient { client in
                let settings = "/v1/namespaces/team/settings"
                for (text, code) in [(#"{"quotaBytes":"10GiB"}"#, "badRequest"), (#"{"quotaBytes":-1}"#, "invalidQuota")] {
                    let (headers, body) = TestRequest.json(admin, text)
                    try await client.execute(uri: settings, method: .put, headers: headers, body: body) { response in
                        #expect(response.status == .badRequest, "\(text)")
                        #expect(response.errorCode() == code, "\(text)")
                    }
                }
                #expect(try await harness.controlPlane.registry.namespace("team").quotaBytes == nil)
                let (setHeaders, setBody) = TestRequest.json(admin, #"{"quotaBytes":6000}"#)
                try await client.execute(uri: settings, method: .put, headers: setHeaders, body: setBody) { response in
                    #expect(response.status == .ok)
                    #expect(response.json()["quotaBytes"] as? Int == 6000)
                }
                let auth = TestRequest.bearer(admin)
                let address = try await client.execute(
                    uri: "/v1/namespaces/team/blobs",
                    method: .post,
                    headers: auth,
                    body: Self.bytes(5000, seed: 1)
                ) { response in
                    try #require(response.json()["address"] as? String)
                }
                let filesBefore = harness.storedFiles()
                try await client.execute(uri: "/v1/namespaces/team/blobs", method: .post, headers: auth, body: Self.bytes(2000, seed: 2)) {
                    response in
                    #expect(response.status == .contentTooLarge)
                    #expect(response.errorCode() == "quotaExceeded")
                    let message = (response.json()["error"] as? [String: Any])?["message"] as? String ?? ""
                    #expect(
                        message.contains("namespace \"team\", which has a quota of 5.9 KiB and uses 0 B referenced, 4.9 KiB stored"),
                        "\(message)"
                    )
                }
                #expect(harness.storedFiles() == filesBefore)
                let base = "/v1/namespaces/team/artifacts/app/versions"
                let twice = #"{"files":[{"path":"a","address":"\#(address)"},{"path":"b","address":"\#(address)"}]}"#
                let (twiceHeaders, twiceBody) = TestRequest.json(admin, twice)
                try await client.execute(uri: "\(base)/1", method: .put, headers: twiceHeaders, body: twiceBody) { response in
                    #expect(response.status == .contentTooLarge)
                    #expect(response.errorCode() == "quotaExceeded")
                }
                let once = #"{"files":[{"path":"a","address":"\#(address)"}]}"#
                let (onceHeaders, onceBody) = TestRequest.json(admin, once)
                try await client.execute(uri: "\(base)/1", method: .put, headers: onceHeaders, body: onceBody) {
                    #expect($0.status == .created)
                }
                try await client.execute(uri: "/v1/namespaces/team/usage", method: .get, headers: auth) { response in
                    let usage = response.json()
                    #expect(usage["objects"] as? Int == 1)
                    #expect(usage["files"] as? Int == 1)
                    #expect(usage["bytesReferenced"] as? Int == 5000)
                    #expect(usage["bytesStored"] as? Int == 5000)
                    #expect(usage["quotaBytes"] as? Int == 6000)
                }
                try await client.execute(uri: "/metrics", method: .get) { response in
                    let text = String(buffer: response.body)
                    for line in [
                        "# TYPE artifactstore_namespace_quota_bytes gauge", "artifactstore_namespace_quota_bytes{namespace=\"team\"} 6000",
                        "# HELP artifactstore_namespace_referenced_bytes ",
                        "artifactstore_namespace_referenced_bytes{namespace=\"team\"} 5000",
                        "artifactstore_namespace_stored_bytes{namespace=\"team\"} 5000",
                        "artifactstore_namespace_objects{namespace=\"team\"} 1",
                        "artifactstore_namespace_files{namespace=\"team\"} 1",
                    ] {
                        #expect(text.contains(line), "\(line)")
                    }
                }
                let (offHeaders, offBody) = TestRequest.json(admin, #"{"quotaBytes":null}"#)
                try await client.execute(uri: settings, method: .put, headers: offHeaders, body: offBody) { response in
                    #expect(response.status == .ok)
                    #expect(response.json()["quotaBytes"] == nil)
                }
                try await client.execute(uri: "\(base)/2", method: .put, headers: twiceHeaders, body: twiceBody) {
                    #expect($0.status == .created)
                }
            }
        }
    }

    @Test(
        "/v2: a blob upload or a manifest past the quota gets 403 DENIED naming the namespace, its quota and usage",
        arguments: TestDatabase.allCases
    )
    func oci(database: TestDatabase) async throws {
        try await ServerHarness.run(database) { harness in
            let token = try await OCIDistributionAPITests.setUp(harness)
            let registry = harness.controlPlane.registry
            _ = try await registry.setQuota("team", 4000, context: RequestContext(actor: "t"))
            let layer = OCITest.bytes(3000, seed: 1)
            let config = OCITest.bytes(100, seed: 2)
            try await harness.withClient { client in
                try await OCITest.pushBlob(client, "team/app", layer, token: token)
                try await OCITest.pushBlob(client, "team/app", config, token: token)
                let big = OCITest.bytes(2000, seed: 3)
                try await client.execute(
                    uri: "/v2/team/app/blobs/uploads/?digest=\(OCITest.digest(big))",
                    method: .post,
                    headers: OCITest.headers(token),
                    body: ByteBuffer(bytes: big)
                ) { response in
                    #expect(response.status == .forbidden)
                    #expect(response.ociErrorCode == "DENIED")
                    let message = String(buffer: response.body)
                    #expect(message.contains("namespace \\\"team\\\", which has a quota of 3.9 KiB"), "\(message)")
                }
                // A chunked upload: each chunk must fit the room left less what the session holds.
                let location = try await OCITest.startUpload(client, "team/app", token: token)
                let chunks = OCITest.bytes(1200, seed: 4)
                for (start, end, status) in [(0, 599, HTTPResponse.Status.accepted), (600, 1199, .forbidden)] {
                    try await client.execute(
                        uri: location,
                        method: .patch,
                        headers: OCITest.headers(token, [.contentRange: "\(start)-\(end)", .contentLength: "\(end - start + 1)"]),
                        body: ByteBuffer(bytes: chunks[start...end])
                    ) { response in
                        #expect(response.status == status, "\(String(buffer: response.body))")
                        if status == .forbidden { #expect(response.ociErrorCode == "DENIED") }
                    }
                }
                // Lowered below what the manifest needs: its put is denied and nothing is committed.
                _ = try await registry.setQuota("team", 3200, context: RequestContext(actor: "t"))
                let manifest = OCITest.manifest(config: config, layers: [layer])
                try await client.execute(
                    uri: "/v2/team/app/manifests/1",
                    method: .put,
                    headers: OCITest.headers(token, [.contentType: "application/vnd.oci.image.manifest.v1+json"]),
                    body: ByteBuffer(bytes: manifest)
                ) { response in
                    #expect(response.status == .forbidden)
                    #expect(response.ociErrorCode == "DENIED")
                    #expect(String(buffer: response.body).contains("quota"))
                }
                try await client.execute(uri: "/v2/team/app/manifests/1", method: .get, headers: OCITest.headers(token)) { response in
                    #expect(response.status == .notFound)
                }
                _ = try await registry.setQuota("team", 10_000, context: RequestContext(actor: "t"))
                _ = try await OCITest.pushManifest(client, "team/app", "1", manifest, token: token)
                let usage = try await registry.usage(namespace: "team")
                #expect(usage.bytesReferenced == Int64(3100 + manifest.count))
                var recounted = try await registry.recountUsage(namespace: "team")
                recounted.quotaBytes = usage.quotaBytes
                #expect(usage == recounted)
            }
        }
    }
}

@Suite("Namespace usage gauges", .timeLimit(.minutes(5)))
struct NamespaceUsageGaugesTests {
    @Test("rendered from the counter rows and kept for the maximum age (an injected instant), then read again")
    func cached() async throws {
        try await ServerHarness.run { harness in
            let registry = harness.controlPlane.registry
            _ = try await registry.createNamespace("one", context: RequestContext(actor: "t"))
            let gauges = NamespaceUsageGauges(maximumAge: .seconds(15))
            let start = ContinuousClock.now
            let first = await gauges.exposition(registry, now: start)
            #expect(first.contains("artifactstore_namespace_objects{namespace=\"one\"} 0"))
            #expect(!first.contains("artifactstore_namespace_quota_bytes{"))
            _ = try await registry.createNamespace("two", context: RequestContext(actor: "t"))
            _ = try await registry.setQuota("two", 1 << 20, context: RequestContext(actor: "t"))
            #expect(await gauges.exposition(registry, now: start.advanced(by: .seconds(14))) == first)
            let later = await gauges.exposition(registry, now: start.advanced(by: .seconds(15)))
            #expect(later.contains("artifactstore_namespace_quota_bytes{namespace=\"two\"} 1048576"))
            #expect(later.contains("artifactstore_namespace_files{namespace=\"two\"} 0"))
        }
    }

    @Test("label values are escaped as the text format wants")
    func escaping() {
        #expect(NamespaceUsageGauges.escape("a\"b\\c\nd") == "a\\\"b\\\\c\\nd")
    }
}
