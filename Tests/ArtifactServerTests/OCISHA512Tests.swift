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

/// Blobs named by `sha512:` over HTTP, on both databases: every upload path checks the bytes
/// against the SHA-512 and stores nothing on a mismatch; lookups by SHA-512 go through the
/// mapping and the namespace's links; manifests may reference SHA-512 blobs.
@Suite("OCI sha512 digests", .timeLimit(.minutes(10)))
struct OCISHA512Tests {
    /// The ways a blob reaches the registry (docs/oci.md, "Blob uploads").
    enum UploadPath: String, CaseIterable {
        case monolithic = "POST ?digest="
        case postThenPut = "POST then PUT with the body"
        case chunked = "PATCH, PATCH, PUT ?digest="
        case singlePatch = "one PATCH, PUT ?digest="
        case patchThenPutBody = "PATCH, PUT ?digest= with the last chunk"

        /// Whether chunks are held by a session before the digest is known.
        var patches: Bool { self != .monolithic && self != .postThenPut }
    }

    struct Answer {
        var status: HTTPResponse.Status
        var code: String?
        var digestHeader: String?
        var location: String?
    }

    /// Uploads `content` into `repository` by `path`, closing with `digest`. For the chunked
    /// paths, `beforeClose` runs after the PATCHes, before the closing PUT.
    static func upload(
        _ client: any TestClientProtocol,
        _ repository: String,
        _ path: UploadPath,
        _ content: [UInt8],
        digest: String,
        token: String,
        beforeClose: () async throws -> Void = {}
    ) async throws -> Answer {
        func answer(_ response: TestResponse) -> Answer {
            Answer(
                status: response.status,
                code: response.ociErrorCode,
                digestHeader: response.headers[OCITest.contentDigest],
                location: response.headers[OCITest.location]
            )
        }
        if path == .monolithic {
            return try await client.execute(
                uri: "/v2/\(repository)/blobs/uploads/?digest=\(digest)",
                method: .post,
                headers: OCITest.headers(token),
                body: ByteBuffer(bytes: content),
                testCallback: answer
            )
        }
        let location = try await OCITest.startUpload(client, repository, token: token)
        let half = content.count / 2
        let patches: [ArraySlice<UInt8>] =
            switch path {
            case .monolithic, .postThenPut: []
            case .chunked: [content[..<half], content[half...]]
            case .singlePatch: [content[...]]
            case .patchThenPutBody: [content[..<half]]
            }
        for part in patches {
            try await client.execute(uri: location, method: .patch, headers: OCITest.headers(token), body: ByteBuffer(bytes: part)) {
                response in
                #expect(response.status == .accepted)
            }
        }
        try await beforeClose()
        let last: [UInt8] =
            switch path {
            case .postThenPut: content
            case .patchThenPutBody: Array(content[half...])
            default: []
            }
        return try await client.execute(
            uri: "\(location)?digest=\(digest)",
            method: .put,
            headers: OCITest.headers(token, [.contentLength: "\(last.count)"]),
            body: ByteBuffer(bytes: last),
            testCallback: answer
        )
    }

    static func count(_ harness: ServerHarness, _ table: String) async throws -> Int64 {
        try await harness.controlPlane.store.read { db in
            try await db.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first()?.decode(column: "n", as: Int64.self) ?? -1
        }
    }

    @Test(
        "every upload path with a good sha512 digest: 201 naming the sha512; HEAD and GET by sha512 and by sha256",
        arguments: TestDatabase.allCases
    )
    func goodDigest(database: TestDatabase) async throws {
        try await ServerHarness.run(database) { harness in
            let token = try await OCIBadInputTests.setUp(harness)
            try await harness.withClient { client in
                for (index, path) in UploadPath.allCases.enumerated() {
                    let content = OCITest.bytes(9000 + index, seed: UInt8(40 + index))
                    let digest = OCITest.sha512(content)
                    let answer = try await Self.upload(client, "team/app", path, content, digest: digest, token: token)
                    #expect(answer.status == .created, "\(path.rawValue): \(answer.code ?? "")")
                    #expect(answer.digestHeader == digest, "\(path.rawValue)")
                    #expect(answer.location == "/v2/team/app/blobs/\(digest)", "\(path.rawValue)")
                    try await client.execute(uri: "/v2/team/app/blobs/\(digest)", method: .head, headers: OCITest.headers(token)) {
                        response in
                        #expect(response.status == .ok, "\(path.rawValue)")
                        #expect(response.headers[OCITest.contentDigest] == digest)
                        #expect(response.headers[.contentLength] == "\(content.count)")
                    }
                    for name in [digest, OCITest.digest(content)] {
                        try await client.execute(uri: "/v2/team/app/blobs/\(name)", method: .get, headers: OCITest.headers(token)) {
                            response in
                            #expect(response.status == .ok, "\(path.rawValue) \(name)")
                            #expect(response.headers[OCITest.contentDigest] == name)
                            #expect(Array(response.body.readableBytesView) == content, "\(path.rawValue) \(name)")
                        }
                    }
                    try await client.execute(
                        uri: "/v2/team/app/blobs/\(digest)",
                        method: .get,
                        headers: OCITest.headers(token, [.range: "bytes=10-19"])
                    ) { response in
                        #expect(response.status == .partialContent)
                        #expect(Array(response.body.readableBytesView) == Array(content[10..<20]))
                    }
                }
                // The same bytes again by sha512: deduplicated, still one mapping row each.
                let again = OCITest.bytes(9000, seed: 40)
                let answer = try await Self.upload(client, "team/app", .monolithic, again, digest: OCITest.sha512(again), token: token)
                #expect(answer.status == .created)
            }
            #expect(try await Self.count(harness, "blob_digests") == Int64(UploadPath.allCases.count))
            let mapped = try await harness.controlPlane.store.read { db in
                try await db.raw("SELECT algorithm, digest FROM blob_digests").all().map {
                    (try $0.decode(column: "algorithm", as: String.self), try $0.decode(column: "digest", as: String.self))
                }
            }
            #expect(mapped.allSatisfy { $0.0 == "sha512" && $0.1.hasPrefix("sha512:") && $0.1.count == 135 })
        }
    }

    @Test(
        "every upload path with a wrong sha512 digest: 400 DIGEST_INVALID; no blob, link, object or mapping from the close",
        arguments: TestDatabase.allCases
    )
    func wrongDigest(database: TestDatabase) async throws {
        try await ServerHarness.run(database) { harness in
            let token = try await OCIBadInputTests.setUp(harness)
            try await harness.withClient { client in
                for (index, path) in UploadPath.allCases.enumerated() {
                    let content = OCITest.bytes(7000 + index, seed: UInt8(60 + index))
                    let wrong = OCITest.sha512(content + [0])
                    var before = try await OCIBadInputTests.stored(harness)
                    let answer = try await Self.upload(client, "team/app", path, content, digest: wrong, token: token) {
                        // Chunks are held by their session before the digest is known; the close must add nothing.
                        before = try await OCIBadInputTests.stored(harness)
                    }
                    #expect(answer.status == .badRequest, "\(path.rawValue)")
                    #expect(answer.code == "DIGEST_INVALID", "\(path.rawValue)")
                    #expect(try await OCIBadInputTests.stored(harness) == before, "\(path.rawValue)")
                    for name in [wrong, OCITest.sha512(content), OCITest.digest(content)] {
                        try await client.execute(uri: "/v2/team/app/blobs/\(name)", method: .head, headers: OCITest.headers(token)) {
                            response in
                            #expect(response.status == .notFound, "\(path.rawValue) \(name)")
                        }
                    }
                }
            }
            #expect(try await Self.count(harness, "blob_digests") == 0)
            #expect(try await Self.count(harness, "links") == 0)
        }
    }

    @Test(
        "a sha512 lookup sees only the namespace's links: BLOB_UNKNOWN elsewhere until mounted by sha512",
        arguments: TestDatabase.allCases
    )
    func tenancy(database: TestDatabase) async throws {
        try await ServerHarness.run(database) { harness in
            let context = RequestContext(actor: "test")
            _ = try await harness.controlPlane.registry.createNamespace("team", context: context)
            _ = try await harness.controlPlane.registry.createNamespace("other", context: context)
            let token = try await harness.token([Grant(.write, namespace: "team"), Grant(.write, namespace: "other")])
            let otherOnly = try await harness.token([Grant(.write, namespace: "other")])
            let content = OCITest.bytes(5000, seed: 90)
            let digest = OCITest.sha512(content)
            try await harness.withClient { client in
                #expect(try await Self.upload(client, "team/app", .monolithic, content, digest: digest, token: token).status == .created)
                for name in [digest, OCITest.digest(content)] {
                    try await client.execute(uri: "/v2/other/app/blobs/\(name)", method: .get, headers: OCITest.headers(token)) {
                        response in
                        #expect(response.status == .notFound)
                        #expect(response.ociErrorCode == "BLOB_UNKNOWN")
                    }
                }
                // A mount from a repository the caller may not read is an ordinary upload session.
                try await client.execute(
                    uri: "/v2/other/app/blobs/uploads/?mount=\(digest)&from=team/app",
                    method: .post,
                    headers: OCITest.headers(otherOnly)
                ) { response in
                    #expect(response.status == .accepted)
                }
                try await client.execute(uri: "/v2/other/app/blobs/\(digest)", method: .head, headers: OCITest.headers(token)) { response in
                    #expect(response.status == .notFound)
                }
                try await client.execute(
                    uri: "/v2/other/app/blobs/uploads/?mount=\(digest)&from=team/app",
                    method: .post,
                    headers: OCITest.headers(token)
                ) { response in
                    #expect(response.status == .created)
                    #expect(response.headers[OCITest.contentDigest] == digest)
                    #expect(response.headers[OCITest.location] == "/v2/other/app/blobs/\(digest)")
                }
                try await client.execute(uri: "/v2/other/app/blobs/\(digest)", method: .get, headers: OCITest.headers(token)) { response in
                    #expect(response.status == .ok)
                    #expect(Array(response.body.readableBytesView) == content)
                }
            }
        }
    }

    @Test(
        "a manifest referencing a sha512 layer validates and is served; an unknown sha512 layer is MANIFEST_BLOB_UNKNOWN; sha512 subjects are UNSUPPORTED",
        arguments: TestDatabase.allCases
    )
    func manifestWithSHA512Layer(database: TestDatabase) async throws {
        try await ServerHarness.run(database) { harness in
            let token = try await OCIBadInputTests.setUp(harness)
            let config = Array("{}".utf8)
            let layer = OCITest.bytes(6000, seed: 91)
            let manifest = Self.manifest(config: config, layer: layer)
            try await harness.withClient { client in
                try await OCITest.pushBlob(client, "team/app", config, token: token)
                let unknown = manifest(OCITest.sha512(layer), nil)
                let before = try await OCIBadInputTests.stored(harness)
                try await client.execute(
                    uri: "/v2/team/app/manifests/v1",
                    method: .put,
                    headers: OCITest.headers(token, [.contentType: "application/vnd.oci.image.manifest.v1+json"]),
                    body: ByteBuffer(bytes: unknown)
                ) { response in
                    #expect(response.status == .badRequest)
                    #expect(response.ociErrorCode == "MANIFEST_BLOB_UNKNOWN")
                }
                #expect(try await OCIBadInputTests.stored(harness) == before)

                #expect(
                    try await Self.upload(client, "team/app", .monolithic, layer, digest: OCITest.sha512(layer), token: token).status
                        == .created
                )
                let bytes = manifest(OCITest.sha512(layer), nil)
                let digest = try await OCITest.pushManifest(client, "team/app", "v1", bytes, token: token)
                try await client.execute(uri: "/v2/team/app/manifests/v1", method: .get, headers: OCITest.headers(token)) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[OCITest.contentDigest] == digest)
                    #expect(Array(response.body.readableBytesView) == bytes)
                }
                // A subject named by sha512 is refused; nothing stored.
                let withSubject = manifest(OCITest.sha512(layer), OCITest.sha512(bytes))
                let beforeSubject = try await OCIBadInputTests.stored(harness)
                try await client.execute(
                    uri: "/v2/team/app/manifests/v2",
                    method: .put,
                    headers: OCITest.headers(token, [.contentType: "application/vnd.oci.image.manifest.v1+json"]),
                    body: ByteBuffer(bytes: withSubject)
                ) { response in
                    #expect(response.status == .badRequest)
                    #expect(response.ociErrorCode == "UNSUPPORTED")
                }
                #expect(try await OCIBadInputTests.stored(harness) == beforeSubject)
            }
        }
    }

    @Test(
        "manifests by a sha512 reference: PUT checks the bytes (a wrong one stores nothing), GET/HEAD/DELETE resolve it in that repository only; headers name the sha512",
        arguments: TestDatabase.allCases
    )
    func manifestBySHA512(database: TestDatabase) async throws {
        try await ServerHarness.run(database) { harness in
            let token = try await OCIBadInputTests.setUp(harness)
            let config = Array("{}".utf8)
            let layer = OCITest.bytes(4000, seed: 92)
            let bytes = Self.manifest(config: config, layer: layer)(OCITest.digest(layer), nil)
            let sha512 = OCITest.sha512(bytes)
            let manifestType = "application/vnd.oci.image.manifest.v1+json"
            try await harness.withClient { client in
                try await OCITest.pushBlob(client, "team/app", config, token: token)
                try await OCITest.pushBlob(client, "team/app", layer, token: token)
                let before = try await OCIBadInputTests.stored(harness)
                for wrong in [OCITest.sha512(bytes + [0x20]), "sha512:" + String(repeating: "A", count: 128)] {
                    try await client.execute(
                        uri: "/v2/team/app/manifests/\(wrong)",
                        method: .put,
                        headers: OCITest.headers(token, [.contentType: manifestType]),
                        body: ByteBuffer(bytes: bytes)
                    ) { response in
                        #expect(response.status == .badRequest)
                        #expect(response.ociErrorCode == "DIGEST_INVALID")
                    }
                }
                #expect(try await OCIBadInputTests.stored(harness) == before)
                try await client.execute(
                    uri: "/v2/team/app/manifests/\(sha512)",
                    method: .put,
                    headers: OCITest.headers(token, [.contentType: manifestType]),
                    body: ByteBuffer(bytes: bytes)
                ) { response in
                    #expect(response.status == .created, "\(String(buffer: response.body))")
                    #expect(response.headers[OCITest.contentDigest] == sha512)
                    #expect(response.headers[OCITest.location] == "/v2/team/app/manifests/\(sha512)")
                }
                for method in [HTTPRequest.Method.get, .head] {
                    try await client.execute(uri: "/v2/team/app/manifests/\(sha512)", method: method, headers: OCITest.headers(token)) {
                        response in
                        #expect(response.status == .ok, "\(method)")
                        #expect(response.headers[OCITest.contentDigest] == sha512)
                        #expect(response.headers[.contentType] == manifestType)
                        if method == .get { #expect(Array(response.body.readableBytesView) == bytes) }
                    }
                }
                try await client.execute(
                    uri: "/v2/team/app/manifests/\(OCITest.digest(bytes))",
                    method: .get,
                    headers: OCITest.headers(token)
                ) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[OCITest.contentDigest] == OCITest.digest(bytes))
                }
                // A manifest pushed by tag is found by its sha512 too.
                let tagged = Self.manifest(config: config, layer: layer)(OCITest.digest(layer), OCITest.digest(bytes))
                try await OCITest.pushManifest(client, "team/app", "t1", tagged, token: token)
                try await client.execute(
                    uri: "/v2/team/app/manifests/\(OCITest.sha512(tagged))",
                    method: .get,
                    headers: OCITest.headers(token)
                ) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[OCITest.contentDigest] == OCITest.sha512(tagged))
                    #expect(Array(response.body.readableBytesView) == tagged)
                }
                // Another repository of the namespace sees the bytes' blob, not the manifest.
                try await client.execute(uri: "/v2/team/other/manifests/\(sha512)", method: .get, headers: OCITest.headers(token)) {
                    response in
                    #expect(response.status == .notFound)
                    #expect(response.ociErrorCode == "MANIFEST_UNKNOWN")
                }
                try await client.execute(uri: "/v2/team/app/manifests/\(sha512)", method: .delete, headers: OCITest.headers(token)) {
                    response in
                    #expect(response.status == .accepted)
                }
                for name in [sha512, OCITest.digest(bytes)] {
                    try await client.execute(uri: "/v2/team/app/manifests/\(name)", method: .get, headers: OCITest.headers(token)) {
                        response in
                        #expect(response.status == .notFound)
                        #expect(response.ociErrorCode == "MANIFEST_UNKNOWN")
                    }
                }
                try await client.execute(uri: "/v2/team/app/manifests/\(sha512)", method: .delete, headers: OCITest.headers(token)) {
                    response in
                    #expect(response.status == .notFound)
                    #expect(response.ociErrorCode == "MANIFEST_UNKNOWN")
                }
            }
        }
    }

    /// An image manifest over `config` (by sha256) and `layer` named by the given digest, with an optional subject digest.
    static func manifest(config: [UInt8], layer: [UInt8]) -> @Sendable (String, String?) -> [UInt8] {
        { layerDigest, subject in
            let subjectText =
                subject.map { #","subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#($0)","size":10}"# } ?? ""
            return Array(
                """
                {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",\
                "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\(OCITest.digest(config))","size":\(config.count)},\
                "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\(layerDigest)","size":\(layer.count)}]\(subjectText)}
                """.utf8
            )
        }
    }
}
