import ArtifactControlPlane
import ArtifactIdentity
import ArtifactStoreAPI
import ArtifactStoreTestSupport
import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import ArtifactServer

/// A namespace at its quota takes what adds nothing to its usage (a blob it already links,
/// pushed again under a digest the ingest checks; a manifest already committed, under any tag)
/// and refuses everything that adds (new bytes, a new version: its files add to the bytes
/// referenced), storing nothing; usage stays equal to a recount.
@Suite("Namespace quotas at their limit", .timeLimit(.minutes(5)))
struct QuotaAtLimitTests {
    static func expectUsage(
        _ harness: ServerHarness,
        _ expected: NamespaceUsage,
        sourceLocation: SourceLocation = #_sourceLocation
    )
        async throws
    {
        let usage = try await harness.controlPlane.registry.usage(namespace: "team")
        #expect(usage == expected, "usage changed", sourceLocation: sourceLocation)
        var recounted = try await harness.controlPlane.registry.recountUsage(namespace: "team")
        recounted.quotaBytes = usage.quotaBytes
        #expect(usage == recounted, "usage differs from a recount", sourceLocation: sourceLocation)
    }

    @Test(
        "/v1: at its quota a namespace takes a blob it links again by its digest, and refuses new bytes and versions",
        arguments: TestDatabase.allCases
    )
    func v1(database: TestDatabase) async throws {
        try await ServerHarness.run(database) { harness in
            let registry = harness.controlPlane.registry
            _ = try await registry.createNamespace("team", context: RequestContext(actor: "t"))
            let admin = harness.adminToken
            let auth = TestRequest.bearer(admin)
            let layer = OCITest.bytes(5000, seed: 1)
            let sha256 = OCITest.digest(layer)
            try await harness.withClient { client in
                let address = try await client.execute(
                    uri: "/v1/namespaces/team/blobs",
                    method: .post,
                    headers: auth,
                    body: ByteBuffer(bytes: layer)
                ) { response in
                    try #require(response.json()["address"] as? String)
                }
                let base = "/v1/namespaces/team/artifacts/app/versions"
                let once = #"{"files":[{"path":"a","address":"\#(address)"}]}"#
                let (headers, body) = TestRequest.json(admin, once)
                try await client.execute(uri: "\(base)/1", method: .put, headers: headers, body: body) { #expect($0.status == .created) }
                // Exactly at the limit: 5000 bytes referenced and stored.
                _ = try await registry.setQuota("team", 5000, context: RequestContext(actor: "t"))
                let atLimit = try await registry.usage(namespace: "team")
                #expect(atLimit.bytesReferenced == 5000 && atLimit.bytesStored == 5000)
                let files = harness.storedFiles()

                for digest in [address, sha256] {
                    try await client.execute(
                        uri: "/v1/namespaces/team/blobs?digest=\(digest)",
                        method: .post,
                        headers: auth,
                        body: ByteBuffer(bytes: layer)
                    ) { response in
                        #expect(response.status == .created, "\(digest): \(String(buffer: response.body))")
                        #expect(response.json()["deduplicated"] as? Bool == true)
                    }
                }
                try await Self.expectUsage(harness, atLimit)

                // Refused, nothing stored: new bytes (declared or not), the same bytes without a
                // digest (their address is known only once read), bytes that are not the blob they name.
                let other = OCITest.bytes(100, seed: 2)
                for (uri, bytes, code) in [
                    ("/v1/namespaces/team/blobs?digest=\(OCITest.digest(other))", other, "quotaExceeded"),
                    ("/v1/namespaces/team/blobs", other, "quotaExceeded"),
                    ("/v1/namespaces/team/blobs", layer, "quotaExceeded"),
                    ("/v1/namespaces/team/blobs?digest=\(address)", OCITest.bytes(5000, seed: 9), "digestMismatch"),
                    ("/v1/namespaces/team/blobs?digest=\(address)", other, "quotaExceeded"),
                    ("/v1/namespaces/team/blobs?digest=\(address)", layer + other, "quotaExceeded"),
                ] {
                    try await client.execute(uri: uri, method: .post, headers: auth, body: ByteBuffer(bytes: bytes)) { response in
                        #expect(response.errorCode() == code, "\(uri) with \(bytes.count) bytes: \(String(buffer: response.body))")
                    }
                }
                #expect(harness.storedFiles() == files)
                try await Self.expectUsage(harness, atLimit)

                // A new version of blobs already counted still adds its files to the bytes referenced.
                try await client.execute(uri: "\(base)/2", method: .put, headers: headers, body: ByteBuffer(string: once)) { response in
                    #expect(response.status == .contentTooLarge)
                    #expect(response.errorCode() == "quotaExceeded")
                }
                try await client.execute(uri: "\(base)/1", method: .put, headers: headers, body: ByteBuffer(string: once)) { response in
                    #expect(response.errorCode() == "versionExists")
                }
                try await Self.expectUsage(harness, atLimit)
            }
        }
    }

    @Test(
        "/v2: at its quota a namespace takes its blobs and manifests pushed again, under any tag, and denies new ones",
        arguments: TestDatabase.allCases
    )
    func oci(database: TestDatabase) async throws {
        try await ServerHarness.run(database) { harness in
            let token = try await OCIDistributionAPITests.setUp(harness)
            let registry = harness.controlPlane.registry
            let layer = OCITest.bytes(3000, seed: 1)
            let config = OCITest.bytes(100, seed: 2)
            let manifest = OCITest.manifest(config: config, layers: [layer])
            try await harness.withClient { client in
                try await OCITest.pushBlob(client, "team/app", layer, token: token)
                try await OCITest.pushBlob(client, "team/app", config, token: token)
                try await OCITest.pushManifest(client, "team/app", "1", manifest, token: token)
                let pushed = try await registry.usage(namespace: "team")
                _ = try await registry.setQuota(
                    "team",
                    max(pushed.bytesReferenced, pushed.bytesStored),
                    context: RequestContext(actor: "t")
                )
                let atLimit = try await registry.usage(namespace: "team")
                let files = harness.storedFiles()

                // What the namespace holds, pushed again (as a client that does not ask first does).
                try await OCITest.pushBlob(client, "team/app", layer, token: token)
                try await OCITest.pushBlob(client, "team/app", config, token: token)
                try await OCITest.pushManifest(client, "team/app", "1", manifest, token: token)
                try await OCITest.pushManifest(client, "team/app", "latest", manifest, token: token)
                try await client.execute(uri: "/v2/team/app/manifests/latest", method: .get, headers: OCITest.headers(token)) { response in
                    #expect(response.status == .ok && Array(response.body.readableBytesView) == manifest)
                }
                #expect(harness.storedFiles() == files)
                try await Self.expectUsage(harness, atLimit)

                // What would add: a new layer, a new manifest of the same layers. Denied, nothing stored.
                let new = OCITest.bytes(10, seed: 3)
                let other = OCITest.manifest(config: config, layers: [layer], annotations: ["build": "2"])
                for (uri, bytes, contentType) in [
                    ("/v2/team/app/blobs/uploads/?digest=\(OCITest.digest(new))", new, "application/octet-stream"),
                    ("/v2/team/app/manifests/2", other, "application/vnd.oci.image.manifest.v1+json"),
                ] {
                    try await client.execute(
                        uri: uri,
                        method: uri.contains("uploads") ? .post : .put,
                        headers: OCITest.headers(token, [.contentType: contentType]),
                        body: ByteBuffer(bytes: bytes)
                    ) { response in
                        #expect(response.status == .forbidden, "\(uri): \(String(buffer: response.body))")
                        #expect(response.ociErrorCode == "DENIED")
                        #expect(String(buffer: response.body).contains("quota"))
                    }
                }
                try await client.execute(uri: "/v2/team/app/manifests/2", method: .get, headers: OCITest.headers(token)) { response in
                    #expect(response.status == .notFound)
                }
                #expect(harness.storedFiles() == files)
                try await Self.expectUsage(harness, atLimit)
            }
        }
    }
}
