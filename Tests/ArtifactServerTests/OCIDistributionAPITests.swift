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

/// Every `/v2` endpoint's happy path through the router, with the spec's headers.
@Suite("OCI distribution API", .timeLimit(.minutes(10)))
struct OCIDistributionAPITests {
    static let repository = "team/app"

    static func setUp(_ harness: ServerHarness, namespaces: [String] = ["team"]) async throws -> String {
        for namespace in namespaces {
            _ = try await harness.controlPlane.registry.createNamespace(namespace, context: RequestContext(actor: "test"))
        }
        return try await harness.token(namespaces.map { Grant(.write, namespace: $0) })
    }

    @Test("ociUploadExpiry: 24 h by default, ARTIFACTSTORE_OCI_UPLOAD_EXPIRY sets it, 0 is refused")
    func uploadExpirySetting() async throws {
        #expect(try await ServerConfiguration.load(environment: [:]).ociUploadExpiry == .seconds(86400))
        #expect(
            try await ServerConfiguration.load(environment: ["ARTIFACTSTORE_OCI_UPLOAD_EXPIRY": "600"]).ociUploadExpiry == .seconds(600)
        )
        await #expect(throws: ServerConfigurationError.self) {
            try await ServerConfiguration.load(environment: ["ARTIFACTSTORE_OCI_UPLOAD_EXPIRY": "0"])
        }
    }

    @Test("/v2/: 401 with a Basic challenge and UNAUTHORIZED without a token; 200 with Bearer or Basic")
    func versionCheck() async throws {
        try await ServerHarness.run { harness in
            let token = try await Self.setUp(harness)
            try await harness.withClient { client in
                try await client.execute(uri: "/v2/", method: .get) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.headers[.wwwAuthenticate] == #"Basic realm="artifactstore""#)
                    #expect(response.ociErrorCode == "UNAUTHORIZED")
                }
                try await client.execute(uri: "/v2/", method: .get, headers: OCITest.headers(token)) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[OCITest.apiVersion] == "registry/2.0")
                }
                let basic = Data("anyone:\(token)".utf8).base64EncodedString()
                try await client.execute(uri: "/v2", method: .get, headers: [.authorization: "Basic \(basic)"]) { response in
                    #expect(response.status == .ok)
                }
                try await client.execute(
                    uri: "/v2/",
                    method: .get,
                    headers: [.authorization: "Basic \(Data("x:wrong".utf8).base64EncodedString())"]
                ) { response in
                    #expect(response.status == .unauthorized)
                }
            }
        }
    }

    @Test("monolithic upload (POST ?digest=, and POST then PUT with the body); blob HEAD, GET and Range", arguments: TestDatabase.allCases)
    func monolithicUploadAndBlobReads(database: TestDatabase) async throws {
        try await ServerHarness.run(database) { harness in
            let token = try await Self.setUp(harness)
            let content = OCITest.bytes(5000, seed: 1)
            let digest = OCITest.digest(content)
            let second = OCITest.bytes(3000, seed: 2)
            try await harness.withClient { client in
                try await client.execute(
                    uri: "/v2/team/app/blobs/uploads/?digest=\(digest)",
                    method: .post,
                    headers: OCITest.headers(token),
                    body: ByteBuffer(bytes: content)
                ) { response in
                    #expect(response.status == .created)
                    #expect(response.headers[OCITest.location] == "/v2/team/app/blobs/\(digest)")
                    #expect(response.headers[OCITest.contentDigest] == digest)
                }
                try await client.execute(uri: "/v2/team/app/blobs/\(digest)", method: .head, headers: OCITest.headers(token)) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentLength] == "5000")
                    #expect(response.headers[OCITest.contentDigest] == digest)
                    #expect(response.body.readableBytes == 0)
                }
                try await client.execute(uri: "/v2/team/app/blobs/\(digest)", method: .get, headers: OCITest.headers(token)) { response in
                    #expect(response.status == .ok)
                    #expect(Array(response.body.readableBytesView) == content)
                }
                try await client.execute(
                    uri: "/v2/team/app/blobs/\(digest)",
                    method: .get,
                    headers: OCITest.headers(token, [.range: "bytes=100-199"])
                ) { response in
                    #expect(response.status == .partialContent)
                    #expect(response.headers[.contentRange] == "bytes 100-199/5000")
                    #expect(Array(response.body.readableBytesView) == Array(content[100..<200]))
                }
                // POST, then PUT with the whole body.
                let location = try await client.execute(uri: "/v2/team/app/blobs/uploads/", method: .post, headers: OCITest.headers(token))
                { response in
                    #expect(response.status == .accepted)
                    #expect(response.headers[OCITest.range] == "0-0")
                    #expect(response.headers[OCITest.uploadUUID] != nil)
                    return try #require(response.headers[OCITest.location])
                }
                try await client.execute(
                    uri: "\(location)?digest=\(OCITest.digest(second))",
                    method: .put,
                    headers: OCITest.headers(token, [.contentType: "application/octet-stream", .contentLength: "\(second.count)"]),
                    body: ByteBuffer(bytes: second)
                ) { response in
                    #expect(response.status == .created)
                    #expect(response.headers[OCITest.contentDigest] == OCITest.digest(second))
                }
                try await client.execute(uri: "/v2/team/app/blobs/\(OCITest.digest(second))", method: .get, headers: OCITest.headers(token))
                { response in
                    #expect(Array(response.body.readableBytesView) == second)
                }
                try await client.execute(uri: location, method: .get, headers: OCITest.headers(token)) { response in
                    #expect(response.status == .notFound)
                    #expect(response.ociErrorCode == "BLOB_UPLOAD_UNKNOWN")
                }
                try await client.execute(uri: "/v2/team/app/blobs/\(OCITest.digest([1]))", method: .get, headers: OCITest.headers(token)) {
                    response in
                    #expect(response.status == .notFound)
                    #expect(response.ociErrorCode == "BLOB_UNKNOWN")
                }
                // Blobs go by garbage collection, not by DELETE.
                try await client.execute(uri: "/v2/team/app/blobs/\(digest)", method: .delete, headers: OCITest.headers(token)) {
                    response in
                    #expect(response.status == .methodNotAllowed)
                    #expect(response.ociErrorCode == "UNSUPPORTED")
                }
            }
        }
    }

    @Test(
        "chunked upload: several PATCHes, status GET with Range, out-of-order chunk 416, closing PUT re-hashes the whole",
        arguments: TestDatabase.allCases
    )
    func chunkedUpload(database: TestDatabase) async throws {
        try await ServerHarness.run(database) { harness in
            let token = try await Self.setUp(harness)
            let content = OCITest.bytes(10_000, seed: 3)
            let digest = OCITest.digest(content)
            try await harness.withClient { client in
                let location = try await OCITest.startUpload(client, "team/app", token: token)
                for (start, end) in [(0, 3999), (4000, 6999)] {
                    try await client.execute(
                        uri: location,
                        method: .patch,
                        headers: OCITest.headers(
                            token,
                            [
                                .contentRange: "\(start)-\(end)", .contentLength: "\(end - start + 1)",
                                .contentType: "application/octet-stream",
                            ]
                        ),
                        body: ByteBuffer(bytes: content[start...end])
                    ) { response in
                        #expect(response.status == .accepted)
                        #expect(response.headers[OCITest.range] == "0-\(end)")
                        #expect(response.headers[OCITest.location] == location)
                    }
                }
                try await client.execute(uri: location, method: .get, headers: OCITest.headers(token)) { response in
                    #expect(response.status == .noContent)
                    #expect(response.headers[OCITest.range] == "0-6999")
                }
                // A chunk past the current offset: 416 with what the session holds; nothing recorded.
                try await client.execute(
                    uri: location,
                    method: .patch,
                    headers: OCITest.headers(token, [.contentRange: "8000-9999", .contentLength: "2000"]),
                    body: ByteBuffer(bytes: content[8000...])
                ) { response in
                    #expect(response.status == .rangeNotSatisfiable)
                    #expect(response.headers[OCITest.range] == "0-6999")
                    #expect(response.ociErrorCode == "RANGE_INVALID")
                }
                // The last chunk without Content-Range (appended), then the closing PUT.
                try await client.execute(
                    uri: location,
                    method: .patch,
                    headers: OCITest.headers(token, [.contentLength: "3000"]),
                    body: ByteBuffer(bytes: content[7000...])
                ) { response in
                    #expect(response.status == .accepted)
                    #expect(response.headers[OCITest.range] == "0-9999")
                }
                try await client.execute(
                    uri: "\(location)?digest=\(digest)",
                    method: .put,
                    headers: OCITest.headers(token, [.contentLength: "0"])
                ) { response in
                    #expect(response.status == .created)
                    #expect(response.headers[OCITest.location] == "/v2/team/app/blobs/\(digest)")
                }
                try await client.execute(uri: "/v2/team/app/blobs/\(digest)", method: .get, headers: OCITest.headers(token)) { response in
                    #expect(Array(response.body.readableBytesView) == content)
                }
            }
            let sessions = try await harness.controlPlane.store.read { db in
                try await db.raw("SELECT COUNT(*) AS n FROM oci_uploads").first()?.decode(column: "n", as: Int64.self)
            }
            #expect(sessions == 0)
        }
    }

    @Test("one PATCH with the whole blob, then PUT ?digest=: the chunk is the result, nothing is copied", arguments: TestDatabase.allCases)
    func singlePatchFastPath(database: TestDatabase) async throws {
        try await ServerHarness.run(database) { harness in
            let token = try await Self.setUp(harness)
            let content = OCITest.bytes(20_000, seed: 4)
            try await harness.withClient { client in
                let location = try await OCITest.startUpload(client, "team/app", token: token)
                try await client.execute(uri: location, method: .patch, headers: OCITest.headers(token), body: ByteBuffer(bytes: content)) {
                    response in
                    #expect(response.status == .accepted)
                }
                try await client.execute(
                    uri: "\(location)?digest=\(OCITest.digest(content))",
                    method: .put,
                    headers: OCITest.headers(token, [.contentLength: "0"])
                ) { response in
                    #expect(response.status == .created)
                }
            }
            // One blob row and one stored object: the chunk itself.
            #expect(try await harness.blobAndLinkCounts().blobs == 1)
            #expect(harness.storedFiles().filter { $0.hasPrefix("blobs/") }.count == 1)
        }
    }

    @Test(
        "a chunk is invisible until its upload closes: no repository sees it, a cancel leaves no link, a wrong digest links nothing",
        arguments: TestDatabase.allCases
    )
    func chunksAreInvisibleUntilClosed(database: TestDatabase) async throws {
        try await ServerHarness.run(database) { harness in
            let token = try await Self.setUp(harness)
            let content = OCITest.bytes(9_000, seed: 12)
            let digest = OCITest.digest(content)
            try await harness.withClient { client in
                func status(_ repository: String) async throws -> HTTPResponse.Status {
                    try await client.execute(uri: "/v2/\(repository)/blobs/\(digest)", method: .head, headers: OCITest.headers(token)) {
                        $0.status
                    }
                }
                // Cancelled after a chunk: never visible, before or after.
                let cancelled = try await OCITest.startUpload(client, "team/app", token: token)
                try await client.execute(uri: cancelled, method: .patch, headers: OCITest.headers(token), body: ByteBuffer(bytes: content))
                { response in
                    #expect(response.status == .accepted)
                }
                #expect(try await status("team/app") == .notFound)
                #expect(try await status("team/other") == .notFound)
                try await client.execute(uri: cancelled, method: .delete, headers: OCITest.headers(token)) {
                    #expect($0.status == .noContent)
                }
                #expect(try await status("team/app") == .notFound)
                #expect(try await harness.blobAndLinkCounts().links == 0)

                // A closing PUT with the wrong digest links nothing and keeps the session.
                let location = try await OCITest.startUpload(client, "team/app", token: token)
                try await client.execute(uri: location, method: .patch, headers: OCITest.headers(token), body: ByteBuffer(bytes: content)) {
                    response in
                    #expect(response.status == .accepted)
                }
                let wrong = OCITest.digest(Array("something else".utf8))
                try await client.execute(
                    uri: "\(location)?digest=\(wrong)",
                    method: .put,
                    headers: OCITest.headers(token, [.contentLength: "0"])
                ) { response in
                    #expect(response.status == .badRequest)
                    #expect(response.ociErrorCode == "DIGEST_INVALID")
                }
                #expect(try await status("team/app") == .notFound)
                #expect(try await harness.blobAndLinkCounts().links == 0)

                // Closed with the right digest: linked into the namespace, visible to its repositories.
                try await client.execute(
                    uri: "\(location)?digest=\(digest)",
                    method: .put,
                    headers: OCITest.headers(token, [.contentLength: "0"])
                ) { response in
                    #expect(response.status == .created)
                }
                #expect(try await status("team/app") == .ok)
                #expect(try await harness.blobAndLinkCounts().links == 1)
            }
            _ = try await harness.controlPlane.auditSequencer.sealPending()
            let audit = try await harness.controlPlane.store.read { db in
                try await db.raw("SELECT action FROM audit_log ORDER BY seq").all().map { try $0.decode(column: "action", as: String.self) }
            }
            #expect(audit.filter { $0 == "oci.upload.chunk" }.count == 2)
            #expect(audit.contains("oci.upload.cancel"))
            #expect(audit.contains("oci.upload.finish"))
        }
    }

    @Test("cross-repository mount: 201 when the source is readable and has the blob, else a new session (202)")
    func mount() async throws {
        try await ServerHarness.run { harness in
            _ = try await Self.setUp(harness, namespaces: ["team", "other", "secret"])
            let token = try await harness.token([Grant(.write, namespace: "team"), Grant(.write, namespace: "other")])
            let content = OCITest.bytes(700, seed: 5)
            let digest = OCITest.digest(content)
            let secretOnly = OCITest.bytes(800, seed: 6)
            let admin = harness.adminToken
            try await harness.withClient { client in
                try await OCITest.pushBlob(client, "team/app", content, token: token)
                try await OCITest.pushBlob(client, "secret/app", secretOnly, token: admin)
                try await client.execute(
                    uri: "/v2/other/app/blobs/uploads/?mount=\(digest)&from=team/app",
                    method: .post,
                    headers: OCITest.headers(token)
                ) { response in
                    #expect(response.status == .created)
                    #expect(response.headers[OCITest.location] == "/v2/other/app/blobs/\(digest)")
                    #expect(response.headers[OCITest.contentDigest] == digest)
                }
                try await client.execute(uri: "/v2/other/app/blobs/\(digest)", method: .get, headers: OCITest.headers(token)) { response in
                    #expect(Array(response.body.readableBytesView) == content)
                }
                // Not readable by the caller: an upload session instead, and nothing linked.
                try await client.execute(
                    uri: "/v2/other/app/blobs/uploads/?mount=\(OCITest.digest(secretOnly))&from=secret/app",
                    method: .post,
                    headers: OCITest.headers(token)
                ) { response in
                    #expect(response.status == .accepted)
                    #expect(response.headers[OCITest.uploadUUID] != nil)
                }
                try await client.execute(
                    uri: "/v2/other/app/blobs/\(OCITest.digest(secretOnly))",
                    method: .head,
                    headers: OCITest.headers(token)
                ) { response in
                    #expect(response.status == .notFound)
                }
            }
            let mounts = try await harness.controlPlane.audit.records(AuditFilter(action: "blob.mount")).items
            #expect(mounts.count == 1)
            #expect(mounts.first?.namespace == "other")
            #expect(mounts.first?.requestID?.isEmpty == false)
        }
    }

    @Test("manifests: PUT by tag, GET and HEAD by tag and digest, tags list, DELETE by digest then 404", arguments: TestDatabase.allCases)
    func manifests(database: TestDatabase) async throws {
        try await ServerHarness.run(database) { harness in
            let token = try await Self.setUp(harness)
            let config = Array("{}".utf8)
            let layers = [OCITest.bytes(1000, seed: 7), OCITest.bytes(2000, seed: 8)]
            let manifest = OCITest.manifest(config: config, layers: layers)
            let digest = OCITest.digest(manifest)
            try await harness.withClient { client in
                for blob in [config] + layers { try await OCITest.pushBlob(client, "team/app", blob, token: token) }
                try await client.execute(
                    uri: "/v2/team/app/manifests/v1",
                    method: .put,
                    headers: OCITest.headers(token, [.contentType: "application/vnd.oci.image.manifest.v1+json"]),
                    body: ByteBuffer(bytes: manifest)
                ) { response in
                    #expect(response.status == .created)
                    #expect(response.headers[OCITest.location] == "/v2/team/app/manifests/\(digest)")
                    #expect(response.headers[OCITest.contentDigest] == digest)
                    #expect(response.headers[OCITest.subject] == nil)
                }
                for reference in ["v1", digest] {
                    try await client.execute(uri: "/v2/team/app/manifests/\(reference)", method: .get, headers: OCITest.headers(token)) {
                        response in
                        #expect(response.status == .ok)
                        #expect(Array(response.body.readableBytesView) == manifest)
                        #expect(response.headers[.contentType] == "application/vnd.oci.image.manifest.v1+json")
                        #expect(response.headers[OCITest.contentDigest] == digest)
                        #expect(response.headers[.eTag] == "\"\(digest)\"")
                    }
                    try await client.execute(uri: "/v2/team/app/manifests/\(reference)", method: .head, headers: OCITest.headers(token)) {
                        response in
                        #expect(response.status == .ok)
                        #expect(response.headers[.contentLength] == "\(manifest.count)")
                        #expect(response.body.readableBytes == 0)
                    }
                }
                try await OCITest.pushManifest(client, "team/app", "latest", manifest, token: token)
                try await client.execute(uri: "/v2/team/app/tags/list", method: .get, headers: OCITest.headers(token)) { response in
                    #expect(response.status == .ok)
                    #expect(response.jsonObject["name"] as? String == "team/app")
                    #expect(response.jsonObject["tags"] as? [String] == ["latest", "v1"])
                }
                try await client.execute(uri: "/v2/team/app/manifests/\(digest)", method: .delete, headers: OCITest.headers(token)) {
                    response in
                    #expect(response.status == .accepted)
                }
                for reference in ["v1", digest] {
                    try await client.execute(uri: "/v2/team/app/manifests/\(reference)", method: .get, headers: OCITest.headers(token)) {
                        response in
                        #expect(response.status == .notFound)
                        #expect(response.ociErrorCode == "MANIFEST_UNKNOWN")
                    }
                }
                try await client.execute(uri: "/v2/team/nothing/tags/list", method: .get, headers: OCITest.headers(token)) { response in
                    #expect(response.status == .notFound)
                    #expect(response.ociErrorCode == "NAME_UNKNOWN")
                }
            }
            // The manifest's version held the manifest and every blob it references.
            let audit = try await harness.controlPlane.audit.records(AuditFilter(namespace: "team"), page: PageRequest(limit: 1000)).items
                .map(\.action)
            #expect(audit.contains("version.commit"))
            #expect(audit.contains("tag.set"))
            #expect(audit.contains("version.delete"))
        }
    }

    @Test(
        "an index over pushed manifests: stored and served as pushed; a missing child is MANIFEST_BLOB_UNKNOWN; DELETE of a tag keeps the manifest"
    )
    func index() async throws {
        try await ServerHarness.run { harness in
            let token = try await Self.setUp(harness)
            let config = Array("{}".utf8)
            let child = OCITest.manifest(config: config, layers: [])
            let childDigest = OCITest.digest(child)
            let indexBytes = Array(
                #"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(childDigest)","size":\#(child.count),"platform":{"architecture":"amd64","os":"linux"}}]}"#
                    .utf8
            )
            let indexType = "application/vnd.oci.image.index.v1+json"
            try await harness.withClient { client in
                try await OCITest.pushBlob(client, "team/app", config, token: token)
                try await client.execute(
                    uri: "/v2/team/app/manifests/multi",
                    method: .put,
                    headers: OCITest.headers(token, [.contentType: indexType]),
                    body: ByteBuffer(bytes: indexBytes)
                ) { response in
                    #expect(response.status == .badRequest)
                    #expect(response.ociErrorCode == "MANIFEST_BLOB_UNKNOWN")
                }
                try await OCITest.pushManifest(client, "team/app", childDigest, child, token: token)
                try await client.execute(
                    uri: "/v2/team/app/manifests/multi",
                    method: .put,
                    headers: OCITest.headers(token, [.contentType: indexType]),
                    body: ByteBuffer(bytes: indexBytes)
                ) { response in
                    #expect(response.status == .created)
                }
                try await client.execute(uri: "/v2/team/app/manifests/multi", method: .get, headers: OCITest.headers(token)) { response in
                    #expect(response.headers[.contentType] == indexType)
                    #expect(Array(response.body.readableBytesView) == indexBytes)
                }
                try await client.execute(uri: "/v2/team/app/manifests/multi", method: .delete, headers: OCITest.headers(token)) {
                    response in
                    #expect(response.status == .accepted)
                }
                try await client.execute(uri: "/v2/team/app/manifests/multi", method: .head, headers: OCITest.headers(token)) { response in
                    #expect(response.status == .notFound)
                    #expect(response.body.readableBytes == 0)
                }
                try await client.execute(
                    uri: "/v2/team/app/manifests/\(OCITest.digest(indexBytes))",
                    method: .head,
                    headers: OCITest.headers(token)
                ) { response in
                    #expect(response.status == .ok)
                }
            }
        }
    }

    @Test("tags list and catalog page with n/last and a Link; the catalog shows only readable namespaces")
    func paging() async throws {
        try await ServerHarness.run { harness in
            _ = try await Self.setUp(harness, namespaces: ["team", "zeta", "hidden"])
            let token = try await harness.token([Grant(.read, namespace: "team"), Grant(.read, namespace: "zeta")])
            let config = Array("{}".utf8)
            let manifest = OCITest.manifest(config: config, layers: [])
            let admin = harness.adminToken
            try await harness.withClient { client in
                for repository in ["team/a", "team/b", "zeta/c", "hidden/d"] {
                    try await OCITest.pushBlob(client, repository, config, token: admin)
                    try await OCITest.pushManifest(client, repository, "t0", manifest, token: admin)
                }
                for tag in ["t1", "t2", "t3", "t4"] { try await OCITest.pushManifest(client, "team/a", tag, manifest, token: admin) }
                try await client.execute(uri: "/v2/team/a/tags/list?n=2", method: .get, headers: OCITest.headers(token)) { response in
                    #expect(response.jsonObject["tags"] as? [String] == ["t0", "t1"])
                    #expect(response.headers[OCITest.link] == #"</v2/team/a/tags/list?n=2&last=t1>; rel="next""#)
                }
                try await client.execute(uri: "/v2/team/a/tags/list?n=2&last=t3", method: .get, headers: OCITest.headers(token)) {
                    response in
                    #expect(response.jsonObject["tags"] as? [String] == ["t4"])
                    #expect(response.headers[OCITest.link] == nil)
                }
                try await client.execute(uri: "/v2/team/a/tags/list?n=x", method: .get, headers: OCITest.headers(token)) { response in
                    #expect(response.status == .badRequest)
                    #expect(response.ociErrorCode == "PAGINATION_NUMBER_INVALID")
                }
                try await client.execute(uri: "/v2/_catalog?n=2", method: .get, headers: OCITest.headers(token)) { response in
                    #expect(response.jsonObject["repositories"] as? [String] == ["team/a", "team/b"])
                    #expect(response.headers[OCITest.link] == #"</v2/_catalog?n=2&last=team/b>; rel="next""#)
                }
                try await client.execute(uri: "/v2/_catalog?last=team/b", method: .get, headers: OCITest.headers(token)) { response in
                    #expect(response.jsonObject["repositories"] as? [String] == ["zeta/c"])
                }
                try await client.execute(uri: "/v2/_catalog", method: .get, headers: OCITest.headers(admin)) { response in
                    #expect(response.jsonObject["repositories"] as? [String] == ["hidden/d", "team/a", "team/b", "zeta/c"])
                }
            }
        }
    }

    @Test(
        "referrers: subject recorded, OCI-Subject on PUT, listing with and without the artifactType filter",
        arguments: TestDatabase.allCases
    )
    func referrers(database: TestDatabase) async throws {
        try await ServerHarness.run(database) { harness in
            let token = try await Self.setUp(harness)
            let config = Array("{}".utf8)
            let layer = OCITest.bytes(100, seed: 9)
            let image = OCITest.manifest(config: config, layers: [layer])
            let subject = (OCITest.digest(image), image.count)
            let signature = OCITest.manifest(
                config: config,
                layers: [],
                subject: subject,
                artifactType: "application/vnd.example.signature",
                annotations: ["org.example": "yes"]
            )
            let sbom = OCITest.manifest(config: config, layers: [layer], subject: subject, artifactType: "application/vnd.example.sbom")
            try await harness.withClient { client in
                for blob in [config, layer] { try await OCITest.pushBlob(client, "team/app", blob, token: token) }
                try await OCITest.pushManifest(client, "team/app", "v1", image, token: token)
                for referrer in [signature, sbom] {
                    try await client.execute(
                        uri: "/v2/team/app/manifests/\(OCITest.digest(referrer))",
                        method: .put,
                        headers: OCITest.headers(token, [.contentType: "application/vnd.oci.image.manifest.v1+json"]),
                        body: ByteBuffer(bytes: referrer)
                    ) { response in
                        #expect(response.status == .created)
                        #expect(response.headers[OCITest.subject] == subject.0)
                    }
                }
                try await client.execute(uri: "/v2/team/app/referrers/\(subject.0)", method: .get, headers: OCITest.headers(token)) {
                    response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "application/vnd.oci.image.index.v1+json")
                    #expect(response.headers[OCITest.filtersApplied] == nil)
                    let manifests = response.jsonObject["manifests"] as? [[String: Any]] ?? []
                    #expect(Set(manifests.compactMap { $0["digest"] as? String }) == [OCITest.digest(signature), OCITest.digest(sbom)])
                    let signed = manifests.first { $0["digest"] as? String == OCITest.digest(signature) }
                    #expect(signed?["artifactType"] as? String == "application/vnd.example.signature")
                    #expect((signed?["annotations"] as? [String: String])?["org.example"] == "yes")
                    #expect(signed?["size"] as? Int == signature.count)
                }
                try await client.execute(
                    uri: "/v2/team/app/referrers/\(subject.0)?artifactType=application/vnd.example.sbom",
                    method: .get,
                    headers: OCITest.headers(token)
                ) { response in
                    #expect(response.headers[OCITest.filtersApplied] == "artifactType")
                    let manifests = response.jsonObject["manifests"] as? [[String: Any]] ?? []
                    #expect(manifests.compactMap { $0["digest"] as? String } == [OCITest.digest(sbom)])
                }
                // A subject with no referrers: an empty index, not 404.
                try await client.execute(
                    uri: "/v2/team/app/referrers/\(OCITest.digest([0]))",
                    method: .get,
                    headers: OCITest.headers(token)
                ) { response in
                    #expect(response.status == .ok)
                    #expect((response.jsonObject["manifests"] as? [Any])?.isEmpty == true)
                }
            }
        }
    }

    @Test("auth: a token of another namespace gets 403 DENIED; read-only tokens cannot push; /v2 errors keep the OCI shape")
    func authorisation() async throws {
        try await ServerHarness.run { harness in
            _ = try await Self.setUp(harness, namespaces: ["team", "other"])
            let otherWriter = try await harness.token([Grant(.write, namespace: "other")])
            let reader = try await harness.token([Grant(.read, namespace: "team")])
            try await harness.withClient { client in
                try await client.execute(uri: "/v2/team/app/tags/list", method: .get, headers: OCITest.headers(otherWriter)) { response in
                    #expect(response.status == .forbidden)
                    #expect(response.ociErrorCode == "DENIED")
                }
                try await client.execute(uri: "/v2/team/app/blobs/uploads/", method: .post, headers: OCITest.headers(reader)) { response in
                    #expect(response.status == .forbidden)
                    #expect(response.ociErrorCode == "DENIED")
                }
                try await client.execute(uri: "/v2/team/app/blobs/uploads/", method: .post) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.headers[.wwwAuthenticate] == #"Basic realm="artifactstore""#)
                    #expect(response.ociErrorCode == "UNAUTHORIZED")
                }
            }
        }
    }
}
