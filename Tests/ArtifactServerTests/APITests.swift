import ArtifactControlPlane
import ArtifactIdentity
import ArtifactServer
import ArtifactStoreAPI
import ArtifactStoreTestSupport
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Every route's happy path through the router, and the refusals that must change nothing.
@Suite("HTTP API", .timeLimit(.minutes(10)))
struct APITests {
    static let content = ByteBuffer(string: String(repeating: "artifact bytes 0123456789\n", count: 400))

    static func sha256Base64(_ buffer: ByteBuffer) -> String {
        Data(SHA256.hash(data: Array(buffer.readableBytesView))).base64EncodedString()
    }

    @Test("namespaces: create (201), get, list; duplicate 409; bad name 400", arguments: TestDatabase.allCases)
    func namespaces(database: TestDatabase) async throws {
        try await ServerHarness.run(database) { harness in
            let admin = harness.adminToken
            try await harness.withClient { client in
                let (headers, body) = TestRequest.json(admin, #"{"name":"team","immutableTags":true}"#)
                try await client.execute(uri: "/v1/namespaces", method: .post, headers: headers, body: body) { response in
                    #expect(response.status == .created)
                    let json = response.json()
                    #expect(json["name"] as? String == "team")
                    #expect(json["immutableTags"] as? Bool == true)
                    #expect((json["createdAt"] as? String)?.hasSuffix("Z") == true)
                }
                try await client.execute(uri: "/v1/namespaces", method: .post, headers: headers, body: body) { response in
                    #expect(response.status == .conflict)
                    #expect(response.errorCode() == "namespaceExists")
                }
                let (badHeaders, badBody) = TestRequest.json(admin, #"{"name":"Bad Name"}"#)
                try await client.execute(uri: "/v1/namespaces", method: .post, headers: badHeaders, body: badBody) { response in
                    #expect(response.status == .badRequest)
                    #expect(response.errorCode() == "invalidName")
                }
                try await client.execute(uri: "/v1/namespaces/team", method: .get, headers: TestRequest.bearer(admin)) { response in
                    #expect(response.status == .ok)
                    #expect(response.json()["name"] as? String == "team")
                }
                try await client.execute(uri: "/v1/namespaces?limit=1", method: .get, headers: TestRequest.bearer(admin)) { response in
                    #expect(response.status == .ok)
                    let json = response.json()
                    #expect((json["items"] as? [[String: Any]])?.map { $0["name"] as? String } == ["team"])
                    #expect(json["nextCursor"] is NSNull)
                }
                try await client.execute(uri: "/v1/namespaces?limit=0", method: .get, headers: TestRequest.bearer(admin)) { response in
                    #expect(response.status == .badRequest)
                    #expect(response.errorCode() == "invalidPageRequest")
                }
                try await client.execute(uri: "/v1/namespaces/nope", method: .get, headers: TestRequest.bearer(admin)) { response in
                    #expect(response.status == .notFound)
                    #expect(response.errorCode() == "namespaceNotFound")
                }
            }
        }
    }

    @Test("the namespace list shows only what the token can read")
    func namespaceListFiltered() async throws {
        try await ServerHarness.run { harness in
            _ = try await harness.controlPlane.registry.createNamespace("one", context: RequestContext(actor: "t"))
            _ = try await harness.controlPlane.registry.createNamespace("two", context: RequestContext(actor: "t"))
            let reader = try await harness.token([Grant(.read, namespace: "two")])
            try await harness.withClient { client in
                try await client.execute(uri: "/v1/namespaces", method: .get, headers: TestRequest.bearer(reader)) { response in
                    #expect(response.status == .ok)
                    #expect((response.json()["items"] as? [[String: Any]])?.map { $0["name"] as? String } == ["two"])
                }
            }
        }
    }

    @Test("blob upload, HEAD and GET with ETag, Content-Digest, Range and If-None-Match", arguments: TestDatabase.allCases)
    func blobRoundTrip(database: TestDatabase) async throws {
        try await ServerHarness.run(database) { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "t"))
            let writer = try await harness.token([Grant(.write, namespace: "team")])
            let content = Self.content
            let size = content.readableBytes
            let sha = Self.sha256Base64(content)
            try await harness.withClient { client in
                var headers = TestRequest.bearer(writer)
                headers[.contentType] = "application/octet-stream"
                let address = try await client.execute(uri: "/v1/namespaces/team/blobs", method: .post, headers: headers, body: content) {
                    response in
                    #expect(response.status == .created)
                    let json = response.json()
                    #expect(json["size"] as? Int == size)
                    #expect(json["deduplicated"] as? Bool == false)
                    #expect((json["sha256"] as? String)?.hasPrefix("sha256:") == true)
                    return try #require(json["address"] as? String)
                }
                #expect(address.hasPrefix("blake3:"))
                try await client.execute(uri: "/v1/namespaces/team/blobs", method: .post, headers: headers, body: content) { response in
                    #expect(response.status == .created)
                    #expect(response.json()["deduplicated"] as? Bool == true)
                }
                let blobURI = "/v1/namespaces/team/blobs/\(address)"
                try await client.execute(uri: blobURI, method: .head, headers: TestRequest.bearer(writer)) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentLength] == "\(size)")
                    #expect(response.headers[.eTag] == "\"\(address)\"")
                    #expect(response.headers[HTTPField.Name("Content-Digest")!] == "sha-256=:\(sha):")
                    #expect(response.headers[.acceptRanges] == "bytes")
                    #expect(response.body.readableBytes == 0)
                }
                try await client.execute(uri: blobURI, method: .get, headers: TestRequest.bearer(writer)) { response in
                    #expect(response.status == .ok)
                    #expect(response.body == content)
                    #expect(response.headers[HTTPField.Name("Content-Digest")!] == "sha-256=:\(sha):")
                }
                // By the SHA-256 digest too.
                let sha256Text = "sha256:" + SHA256.hash(data: Array(content.readableBytesView)).map { String(format: "%02x", $0) }.joined()
                try await client.execute(uri: "/v1/namespaces/team/blobs/\(sha256Text)", method: .get, headers: TestRequest.bearer(writer))
                { response in
                    #expect(response.status == .ok)
                    #expect(response.body == content)
                }
                for (range, first, last) in [
                    ("bytes=10-19", 10, 19), ("bytes=\(size - 5)-", size - 5, size - 1), ("bytes=-7", size - 7, size - 1),
                ] {
                    var rangeHeaders = TestRequest.bearer(writer)
                    rangeHeaders[.range] = range
                    try await client.execute(uri: blobURI, method: .get, headers: rangeHeaders) { response in
                        #expect(response.status == .partialContent, "\(range)")
                        #expect(response.headers[.contentRange] == "bytes \(first)-\(last)/\(size)")
                        #expect(response.body == content.getSlice(at: first, length: last - first + 1))
                    }
                }
                var outside = TestRequest.bearer(writer)
                outside[.range] = "bytes=\(size)-"
                try await client.execute(uri: blobURI, method: .get, headers: outside) { response in
                    #expect(response.status == .rangeNotSatisfiable)
                    #expect(response.headers[.contentRange] == "bytes */\(size)")
                    #expect(response.errorCode() == "rangeNotSatisfiable")
                }
                var conditional = TestRequest.bearer(writer)
                conditional[.ifNoneMatch] = "\"\(address)\""
                try await client.execute(uri: blobURI, method: .get, headers: conditional) { response in
                    #expect(response.status == .notModified)
                    #expect(response.body.readableBytes == 0)
                }
                try await client.execute(uri: blobURI + "/verify", method: .post, headers: TestRequest.bearer(writer)) { response in
                    #expect(response.status == .ok)
                    #expect(response.json()["verified"] as? Bool == true)
                }
                let unknown = "blake3:" + String(repeating: "ab", count: 32)
                try await client.execute(uri: "/v1/namespaces/team/blobs/\(unknown)", method: .head, headers: TestRequest.bearer(writer)) {
                    response in
                    #expect(response.status == .notFound)
                    #expect(response.body.readableBytes == 0)
                }
                try await client.execute(uri: "/v1/namespaces/team/blobs/md5:abc", method: .get, headers: TestRequest.bearer(writer)) {
                    response in
                    #expect(response.status == .badRequest)
                    #expect(response.errorCode() == "invalidDigest")
                }
            }
        }
    }

    @Test("an upload whose bytes differ from the expected digest or size stores and links nothing")
    func uploadMismatchStoresNothing() async throws {
        try await ServerHarness.run { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "t"))
            let writer = try await harness.token([Grant(.write, namespace: "team")])
            let wrongDigest = "blake3:" + String(repeating: "0", count: 64)
            try await harness.withClient { client in
                try await client.execute(
                    uri: "/v1/namespaces/team/blobs?digest=\(wrongDigest)",
                    method: .post,
                    headers: TestRequest.bearer(writer),
                    body: Self.content
                ) { response in
                    #expect(response.status == .badRequest)
                    #expect(response.errorCode() == "digestMismatch")
                }
                try await client.execute(
                    uri: "/v1/namespaces/team/blobs?size=5",
                    method: .post,
                    headers: TestRequest.bearer(writer),
                    body: Self.content
                ) { response in
                    #expect(response.status == .badRequest)
                    #expect(response.errorCode() == "sizeMismatch")
                }
                try await client.execute(
                    uri: "/v1/namespaces/team/blobs?digest=nonsense",
                    method: .post,
                    headers: TestRequest.bearer(writer),
                    body: Self.content
                ) { response in
                    #expect(response.status == .badRequest)
                    #expect(response.errorCode() == "invalidDigest")
                }
            }
            #expect(harness.storedFiles().isEmpty)
            let counts = try await harness.blobAndLinkCounts()
            #expect(counts.blobs == 0 && counts.links == 0)
        }
    }

    @Test("names with .. or %2e%2e or %2f are refused with 400 and nothing changes")
    func pathLikeNamesRefused() async throws {
        try await ServerHarness.run { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "t"))
            let admin = harness.adminToken
            try await harness.withClient { client in
                for uri in [
                    "/v1/namespaces/%2e%2e", "/v1/namespaces/..", "/v1/namespaces/team%2f..", "/v1/namespaces/%2E%2E/artifacts",
                    "/v1/namespaces/team/artifacts/%2e%2e/versions", "/v1/namespaces/team/artifacts/a%2f..%2fb/versions",
                    "/v1/namespaces/team/artifacts/app/versions/%2e%2e", "/v1/namespaces/team/artifacts/app/tags/..",
                ] {
                    try await client.execute(uri: uri, method: .get, headers: TestRequest.bearer(admin)) { response in
                        #expect(response.status == .badRequest, "\(uri)")
                        #expect(response.errorCode() == "invalidName", "\(uri)")
                    }
                }
                let (headers, body) = TestRequest.json(admin, #"{"version":"1"}"#)
                try await client.execute(uri: "/v1/namespaces/team/artifacts/app/tags/%2e%2e", method: .put, headers: headers, body: body) {
                    response in
                    #expect(response.status == .badRequest)
                }
                try await client.execute(
                    uri: "/v1/namespaces/team/artifacts/app/versions/1/files/a/%2e%2e/b",
                    method: .get,
                    headers: TestRequest.bearer(admin)
                ) { response in
                    #expect(response.status == .badRequest)
                    #expect(response.errorCode() == "invalidPath")
                }
                try await client.execute(
                    uri: "/v1/namespaces/team/artifacts/app/versions/1/files/a%2f..%2fb",
                    method: .get,
                    headers: TestRequest.bearer(admin)
                ) { response in
                    #expect(response.status == .badRequest)
                    #expect(response.errorCode() == "invalidPath")
                }
            }
            #expect(try await harness.controlPlane.registry.listArtifacts(namespace: "team").items.isEmpty)
        }
    }

    @Test("versions, files, tags, holds, retention: the whole push and manage cycle", arguments: TestDatabase.allCases)
    func versionLifecycle(database: TestDatabase) async throws {
        try await ServerHarness.run(database) { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "t"))
            let admin = harness.adminToken
            let auth = TestRequest.bearer(admin)
            try await harness.withClient { client in
                let address = try await client.execute(uri: "/v1/namespaces/team/blobs", method: .post, headers: auth, body: Self.content) {
                    response in
                    try #require(response.json()["address"] as? String)
                }
                let base = "/v1/namespaces/team/artifacts/app%2Fcli"
                let manifest =
                    #"{"files":[{"path":"bin/tool","address":"\#(address)","mediaType":"application/x-executable"}],"labels":{"os":"linux"}}"#
                let (headers, body) = TestRequest.json(admin, manifest)
                try await client.execute(uri: "\(base)/versions/1.0", method: .put, headers: headers, body: body) { response in
                    #expect(response.status == .created)
                    let summary = try #require(response.json()["summary"] as? [String: Any])
                    #expect(summary["artifact"] as? String == "app/cli")
                    #expect(summary["fileCount"] as? Int == 1)
                }
                try await client.execute(uri: "\(base)/versions/1.0", method: .put, headers: headers, body: body) { response in
                    #expect(response.status == .conflict)
                    #expect(response.errorCode() == "versionExists")
                }
                let unlinked = #"{"files":[{"path":"x","address":"blake3:\#(String(repeating: "1", count: 64))"}]}"#
                let (h2, b2) = TestRequest.json(admin, unlinked)
                try await client.execute(uri: "\(base)/versions/2.0", method: .put, headers: h2, body: b2) { response in
                    #expect(response.status == .badRequest)
                    #expect(response.errorCode() == "blobNotLinked")
                }
                try await client.execute(uri: "\(base)/versions/1.0", method: .get, headers: auth) { response in
                    #expect(response.status == .ok)
                    #expect((response.json()["files"] as? [[String: Any]])?.first?["path"] as? String == "bin/tool")
                }
                try await client.execute(uri: "\(base)/versions", method: .get, headers: auth) { response in
                    #expect((response.json()["items"] as? [Any])?.count == 1)
                }
                try await client.execute(uri: "/v1/namespaces/team/artifacts", method: .get, headers: auth) { response in
                    #expect((response.json()["items"] as? [[String: Any]])?.first?["name"] as? String == "app/cli")
                }
                try await client.execute(uri: "\(base)/versions/1.0/files", method: .get, headers: auth) { response in
                    #expect((response.json()["items"] as? [Any])?.count == 1)
                }
                try await client.execute(uri: "\(base)/versions/1.0/files/bin/tool", method: .get, headers: auth) { response in
                    #expect(response.status == .ok)
                    #expect(response.body == Self.content)
                    #expect(response.headers[.contentType] == "application/x-executable")
                    #expect(response.headers[.eTag] == "\"\(address)\"")
                }
                var range = auth
                range[.range] = "bytes=0-3"
                try await client.execute(uri: "\(base)/versions/1.0/files/bin/tool", method: .get, headers: range) { response in
                    #expect(response.status == .partialContent)
                    #expect(response.body == Self.content.getSlice(at: 0, length: 4))
                }
                try await client.execute(uri: "\(base)/versions/1.0/files/bin/other", method: .get, headers: auth) { response in
                    #expect(response.status == .notFound)
                    #expect(response.errorCode() == "fileNotFound")
                }
                try await client.execute(uri: "\(base)/versions/1.0/verify", method: .post, headers: auth) { response in
                    #expect(response.json()["verified"] as? Bool == true)
                }
                // Tags.
                let (th, tb) = TestRequest.json(admin, #"{"version":"1.0"}"#)
                try await client.execute(uri: "\(base)/tags/latest", method: .put, headers: th, body: tb) { response in
                    #expect(response.status == .ok)
                    #expect(response.json()["version"] as? String == "1.0")
                }
                try await client.execute(uri: "\(base)/tags/latest", method: .get, headers: auth) { response in
                    #expect(response.json()["version"] as? String == "1.0")
                }
                try await client.execute(uri: "\(base)/tags", method: .get, headers: auth) { response in
                    #expect((response.json()["items"] as? [Any])?.count == 1)
                }
                try await client.execute(uri: "\(base)/tags/latest", method: .delete, headers: auth) { response in
                    #expect(response.status == .noContent)
                }
                try await client.execute(uri: "\(base)/tags/latest", method: .get, headers: auth) { response in
                    #expect(response.errorCode() == "tagNotFound")
                }
                // Holds block deletion.
                let (hh, hb) = TestRequest.json(admin, #"{"reason":"audit 2026"}"#)
                try await client.execute(uri: "\(base)/versions/1.0/hold", method: .put, headers: hh, body: hb) { response in
                    #expect(response.status == .created)
                }
                try await client.execute(uri: "\(base)/versions/1.0/hold", method: .put, headers: hh, body: hb) { response in
                    #expect(response.status == .conflict)
                    #expect(response.errorCode() == "holdExists")
                }
                try await client.execute(uri: "/v1/namespaces/team/holds", method: .get, headers: auth) { response in
                    #expect((response.json()["items"] as? [Any])?.count == 1)
                }
                try await client.execute(uri: "\(base)/versions/1.0", method: .delete, headers: auth) { response in
                    #expect(response.status == .conflict)
                    #expect(response.errorCode() == "versionHeld")
                }
                try await client.execute(uri: "\(base)/versions/1.0/hold", method: .delete, headers: auth) { response in
                    #expect(response.status == .noContent)
                }
                // Retention.
                let (ph, pb) = TestRequest.json(admin, #"{"keepLast":1}"#)
                try await client.execute(uri: "/v1/namespaces/team/retention-policies/keep-one", method: .put, headers: ph, body: pb) {
                    response in
                    #expect(response.status == .ok)
                    #expect(response.json()["keepLast"] as? Int == 1)
                }
                let (bh, bb) = TestRequest.json(admin, #"{"keepLast":-1}"#)
                try await client.execute(uri: "/v1/namespaces/team/retention-policies/bad", method: .put, headers: bh, body: bb) {
                    response in
                    #expect(response.status == .badRequest)
                    #expect(response.errorCode() == "invalidPolicy")
                }
                try await client.execute(uri: "/v1/namespaces/team/retention-policies", method: .get, headers: auth) { response in
                    #expect((response.json()["items"] as? [Any])?.count == 1)
                }
                try await client.execute(uri: "/v1/namespaces/team/retention/evaluate?dryRun=true", method: .post, headers: auth) {
                    response in
                    #expect(response.status == .ok)
                    #expect(response.json()["dryRun"] as? Bool == true)
                }
                try await client.execute(uri: "/v1/namespaces/team/retention-policies/keep-one", method: .delete, headers: auth) {
                    response in
                    #expect(response.status == .noContent)
                }
                try await client.execute(uri: "\(base)/versions/1.0", method: .delete, headers: auth) { response in
                    #expect(response.status == .noContent)
                }
                try await client.execute(uri: "\(base)/versions/1.0", method: .get, headers: auth) { response in
                    #expect(response.status == .notFound)
                }
            }
        }
    }

    @Test("GC (dry run and real), scrub, audit export and verification, tokens and whoami", arguments: TestDatabase.allCases)
    func storeWideOperations(database: TestDatabase) async throws {
        try await ServerHarness.run(database) { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "t"))
            let admin = harness.adminToken
            let auth = TestRequest.bearer(admin)
            try await harness.withClient { client in
                var withID = auth
                withID[HTTPField.Name("X-Request-ID")!] = "push-42"
                try await client.execute(uri: "/v1/namespaces/team/blobs", method: .post, headers: withID, body: Self.content) { response in
                    #expect(response.status == .created)
                    #expect(response.headers[HTTPField.Name("X-Request-ID")!] == "push-42")
                }
                try await client.execute(uri: "/v1/gc?dryRun=true", method: .post, headers: auth) { response in
                    #expect(response.status == .ok)
                    let json = response.json()
                    #expect(json["dryRun"] as? Bool == true)
                    #expect(json["ran"] as? Bool == true)
                }
                try await client.execute(uri: "/v1/gc", method: .post, headers: auth) { response in
                    #expect(response.json()["dryRun"] as? Bool == false)
                }
                try await client.execute(uri: "/v1/scrub?limit=10", method: .post, headers: auth) { response in
                    let json = response.json()
                    #expect(json["checked"] as? Int == 1)
                    #expect((json["corrupted"] as? [Any])?.isEmpty == true)
                    #expect(json["collected"] as? Int == 0)
                    #expect(json["garbageCollectionRunning"] as? Bool == false)
                    #expect(json["nextCursor"] is NSNull)
                }
                try await client.execute(uri: "/v1/audit?action=blob.link", method: .get, headers: auth) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "application/x-ndjson")
                    let lines = String(buffer: response.body).split(separator: "\n")
                    #expect(!lines.isEmpty)
                    #expect(lines.contains { $0.contains("\"requestID\":\"push-42\"") })
                }
                try await client.execute(uri: "/v1/audit?since=yesterday", method: .get, headers: auth) { response in
                    #expect(response.status == .badRequest)
                }
                try await client.execute(uri: "/v1/audit/verify", method: .get, headers: auth) { response in
                    #expect(response.json()["intact"] as? Bool == true)
                }
                let (th, tb) = TestRequest.json(
                    admin,
                    #"{"name":"ci","grants":[{"scope":"write","namespace":"team"}],"expiresAt":"2099-01-01T00:00:00Z"}"#
                )
                let (issued, id) = try await client.execute(uri: "/v1/tokens", method: .post, headers: th, body: tb) { response in
                    #expect(response.status == .created)
                    let json = response.json()
                    let info = try #require(json["info"] as? [String: Any])
                    return (try #require(json["token"] as? String), try #require(info["id"] as? String))
                }
                #expect(issued.hasPrefix("ast_"))
                try await client.execute(uri: "/v1/whoami", method: .get, headers: TestRequest.bearer(issued)) { response in
                    let json = response.json()
                    #expect(json["tokenID"] as? String == id)
                    #expect(json["name"] as? String == "ci")
                }
                // Basic with the token as password works too.
                let basic = Data("anyone:\(issued)".utf8).base64EncodedString()
                try await client.execute(uri: "/v1/whoami", method: .get, headers: [.authorization: "Basic \(basic)"]) { response in
                    #expect(response.status == .ok)
                }
                try await client.execute(uri: "/v1/tokens", method: .get, headers: auth) { response in
                    let items = try #require(response.json()["items"] as? [[String: Any]])
                    #expect(items.count == 2)
                    #expect(!String(buffer: response.body).contains(issued))
                }
                try await client.execute(uri: "/v1/tokens/\(id)", method: .delete, headers: auth) { response in
                    #expect(response.status == .noContent)
                }
                try await client.execute(uri: "/v1/whoami", method: .get, headers: TestRequest.bearer(issued)) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.errorCode() == "tokenRevoked")
                }
                try await client.execute(uri: "/v1/tokens/0000000000000000", method: .delete, headers: auth) { response in
                    #expect(response.status == .notFound)
                    #expect(response.errorCode() == "tokenNotFound")
                }
            }
        }
    }

    @Test("unknown routes are 404 notFound; malformed JSON and X-Request-ID are 400")
    func httpLayerRefusals() async throws {
        try await ServerHarness.run { harness in
            let admin = harness.adminToken
            try await harness.withClient { client in
                try await client.execute(uri: "/nothing/here", method: .get) { response in
                    #expect(response.status == .notFound)
                    #expect(response.errorCode() == "notFound")
                }
                let (headers, body) = TestRequest.json(admin, #"{"name":"#)
                try await client.execute(uri: "/v1/namespaces", method: .post, headers: headers, body: body) { response in
                    #expect(response.status == .badRequest)
                    #expect(response.errorCode() == "badRequest")
                }
                try await client.execute(uri: "/healthz", method: .get, headers: [HTTPField.Name("X-Request-ID")!: "bad id with spaces"]) {
                    response in
                    #expect(response.status == .badRequest)
                    #expect(response.errorCode() == "invalidRequestID")
                }
                try await client.execute(uri: "/healthz", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[HTTPField.Name("X-Request-ID")!]?.isEmpty == false)
                }
            }
            #expect(try await harness.controlPlane.registry.listNamespaces().items.isEmpty)
        }
    }

    @Test("readyz reports the database and the backend; metrics count requests by route and status")
    func operationsEndpoints() async throws {
        try await ServerHarness.run { harness in
            try await harness.withClient { client in
                try await client.execute(uri: "/readyz", method: .get) { response in
                    #expect(response.status == .ok)
                    let json = response.json()
                    #expect(json["status"] as? String == "ready")
                    #expect((json["database"] as? [String: Any])?["ok"] as? Bool == true)
                    #expect((json["backends"] as? [[String: Any]])?.first?["backendID"] as? String == "default")
                }
                try await client.execute(uri: "/v1/namespaces", method: .get) { response in
                    #expect(response.status == .unauthorized)
                    // The request id is outside the error mapping: a refusal carries one too.
                    #expect(response.headers[HTTPField.Name("X-Request-ID")!]?.isEmpty == false)
                }
                try await client.execute(uri: "/metrics", method: .get) { response in
                    #expect(response.status == .ok)
                    let text = String(buffer: response.body)
                    #expect(text.contains(#"artifactstore_http_requests_total{route="/v1/namespaces",method="GET",status="401"} 1"#))
                    #expect(text.contains(#"artifactstore_backend_healthy{backend="default"} 1"#))
                }
                try await client.execute(uri: "/v1/openapi.yaml", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "application/yaml")
                    #expect(String(buffer: response.body).hasPrefix("openapi: 3.1.0"))
                }
            }
        }
    }
}
