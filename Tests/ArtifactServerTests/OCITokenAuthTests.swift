import ArtifactControlPlane
import ArtifactStoreAPI
import ArtifactStoreTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import ArtifactServer

/// The registry token flow over HTTP (docs/oci.md, "Token authentication"): the Bearer
/// challenge, `/v2/token`, pushes and pulls with the JWT, and the refusals.
@Suite("OCI token authentication", .timeLimit(.minutes(10)))
struct OCITokenAuthTests {
    static let settings = RegistryTokenSettings(service: "registry.test", issuer: "registry.test")
    static let configuration = ControlPlane.Configuration(registryTokens: settings)

    static func basic(_ token: String, user: String = "ci") -> HTTPFields {
        [.authorization: "Basic \(Data("\(user):\(token)".utf8).base64EncodedString())"]
    }

    /// `GET /v2/token` with `scopes`; returns the JWT, checking the answer's shape.
    static func fetchToken(_ client: any TestClientProtocol, _ scopes: [String], headers: HTTPFields = [:]) async throws -> String {
        let query = (["service=registry.test"] + scopes.map { "scope=\($0)" }).joined(separator: "&")
        return try await client.execute(uri: "/v2/token?\(query)", method: .get, headers: headers) { response in
            #expect(response.status == .ok, "\(String(buffer: response.body))")
            #expect(response.headers[.cacheControl] == "no-store")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any])
            let token = try #require(object["token"] as? String)
            #expect(object["access_token"] as? String == token)
            #expect(object["expires_in"] as? Int == 300)
            #expect((object["issued_at"] as? String).flatMap { ISO8601DateFormatter().date(from: $0) } != nil)
            return token
        }
    }

    static func claims(_ jwt: String) throws -> [String: Any] {
        var part = String(jwt.split(separator: ".")[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while part.count % 4 != 0 { part += "=" }
        let data = try #require(Data(base64Encoded: part))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test("401s carry the Bearer challenge with realm, service and the route's scope; a configured realm is used as is")
    func challenge() async throws {
        try await ServerHarness.run(configuration: Self.configuration) { harness in
            _ = try await OCIDistributionAPITests.setUp(harness)
            try await harness.withClient { client in
                try await client.execute(uri: "/v2/", method: .get) { response in
                    #expect(response.status == .unauthorized)
                    let value = try #require(response.headers[.wwwAuthenticate])
                    #expect(
                        value.hasPrefix(#"Bearer realm="http://"#) && value.hasSuffix(#"/v2/token",service="registry.test""#),
                        "\(value)"
                    )
                }
                try await client.execute(uri: "/v2/team/app/manifests/latest", method: .get) { response in
                    #expect(response.status == .unauthorized)
                    #expect(
                        response.headers[.wwwAuthenticate]?.hasSuffix(#",service="registry.test",scope="repository:team/app:pull""#) == true
                    )
                }
                try await client.execute(uri: "/v2/team/app/blobs/uploads/", method: .post) { response in
                    #expect(response.headers[.wwwAuthenticate]?.hasSuffix(#"scope="repository:team/app:pull,push""#) == true)
                }
            }
        }
        // The Host goes into a header: anything but a plain host[:port] becomes localhost.
        #expect(OCIDistributionAPI.safeAuthority("registry.local:5000") == "registry.local:5000")
        #expect(OCIDistributionAPI.safeAuthority("[::1]:80") == "[::1]:80")
        for hostile in ["evil\"host", "a b", "x\r\nSet-Cookie: y", "", nil] {
            #expect(OCIDistributionAPI.safeAuthority(hostile) == "localhost")
        }
        var configured = Self.configuration
        configured.registryTokens?.realm = "https://registry.example.org/v2/token"
        try await ServerHarness.run(configuration: configured) { harness in
            try await harness.withClient { client in
                try await client.execute(uri: "/v2/", method: .get) { response in
                    #expect(
                        response.headers[.wwwAuthenticate]
                            == #"Bearer realm="https://registry.example.org/v2/token",service="registry.test""#
                    )
                }
            }
        }
    }

    @Test("a JWT from /v2/token pushes, pulls and mounts across namespaces; Basic keeps working", arguments: TestDatabase.allCases)
    func pushPullMount(database: TestDatabase) async throws {
        try await ServerHarness.run(database, configuration: Self.configuration) { harness in
            let token = try await OCIDistributionAPITests.setUp(harness, namespaces: ["team", "other"])
            let tokenID = try await harness.controlPlane.auth.authenticate(token: token, context: RequestContext(actor: "test")).tokenID
            let layer = OCITest.bytes(3000, seed: 7)
            let config = Array(#"{"architecture":"amd64"}"#.utf8)
            let manifest = OCITest.manifest(config: config, layers: [layer])
            try await harness.withClient { client in
                let jwt = try await Self.fetchToken(client, ["repository:team/app:pull,push"], headers: Self.basic(token))
                #expect(try Self.claims(jwt)["sub"] as? String == "token:\(tokenID)")
                try await OCITest.pushBlob(client, "team/app", layer, token: jwt)
                try await OCITest.pushBlob(client, "team/app", config, token: jwt)
                try await OCITest.pushManifest(client, "team/app", "v1", manifest, token: jwt)
                try await client.execute(uri: "/v2/team/app/manifests/v1", method: .get, headers: OCITest.headers(jwt)) { response in
                    #expect(response.status == .ok)
                    #expect(Array(response.body.readableBytesView) == manifest)
                }
                // The audit records name the identity the JWT was issued to.
                let commits = try await harness.controlPlane.audit.records(AuditFilter(action: "version.commit"), page: .first(1000)).items
                #expect(commits.last?.actor == "token:\(tokenID)")

                // Mount into another namespace: the JWT must grant pull on the source.
                let mount = "/v2/other/app/blobs/uploads/?mount=\(OCITest.digest(layer))&from=team/app"
                let both = try await Self.fetchToken(
                    client,
                    ["repository:other/app:pull,push", "repository:team/app:pull"],
                    headers: Self.basic(token)
                )
                try await client.execute(uri: mount, method: .post, headers: OCITest.headers(both)) { response in
                    #expect(response.status == .created)
                }
                let targetOnly = try await Self.fetchToken(client, ["repository:other/app:pull,push"], headers: Self.basic(token))
                try await client.execute(uri: mount, method: .post, headers: OCITest.headers(targetOnly)) { response in
                    #expect(response.status == .accepted, "no pull on the source: an ordinary upload session")
                }
                // Basic with the store token still works on /v2.
                try await client.execute(uri: "/v2/team/app/manifests/v1", method: .head, headers: Self.basic(token)) { response in
                    #expect(response.status == .ok)
                }
            }
        }
    }

    @Test("refused: widened scope, /v1 with a JWT, bad credentials, malformed scope, another service, token auth off")
    func refusals() async throws {
        try await ServerHarness.run(configuration: Self.configuration) { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "test"))
            let reader = try await harness.token([Grant(.read, namespace: "team")], name: "reader")
            try await harness.withClient { client in
                let jwt = try await Self.fetchToken(client, ["repository:team/app:pull,push"], headers: Self.basic(reader))
                let access = try #require(try Self.claims(jwt)["access"] as? [[String: Any]])
                #expect(access.count == 1 && access[0]["actions"] as? [String] == ["pull"])
                try await client.execute(uri: "/v2/team/app/blobs/uploads/", method: .post, headers: OCITest.headers(jwt)) { response in
                    #expect(response.status == .forbidden)
                    #expect(response.ociErrorCode == "DENIED")
                    #expect(
                        response.headers[.wwwAuthenticate]?.hasSuffix(#"scope="repository:team/app:pull,push",error="insufficient_scope""#)
                            == true
                    )
                }
                try await client.execute(uri: "/v2/team/other/tags/list", method: .get, headers: OCITest.headers(jwt)) { response in
                    #expect(response.status == .forbidden, "another repository of the same namespace")
                }
                try await client.execute(uri: "/v1/namespaces/team", method: .get, headers: OCITest.headers(jwt)) { response in
                    #expect(response.status == .forbidden, "a registry JWT opens no /v1 route")
                }
                try await client.execute(
                    uri: "/v2/token?scope=repository:team/app:pull",
                    method: .get,
                    headers: Self.basic("ast_0000000000000000_" + String(repeating: "0", count: 64))
                ) { response in
                    #expect(response.status == .unauthorized)
                    #expect(response.ociErrorCode == "UNAUTHORIZED")
                    #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer realm=") == true)
                }
                for query in [
                    "scope=repository:team/app:write", "scope=repository:app:pull", "scope=nonsense",
                    "service=other&scope=repository:team/app:pull",
                ] {
                    try await client.execute(uri: "/v2/token?\(query)", method: .get, headers: Self.basic(reader)) { response in
                        #expect(response.status == .badRequest, "\(query)")
                        #expect(response.ociErrorCode == "NAME_INVALID", "\(query)")
                    }
                }
                // A tampered JWT: every byte of the payload is checked.
                let parts = jwt.split(separator: ".").map(String.init)
                try await client.execute(
                    uri: "/v2/team/app/tags/list",
                    method: .get,
                    headers: OCITest.headers(parts[0] + "." + parts[1] + "A." + parts[2])
                ) { response in
                    #expect(response.status == .unauthorized)
                }
            }
        }
        try await ServerHarness.run { harness in
            try await harness.withClient { client in
                try await client.execute(
                    uri: "/v2/token?scope=repository:team/app:pull",
                    method: .get,
                    headers: Self.basic(harness.adminToken)
                ) { response in
                    #expect(response.status == .notFound)
                }
            }
        }
    }

    @Test(
        "public namespaces: anonymous pull and /v1 reads, anonymous tokens grant pull there only; writes and private namespaces refused",
        arguments: TestDatabase.allCases
    )
    func publicNamespaces(database: TestDatabase) async throws {
        try await ServerHarness.run(database, configuration: Self.configuration) { harness in
            let writer = try await OCIDistributionAPITests.setUp(harness, namespaces: ["pub", "priv"])
            let layer = OCITest.bytes(100, seed: 3)
            let manifest = OCITest.manifest(config: Array("{}".utf8), layers: [layer])
            try await harness.withClient { client in
                for namespace in ["pub", "priv"] {
                    try await OCITest.pushBlob(client, "\(namespace)/app", layer, token: writer)
                    try await OCITest.pushBlob(client, "\(namespace)/app", Array("{}".utf8), token: writer)
                    try await OCITest.pushManifest(client, "\(namespace)/app", "v1", manifest, token: writer)
                }
                // Making a namespace public needs admin on it.
                try await client.execute(
                    uri: "/v1/namespaces/pub/settings",
                    method: .put,
                    headers: OCITest.headers(writer, [.contentType: "application/json"]),
                    body: ByteBuffer(string: #"{"publicRead":true}"#)
                ) { response in
                    #expect(response.status == .forbidden)
                }
                try await client.execute(uri: "/v1/namespaces/pub", method: .get) { response in
                    #expect(response.status == .unauthorized, "private until made public")
                }
                try await client.execute(
                    uri: "/v1/namespaces/pub/settings",
                    method: .put,
                    headers: OCITest.headers(harness.adminToken, [.contentType: "application/json"]),
                    body: ByteBuffer(string: #"{"publicRead":true}"#)
                ) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body).contains(#""publicRead":true"#))
                }
                try await client.execute(uri: "/v1/namespaces/pub", method: .get) { response in
                    #expect(response.status == .ok)
                }
                try await client.execute(uri: "/v2/pub/app/manifests/v1", method: .get) { response in
                    #expect(response.status == .ok)
                }
                try await client.execute(uri: "/v2/pub/app/blobs/\(OCITest.digest(layer))", method: .get) { response in
                    #expect(Array(response.body.readableBytesView) == layer)
                }
                for path in ["/v2/priv/app/manifests/v1", "/v1/namespaces/priv"] {
                    try await client.execute(uri: path, method: .get) { response in
                        #expect(response.status == .unauthorized, "\(path)")
                    }
                }
                try await client.execute(
                    uri: "/v2/pub/app/blobs/uploads/?digest=\(OCITest.digest(layer))",
                    method: .post,
                    body: ByteBuffer(bytes: layer)
                ) { response in
                    #expect(response.status == .unauthorized, "anonymous write")
                }
                try await client.execute(uri: "/v1/namespaces/pub/blobs", method: .post, body: ByteBuffer(bytes: layer)) { response in
                    #expect(response.status == .unauthorized, "anonymous /v1 write")
                }
                // Anonymous token requests: pull on the public namespace only, nothing else.
                let anonymous = try await Self.fetchToken(
                    client,
                    ["repository:pub/app:pull,push", "repository:priv/app:pull"]
                )
                let access = try #require(try Self.claims(anonymous)["access"] as? [[String: Any]])
                #expect(access.count == 1 && access[0]["name"] as? String == "pub/app" && access[0]["actions"] as? [String] == ["pull"])
                #expect(try Self.claims(anonymous)["sub"] as? String == "anonymous")
                try await client.execute(uri: "/v2/priv/app/manifests/v1", method: .get, headers: OCITest.headers(anonymous)) { response in
                    #expect(response.status == .forbidden)
                }
                // Private again: anonymous reads stop at once.
                _ = try await harness.controlPlane.registry.setPublicRead("pub", false, context: RequestContext(actor: "test"))
                try await client.execute(uri: "/v2/pub/app/manifests/v1", method: .get) { response in
                    #expect(response.status == .unauthorized)
                }
            }
            let updates = try await harness.controlPlane.audit.records(AuditFilter(action: "namespace.update"), page: .first(1000)).items
            #expect(updates.map(\.detail) == ["public read on", "public read off"])
        }
    }
}
