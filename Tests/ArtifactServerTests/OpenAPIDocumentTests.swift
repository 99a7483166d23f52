import ArtifactControlPlane
import ArtifactServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// Keeps `/v1/openapi.yaml` true: the same routes as the router, and sample responses carry
/// exactly the statuses and required fields the document names. (schemathesis in `.ci/run`
/// then checks it against a live server with generated requests.)
@Suite("OpenAPI document")
struct OpenAPIDocumentTests {
    /// The served document, read through the API.
    static func document() async throws -> String {
        var text = ""
        try await ServerHarness.run { harness in
            text = try await harness.withClient { client in
                try await client.execute(uri: "/v1/openapi.yaml", method: .get) { String(buffer: $0.body) }
            }
        }
        return text
    }

    /// `path → methods`, from the document's `paths:` section (two-space path keys, four-space methods).
    static func operations(in yaml: String) -> [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        var current: String?
        var inPaths = false
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            if inPaths, !line.hasPrefix(" ") { inPaths = false }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                current = String(line.dropFirst(2).dropLast())
            } else if let path = current, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                result[path, default: []].insert(String(line.dropFirst(4).dropLast()))
            }
        }
        return result
    }

    /// `operationId → statuses` it documents.
    static func statuses(in yaml: String) -> [String: Set<String>] {
        var result: [String: Set<String>] = [:]
        var operation: String?
        for line in yaml.split(separator: "\n") {
            if line.hasPrefix("      operationId: ") { operation = String(line.dropFirst("      operationId: ".count)) }
            if let operation, line.hasPrefix("        '"), line.hasSuffix("':") {
                result[operation, default: []].insert(String(line.dropFirst(9).dropLast(2)))
            }
        }
        return result
    }

    /// The `required` list of component schema `name`.
    static func required(_ name: String, in yaml: String) -> Set<String>? {
        let lines = yaml.split(separator: "\n").map(String.init)
        guard let start = lines.firstIndex(of: "    \(name):"), start + 2 < lines.count else { return nil }
        let line = lines[start + 2]
        guard line.hasPrefix("      required: [") else { return [] }
        return Set(line.dropFirst("      required: [".count).dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }

    @Test("every router route is in the document, and every documented operation is a route")
    func routesMatch() async throws {
        let yaml = try await Self.document()
        let documented = Self.operations(in: yaml)
        var routed: [String: Set<String>] = [:]
        for route in APIRoute.all { routed[route.openAPIPath, default: []].insert(route.method.rawValue.lowercased()) }
        #expect(documented == routed)
        #expect(documented.values.reduce(0) { $0 + $1.count } == APIRoute.all.count)
    }

    @Test("operation ids are the route ids, and each documents its success status")
    func statusesDocumented() async throws {
        let yaml = try await Self.document()
        let statuses = Self.statuses(in: yaml)
        let success: [APIRouteID: String] = [
            .createNamespace: "201", .uploadBlob: "201", .commitVersion: "201", .placeHold: "201", .createToken: "201",
            .deleteVersion: "204", .deleteTag: "204", .releaseHold: "204", .deletePolicy: "204", .revokeToken: "204",
        ]
        for route in APIRoute.all {
            let documented = try #require(statuses[route.id == .openAPI ? "openapi" : route.id.rawValue], "\(route.id)")
            #expect(documented.contains(success[route.id] ?? "200"), "\(route.id): \(documented)")
        }
        #expect(statuses["getBlob"] == ["200", "206", "307", "304"])
        #expect(statuses["readyz"] == ["200", "503"])
    }

    @Test("sample responses have exactly the required fields of their schemas")
    func sampleResponsesMatch() async throws {
        let yaml = try await Self.document()
        try await ServerHarness.run { harness in
            let admin = harness.adminToken
            try await harness.withClient { client in
                func check(_ uri: String, _ method: HTTPRequest.Method, _ body: String?, schema: String, status: HTTPResponse.Status) async throws {
                    var headers = TestRequest.bearer(admin)
                    if body != nil { headers[.contentType] = method == .post && uri.hasSuffix("/blobs") ? "application/octet-stream" : "application/json" }
                    try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
                        #expect(response.status == status, "\(uri)")
                        let required = try #require(Self.required(schema, in: yaml), "schema \(schema)")
                        let keys = Set(response.json().keys)
                        #expect(required.isSubset(of: keys), "\(uri): \(schema) requires \(required), got \(keys)")
                    }
                }
                try await check("/v1/namespaces", .post, #"{"name":"team"}"#, schema: "Namespace", status: .created)
                try await check("/v1/namespaces", .get, nil, schema: "NamespacePage", status: .ok)
                try await check("/v1/namespaces/team/blobs", .post, "hello", schema: "Blob", status: .created)
                try await check("/v1/gc?dryRun=true", .post, nil, schema: "GarbageCollectionReport", status: .ok)
                try await check("/v1/scrub", .post, nil, schema: "ScrubReport", status: .ok)
                try await check("/v1/audit/verify", .get, nil, schema: "AuditChainReport", status: .ok)
                try await check("/v1/whoami", .get, nil, schema: "WhoAmI", status: .ok)
                try await check("/v1/tokens", .get, nil, schema: "TokenInfoPage", status: .ok)
                try await check("/readyz", .get, nil, schema: "Readiness", status: .ok)
                try await check("/v1/namespaces/none", .get, nil, schema: "Error", status: .notFound)
            }
        }
    }
}
