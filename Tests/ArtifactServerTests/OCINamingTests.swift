import ArtifactControlPlane
import ArtifactOCI
import ArtifactServer
import ArtifactStoreAPI
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// The names OCI users expect (docs/oci.md, "Mapping onto the registry"): single-component
/// repositories in a default namespace, namespaces made by pushes the token may make, and a
/// catalog of OCI repositories only.
@Suite("OCI naming", .timeLimit(.minutes(10)))
struct OCINamingTests {
    /// Runs `body` with a client of `harness`'s server under `naming`.
    static func withClient(
        _ harness: ServerHarness,
        naming: OCINamingPolicy,
        _ body: @Sendable @escaping (any TestClientProtocol) async throws -> Void
    ) async throws {
        var api = harness.api
        api.ociNaming = naming
        let app = Application(
            router: api.makeRouter(),
            server: ServeApplication.httpServer(limits: .patient),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            logger: ServerHarness.silent
        )
        try await app.test(.router) { client in try await body(client) }
    }

    static func namespaceExists(_ harness: ServerHarness, _ name: String) async throws -> Bool {
        do {
            _ = try await harness.controlPlane.registry.namespace(name)
            return true
        } catch  where error.kind == .namespaceNotFound {
            return false
        }
    }

    @Test("a single-component name goes into the default namespace; Location names it as the client did", arguments: TestDatabase.allCases)
    func singleComponent(database: TestDatabase) async throws {
        try await ServerHarness.run(database) { harness in
            _ = try await harness.controlPlane.registry.createNamespace("library", context: RequestContext(actor: "test"))
            let token = try await harness.token([Grant(.write, namespace: "library")])
            let config = Array("{}".utf8)
            let manifest = OCITest.manifest(config: config, layers: [])
            try await Self.withClient(harness, naming: OCINamingPolicy(defaultNamespace: "library")) { client in
                try await client.execute(
                    uri: "/v2/app/blobs/uploads/?digest=\(OCITest.digest(config))",
                    method: .post,
                    headers: OCITest.headers(token),
                    body: ByteBuffer(bytes: config)
                ) { response in
                    #expect(response.status == .created)
                    #expect(response.headers[OCITest.location] == "/v2/app/blobs/\(OCITest.digest(config))")
                }
                let digest = try await OCITest.pushManifest(client, "app", "v1", manifest, token: token)
                for name in ["app", "library/app"] {
                    try await client.execute(uri: "/v2/\(name)/manifests/v1", method: .get, headers: OCITest.headers(token)) { response in
                        #expect(response.status == .ok, "\(name)")
                        #expect(response.headers[OCITest.contentDigest] == digest)
                    }
                }
                try await client.execute(uri: "/v2/app/tags/list", method: .get, headers: OCITest.headers(token)) { response in
                    #expect(response.jsonObject["name"] as? String == "app")
                    #expect(response.jsonObject["tags"] as? [String] == ["v1"])
                }
            }
            let version = try await harness.controlPlane.registry.tag(namespace: "library", artifact: "app", tag: "v1")
            #expect(version.version == "sha256-" + String(OCITest.digest(manifest).dropFirst("sha256:".count)))
        }
    }

    @Test("without a default namespace a single-component name is NAME_INVALID saying what the operator can set")
    func singleComponentRefused() async throws {
        try await ServerHarness.run { harness in
            try await Self.withClient(harness, naming: OCINamingPolicy()) { client in
                try await client.execute(uri: "/v2/app/manifests/v1", method: .get, headers: OCITest.headers(harness.adminToken)) {
                    response in
                    #expect(response.status == .badRequest)
                    #expect(response.ociErrorCode == "NAME_INVALID")
                    #expect(String(buffer: response.body).contains("ociDefaultNamespace"))
                }
            }
        }
    }

    @Test("a push into a missing namespace creates it for a global-write token, audited", arguments: TestDatabase.allCases)
    func pushCreatesNamespace(database: TestDatabase) async throws {
        try await ServerHarness.run(database) { harness in
            let writer = try await harness.token([.global(.write)])
            let config = Array("{}".utf8)
            try await Self.withClient(harness, naming: OCINamingPolicy()) { client in
                try await OCITest.pushBlob(client, "fresh/app", config, token: writer)
                try await OCITest.pushManifest(client, "fresh/app", "v1", OCITest.manifest(config: config, layers: []), token: writer)
            }
            #expect(try await Self.namespaceExists(harness, "fresh"))
            let records = try await harness.controlPlane.audit.records(AuditFilter(namespace: "fresh", action: "namespace.create"))
            #expect(records.items.count == 1)
        }
    }

    @Test(
        "a token that may not create the namespace gets NAME_UNKNOWN saying how to create it, nothing made; namespace-write; never"
    )
    func pushCreationRules() async throws {
        try await ServerHarness.run { harness in
            let scoped = try await harness.token([Grant(.write, namespace: "fresh")])
            let config = Array("{}".utf8)
            let digest = OCITest.digest(config)
            let refusals: [(OCINamingPolicy, String)] = [
                (OCINamingPolicy(), scoped), (OCINamingPolicy(namespaceCreation: .never), harness.adminToken),
            ]
            for (policy, token) in refusals {
                try await Self.withClient(harness, naming: policy) { client in
                    for uri in ["/v2/fresh/app/blobs/uploads/", "/v2/fresh/app/blobs/uploads/?digest=\(digest)"] {
                        try await client.execute(uri: uri, method: .post, headers: OCITest.headers(token), body: ByteBuffer(bytes: config))
                        { response in
                            #expect(response.status == .notFound)
                            #expect(response.ociErrorCode == "NAME_UNKNOWN")
                            let message = (response.jsonObject["errors"] as? [[String: Any]])?.first?["message"] as? String ?? ""
                            #expect(message.contains(#"POST /v1/namespaces {"name":"fresh"}, or artifactstore push fresh/…"#), "\(message)")
                        }
                    }
                    try await client.execute(
                        uri: "/v2/fresh/app/manifests/v1",
                        method: .put,
                        headers: OCITest.headers(token, [.contentType: "application/vnd.oci.image.manifest.v1+json"]),
                        body: ByteBuffer(bytes: OCITest.manifest(config: config, layers: []))
                    ) { response in
                        #expect(response.ociErrorCode == "NAME_UNKNOWN")
                    }
                }
                #expect(try await !Self.namespaceExists(harness, "fresh"))
            }
            try await Self.withClient(harness, naming: OCINamingPolicy(namespaceCreation: .namespaceWrite)) { client in
                try await OCITest.pushBlob(client, "fresh/app", config, token: scoped)
            }
            #expect(try await Self.namespaceExists(harness, "fresh"))
        }
    }

    @Test("_catalog lists only repositories holding OCI manifests, not /v1 artifacts", arguments: TestDatabase.allCases)
    func catalogOfOCIRepositories(database: TestDatabase) async throws {
        try await ServerHarness.run(database) { harness in
            let context = RequestContext(actor: "test")
            _ = try await harness.controlPlane.registry.createNamespace("team", context: context)
            let blob = try await harness.controlPlane.registry.ingestBlob(
                namespace: "team",
                ByteStream(ByteBuffer(bytes: [1, 2, 3])),
                context: context
            )
            _ = try await harness.controlPlane.registry.commitVersion(
                VersionManifest(namespace: "team", artifact: "plain", version: "1.0", files: [FileEntry(path: "a", address: blob.address)]),
                context: context
            )
            let config = Array("{}".utf8)
            try await Self.withClient(harness, naming: OCINamingPolicy()) { client in
                try await OCITest.pushBlob(client, "team/image", config, token: harness.adminToken)
                try await OCITest.pushManifest(
                    client,
                    "team/image",
                    "v1",
                    OCITest.manifest(config: config, layers: []),
                    token: harness.adminToken
                )
                try await client.execute(uri: "/v2/_catalog", method: .get, headers: OCITest.headers(harness.adminToken)) { response in
                    #expect(response.jsonObject["repositories"] as? [String] == ["team/image"])
                }
            }
        }
    }

    @Test("ociDefaultNamespace and ociCreateNamespaces are read and checked")
    func configuration() async throws {
        let loaded = try await ServerConfiguration.load(
            environment: ["ARTIFACTSTORE_OCI_DEFAULT_NAMESPACE": "library", "ARTIFACTSTORE_OCI_CREATE_NAMESPACES": "never"])
        #expect(loaded.ociNaming == OCINamingPolicy(defaultNamespace: "library", namespaceCreation: .never))
        #expect(try await ServerConfiguration.load(environment: [:]).ociNaming == OCINamingPolicy())
        for (key, value) in [("ARTIFACTSTORE_OCI_DEFAULT_NAMESPACE", "Bad Name"), ("ARTIFACTSTORE_OCI_CREATE_NAMESPACES", "always")] {
            await #expect(throws: ServerConfigurationError.self) { try await ServerConfiguration.load(environment: [key: value]) }
        }
    }
}
