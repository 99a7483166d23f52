import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactIdentity
import ArtifactServer
import ArtifactStoreAPI
import ArtifactStoreTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Keeps `/v1/openapi.yaml` true from the server's side: it serves exactly the contract's
/// `openapi.yaml`, each operation documents its success status, live answers have the fields their
/// schemas name, and the schemas of data-plane values (which the contract module does not see)
/// match what those types encode. (ArtifactStoreAPITests compare the document with the route table
/// and the contract's bodies; schemathesis in `.ci/run` checks it against a live server.)
@Suite("OpenAPI document", .timeLimit(.minutes(10)))
struct OpenAPIDocumentTests {
    /// The served document, read through the API.
    static func served() async throws -> String {
        var text = ""
        try await ServerHarness.run { harness in
            text = try await harness.withClient { client in
                try await client.execute(uri: "/v1/openapi.yaml", method: .get) { String(buffer: $0.body) }
            }
        }
        return text
    }

    static func document() throws -> YAML {
        try YAML.parse(OpenAPIDocument.yaml)
    }

    @Test("the served document is exactly the contract's openapi.yaml")
    func servesTheContract() async throws {
        #expect(try await Self.served() == OpenAPIDocument.yaml)
    }

    @Test("operation ids are the route ids, and each documents its success status")
    func statusesDocumented() throws {
        let document = try Self.document()
        var statuses: [String: Set<String>] = [:]
        for item in try #require(document["paths"]).members.values {
            for operation in item.members.values {
                guard let id = operation["operationId"]?.string else { continue }
                statuses[id] = Set(operation["responses"]?.members.keys.filter { $0 != "default" } ?? [])
            }
        }
        let success: [APIRouteID: String] = [
            .createNamespace: "201", .uploadBlob: "201", .commitVersion: "201", .placeHold: "201", .createToken: "201",
            .deleteVersion: "204", .deleteTag: "204", .releaseHold: "204", .deletePolicy: "204", .revokeToken: "204",
            .createWebhook: "201", .deleteWebhook: "204", .deleteProxy: "204", .createReplication: "201", .deleteReplication: "204",
            .oidcToken: "201",
        ]
        for route in APIRoute.all {
            let documented = try #require(statuses[route.id == .openAPI ? "openapi" : route.id.rawValue], "\(route.id)")
            #expect(documented.contains(success[route.id] ?? "200"), "\(route.id): \(documented)")
        }
        #expect(statuses["getBlob"] == ["200", "206", "307", "304"])
        #expect(statuses["readyz"] == ["200", "503"])
    }

    @Test("live answers have the required fields of their schemas and no undeclared ones")
    func sampleResponsesMatch() async throws {
        let schemas = OpenAPISchemaCheck(document: try Self.document())
        try await ServerHarness.run { harness in
            let admin = harness.adminToken
            try await harness.withClient { client in
                func check(
                    _ uri: String,
                    _ method: HTTPRequest.Method,
                    _ body: String?,
                    schema: String,
                    status: HTTPResponse.Status
                )
                    async throws
                {
                    var headers = TestRequest.bearer(admin)
                    if body != nil {
                        headers[.contentType] = method == .post && uri.hasSuffix("/blobs") ? "application/octet-stream" : "application/json"
                    }
                    try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) {
                        response in
                        #expect(response.status == status, "\(uri)")
                        var problems: [String] = []
                        try schemas.compare(
                            Data(response.body.readableBytesView),
                            with: try schemas.schema(schema),
                            at: "\(method) \(uri)",
                            optionals: .either,
                            into: &problems
                        )
                        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
                    }
                }
                let digest = Digest.blake3(of: Array("hello".utf8))
                try await check("/v1/namespaces", .post, #"{"name":"team"}"#, schema: "Namespace", status: .created)
                try await check("/v1/namespaces", .get, nil, schema: "NamespacePage", status: .ok)
                try await check("/v1/namespaces/team/blobs", .post, "hello", schema: "Blob", status: .created)
                try await check("/v1/namespaces/team/blobs/\(digest)/verify", .post, nil, schema: "VerifyResult", status: .ok)
                try await check("/v1/gc?dryRun=true", .post, nil, schema: "GarbageCollectionReport", status: .ok)
                try await check("/v1/scrub", .post, nil, schema: "ScrubReport", status: .ok)
                try await check("/v1/audit/verify", .get, nil, schema: "AuditChainReport", status: .ok)
                try await check("/v1/whoami", .get, nil, schema: "WhoAmI", status: .ok)
                try await check("/v1/tokens", .get, nil, schema: "TokenInfoPage", status: .ok)
                try await check("/healthz", .get, nil, schema: "Health", status: .ok)
                try await check("/readyz", .get, nil, schema: "Readiness", status: .ok)
                try await check("/v1/namespaces/none", .get, nil, schema: "Error", status: .notFound)
            }
        }
    }

    @Test("the data plane's values the API carries encode exactly their schemas' properties")
    func dataPlaneValuesMatch() throws {
        let check = OpenAPISchemaCheck(document: try Self.document())
        let encoder = APIJSON.encoder()
        let digest = Digest.blake3(of: Array("hello".utf8))
        let sha256 = Digest.sha256(of: Array("hello".utf8))
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        let samples: [(String, any Encodable, OpenAPISchemaCheck.Optionals)] = [
            (
                "BackendStatus",
                BackendStatus(
                    backendID: "default",
                    isDefault: true,
                    reachable: true,
                    writable: true,
                    latencySeconds: 0.01,
                    freeBytes: 1,
                    totalBytes: 2,
                    message: "ok",
                    checkedAt: at
                ), .present
            ),
            (
                "BackendStatus",
                BackendStatus(
                    backendID: "default",
                    isDefault: true,
                    reachable: false,
                    writable: false,
                    latencySeconds: 1,
                    message: "down",
                    checkedAt: at
                ),
                .absent
            ),
            (
                "VerifyResult",
                VerifyResult(
                    address: ContentAddress(digest),
                    backendID: "default",
                    verified: false,
                    actualPrimaryDigest: digest,
                    actualSHA256Digest: sha256,
                    actualBLAKE3Digest: digest,
                    actualSize: 5,
                    mismatch: "blake3 differs"
                ), .present
            ),
            (
                "VerifyResult",
                VerifyResult(
                    address: ContentAddress(digest),
                    backendID: "default",
                    verified: true,
                    actualPrimaryDigest: digest,
                    actualSHA256Digest: sha256,
                    actualBLAKE3Digest: digest,
                    actualSize: 5,
                    mismatch: nil
                ), .absent
            ),
        ]
        var problems: [String] = []
        for (schema, value, optionals) in samples {
            try check.compare(try encoder.encode(value), with: try check.schema(schema), at: schema, optionals: optionals, into: &problems)
        }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
    }
}
