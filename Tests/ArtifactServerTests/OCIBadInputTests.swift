import ArtifactControlPlane
import ArtifactMetadata
import ArtifactServer
import ArtifactStoreAPI
import ArtifactStoreTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SQLKit
import Testing

/// Every bad input of issue 8 gets the spec's error code and stores nothing.
@Suite("OCI bad input", .timeLimit(.minutes(10)))
struct OCIBadInputTests {
    /// Blob, link, version, upload-chunk and sha512-mapping rows, and stored objects: what "nothing stored" compares.
    static func stored(_ harness: ServerHarness) async throws -> [Int64] {
        let counts = try await harness.controlPlane.store.read { db in
            var counts: [Int64] = []
            for table in ["blobs", "links", "versions", "version_files", "tags", "oci_upload_chunks", "oci_manifests", "blob_digests"] {
                counts.append(
                    try await db.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()?.decode(column: "n", as: Int64.self) ?? -1
                )
            }
            return counts
        }
        return counts + [Int64(harness.storedFiles().count)]
    }

    static func setUp(_ harness: ServerHarness) async throws -> String {
        _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "test"))
        return try await harness.token([Grant(.write, namespace: "team")])
    }

    @Test(
        "wrong sha256 and sha512 digests, malformed ones and unknown algorithms on a monolithic upload (POST ?digest=, POST then PUT): DIGEST_INVALID, nothing stored"
    )
    func wrongDigests() async throws {
        try await ServerHarness.run { harness in
            let token = try await Self.setUp(harness)
            let content = OCITest.bytes(3000, seed: 1)
            let before = try await Self.stored(harness)
            try await harness.withClient { client in
                for (digest, code) in [
                    (OCITest.digest([1, 2, 3]), "DIGEST_INVALID"), ("sha512:" + String(repeating: "a", count: 128), "DIGEST_INVALID"),
                    (OCITest.sha512([1, 2, 3]), "DIGEST_INVALID"), ("sha512:" + String(repeating: "A", count: 128), "DIGEST_INVALID"),
                    ("sha512:" + String(repeating: "a", count: 127), "DIGEST_INVALID"),
                    ("sha384:" + String(repeating: "a", count: 96), "DIGEST_INVALID"),
                    ("md5:0123", "DIGEST_INVALID"), ("sha256:XYZ", "DIGEST_INVALID"),
                ] {
                    try await client.execute(
                        uri: "/v2/team/app/blobs/uploads/?digest=\(digest)",
                        method: .post,
                        headers: OCITest.headers(token),
                        body: ByteBuffer(bytes: content)
                    ) { response in
                        #expect(response.status == .badRequest, "\(digest)")
                        #expect(response.ociErrorCode == code, "\(digest)")
                    }
                }
                // POST then PUT with the whole body and a wrong digest: one ingest, nothing stored.
                let location = try await OCITest.startUpload(client, "team/app", token: token)
                try await client.execute(
                    uri: "\(location)?digest=\(OCITest.digest([7]))",
                    method: .put,
                    headers: OCITest.headers(token, [.contentLength: "\(content.count)"]),
                    body: ByteBuffer(bytes: content)
                ) { response in
                    #expect(response.status == .badRequest)
                    #expect(response.ociErrorCode == "DIGEST_INVALID")
                }
            }
            #expect(try await Self.stored(harness) == before)
        }
    }

    @Test("a closing PUT with the wrong digest: DIGEST_INVALID, nothing linked as the result, the session stays")
    func wrongDigestOnClose() async throws {
        try await ServerHarness.run { harness in
            let token = try await Self.setUp(harness)
            let content = OCITest.bytes(3000, seed: 2)
            try await harness.withClient { client in
                let location = try await OCITest.startUpload(client, "team/app", token: token)
                for part in [content[..<1000], content[1000...]] {
                    try await client.execute(uri: location, method: .patch, headers: OCITest.headers(token), body: ByteBuffer(bytes: part))
                    { response in
                        #expect(response.status == .accepted)
                    }
                }
                let before = try await Self.stored(harness)
                try await client.execute(
                    uri: "\(location)?digest=\(OCITest.digest([9]))",
                    method: .put,
                    headers: OCITest.headers(token, [.contentLength: "0"])
                ) { response in
                    #expect(response.status == .badRequest)
                    #expect(response.ociErrorCode == "DIGEST_INVALID")
                }
                #expect(try await Self.stored(harness) == before)
                try await client.execute(uri: location, method: .get, headers: OCITest.headers(token)) { response in
                    #expect(response.status == .noContent)
                    #expect(response.headers[OCITest.range] == "0-2999")
                }
            }
        }
    }

    @Test(
        "manifests: unknown blobs MANIFEST_BLOB_UNKNOWN, invalid JSON or media type MANIFEST_INVALID, too large 413, digest mismatch DIGEST_INVALID; nothing stored",
        arguments: TestDatabase.allCases
    )
    func badManifests(database: TestDatabase) async throws {
        try await ServerHarness.run(database) { harness in
            let token = try await Self.setUp(harness)
            let config = Array("{}".utf8)
            let missing = OCITest.manifest(config: config, layers: [OCITest.bytes(10, seed: 3)])
            try await harness.withClient { client in
                try await OCITest.pushBlob(client, "team/app", config, token: token)
                let before = try await Self.stored(harness)
                let manifestType = "application/vnd.oci.image.manifest.v1+json"
                let cases: [(String, [UInt8], String, HTTPResponse.Status, String)] = [
                    ("v1", missing, manifestType, .badRequest, "MANIFEST_BLOB_UNKNOWN"),
                    ("v1", Array("{not json".utf8), manifestType, .badRequest, "MANIFEST_INVALID"),
                    (
                        "v1", OCITest.manifest(config: config, layers: []), "application/vnd.example.unknown+json", .badRequest,
                        "MANIFEST_INVALID"
                    ),
                    (
                        "v1", Array(#"{"schemaVersion":2,"mediaType":"application/vnd.example+json"}"#.utf8), manifestType, .badRequest,
                        "MANIFEST_INVALID"
                    ),
                    ("v1", [UInt8](repeating: 0x20, count: 4 * 1024 * 1024 + 1), manifestType, .contentTooLarge, "MANIFEST_INVALID"),
                    (OCITest.digest([1]), OCITest.manifest(config: config, layers: []), manifestType, .badRequest, "DIGEST_INVALID"),
                    ("bad tag!", OCITest.manifest(config: config, layers: []), manifestType, .badRequest, "MANIFEST_INVALID"),
                ]
                for (reference, body, contentType, status, code) in cases {
                    let uriReference = reference.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? reference
                    try await client.execute(
                        uri: "/v2/team/app/manifests/\(uriReference)",
                        method: .put,
                        headers: OCITest.headers(token, [.contentType: contentType]),
                        body: ByteBuffer(bytes: body)
                    ) { response in
                        #expect(response.status == status, "\(code) \(String(buffer: response.body))")
                        #expect(response.ociErrorCode == code, "\(reference): \(String(buffer: response.body))")
                    }
                }
                #expect(try await Self.stored(harness) == before)
            }
        }
    }

    @Test("names outside the grammar: NAME_INVALID; unknown namespace: NAME_UNKNOWN; nothing stored")
    func badNames() async throws {
        try await ServerHarness.run { harness in
            let token = try await Self.setUp(harness)
            // A token whose grant names a namespace that does not exist may not create it (OCINamingPolicy).
            let scoped = try await harness.token([Grant(.write, namespace: "nope")])
            let before = try await Self.stored(harness)
            try await harness.withClient { client in
                for name in ["single", "Team/app", "team/a__b", "team/a--b", "team/.x"] {
                    try await client.execute(
                        uri: "/v2/\(name)/blobs/uploads/?digest=\(OCITest.digest([1]))",
                        method: .post,
                        headers: OCITest.headers(harness.adminToken),
                        body: ByteBuffer(bytes: [1])
                    ) { response in
                        #expect(response.status == .badRequest, "\(name)")
                        #expect(response.ociErrorCode == "NAME_INVALID", "\(name)")
                    }
                }
                try await client.execute(uri: "/v2/nope/app/blobs/uploads/", method: .post, headers: OCITest.headers(scoped)) { response in
                    #expect(response.status == .notFound)
                    #expect(response.ociErrorCode == "NAME_UNKNOWN")
                }
                _ = token
            }
            #expect(try await Self.stored(harness) == before)
        }
    }

    @Test(
        "a chunk past the offset: 416 with the Range held; an unknown upload id: BLOB_UPLOAD_UNKNOWN; nothing stored",
        arguments: TestDatabase.allCases
    )
    func badChunks(database: TestDatabase) async throws {
        try await ServerHarness.run(database) { harness in
            let token = try await Self.setUp(harness)
            try await harness.withClient { client in
                let location = try await OCITest.startUpload(client, "team/app", token: token)
                let before = try await Self.stored(harness)
                try await client.execute(
                    uri: location,
                    method: .patch,
                    headers: OCITest.headers(token, [.contentRange: "10-19", .contentLength: "10"]),
                    body: ByteBuffer(bytes: OCITest.bytes(10, seed: 1))
                ) { response in
                    #expect(response.status == .rangeNotSatisfiable)
                    #expect(response.headers[OCITest.range] == "0-0")
                    #expect(response.ociErrorCode == "RANGE_INVALID")
                }
                for method in [HTTPRequest.Method.get, .patch, .put, .delete] {
                    try await client.execute(
                        uri: "/v2/team/app/blobs/uploads/00000000-0000-0000-0000-000000000000?digest=\(OCITest.digest([1]))",
                        method: method,
                        headers: OCITest.headers(token),
                        body: ByteBuffer(bytes: [1])
                    ) { response in
                        #expect(response.status == .notFound, "\(method)")
                        #expect(response.ociErrorCode == "BLOB_UPLOAD_UNKNOWN", "\(method)")
                    }
                }
                #expect(try await Self.stored(harness) == before)
                // Cancelling works once, and audits.
                try await client.execute(uri: location, method: .delete, headers: OCITest.headers(token)) { response in
                    #expect(response.status == .noContent)
                }
                try await client.execute(uri: location, method: .get, headers: OCITest.headers(token)) { response in
                    #expect(response.ociErrorCode == "BLOB_UPLOAD_UNKNOWN")
                }
            }
            let actions = try await harness.controlPlane.audit.records(AuditFilter(namespace: "team"), page: PageRequest(limit: 100)).items
                .map(\.action)
            #expect(actions.contains("oci.upload.cancel"))
        }
    }
}
