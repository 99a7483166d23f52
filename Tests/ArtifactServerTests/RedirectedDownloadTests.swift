import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactDataPlaneLocal
import ArtifactIdentity
import ArtifactServer
import ArtifactStorageS3
import ArtifactStoreAPI
import ArtifactStoreCore
import ArtifactStoreTestSupport
import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// Downloads from an S3 backend with `redirect=true`: authorised here, then answered `307` with a
/// presigned URL that moto serves; HEAD, 304 and 416 stay local, and an exempt namespace is
/// served through the server. Skipped, saying so, without ARTIFACTSTORE_TEST_S3_ENDPOINT.
@Suite(
    "Redirected downloads (S3, moto)",
    .timeLimit(.minutes(10)),
    .enabled(if: S3TestServer.isAvailable, "ARTIFACTSTORE_TEST_S3_ENDPOINT is not set")
)
struct RedirectedDownloadTests {
    static let content = ByteBuffer(bytes: (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 5) })
    static let redirectExpiry = 120

    /// A server over an S3 backend that redirects; namespaces `team` (redirected) and `direct`
    /// (exempt) each hold ``content`` as a blob and as `app@1.0:data.bin`.
    struct Setup: Sendable {
        let api: APIHandlers
        let controlPlane: ControlPlane
        let blob: LinkedBlob
        let reader: String
        let clock: TestClock
    }

    /// The control plane's clock: now, plus an offset a test may move.
    final class TestClock: Sendable {
        let offset = Mutex<TimeInterval>(0)
        func now() -> Date { Date().addingTimeInterval(offset.withLock { $0 }) }
    }

    static func withSetup(_ body: (Setup) async throws -> Void) async throws {
        var configuration = try S3TestServer.configuration(bucket: S3TestServer.uniqueBucketName(prefix: "redirect-"), prefix: "store")
        configuration.redirectExpiry = redirectExpiry
        let connector = try S3Connector(configuration: configuration, httpClient: .shared, logger: TestLogs.silent)
        try await connector.client.createBucket()
        let dataPlane = try LocalDataPlane(backends: [.init(id: "s3", connector: connector)], logger: TestLogs.silent)
        try await withCleanup {
            try await withSetup(dataPlane, body)
        } then: {
            await S3TestServer.removeBucket(connector.client)
        }
    }

    private static func withSetup(_ dataPlane: LocalDataPlane, _ body: (Setup) async throws -> Void) async throws {
        try await TestDatabase.sqlite.withLocation(maximumConnections: 4) { location in
            let clock = TestClock()
            let controlPlane = try await ControlPlane.open(
                location,
                dataPlane: dataPlane,
                configuration: ControlPlane.Configuration(redirectExemptNamespaces: ["direct"]),
                clock: { clock.now() },
                logger: TestLogs.silent
            )
            try await withCleanup {
                let context = RequestContext(actor: "test")
                var blob: LinkedBlob?
                for namespace in ["team", "direct"] {
                    _ = try await controlPlane.registry.createNamespace(namespace, context: context)
                    let linked = try await controlPlane.registry.ingestBlob(namespace: namespace, ByteStream(content), context: context)
                    let file = FileEntry(path: "data.bin", address: linked.address, mediaType: "application/x-test")
                    _ = try await controlPlane.registry.commitVersion(
                        VersionManifest(namespace: namespace, artifact: "app", version: "1.0", files: [file]),
                        context: context
                    )
                    blob = linked
                }
                let token = try await controlPlane.auth.createToken(
                    name: "reader",
                    grants: [Grant(.read, namespace: "team"), Grant(.read, namespace: "direct")],
                    expiresAt: nil,
                    context: context
                )
                let setup = Setup(
                    api: APIHandlers(controlPlane: controlPlane, metrics: ServerMetrics()),
                    controlPlane: controlPlane,
                    blob: try #require(blob),
                    reader: token.token,
                    clock: clock
                )
                try await body(setup)
            } then: {
                await controlPlane.close()
            }
        }
    }

    static func application(_ setup: Setup) -> some ApplicationProtocol {
        Application(
            router: setup.api.makeRouter(),
            server: ServeApplication.httpServer(limits: .patient),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            logger: TestLogs.silent
        )
    }

    static func withClient(_ setup: Setup, _ body: @Sendable @escaping (any TestClientProtocol) async throws -> Void) async throws {
        try await application(setup).test(.router) { client in try await body(client) }
    }

    /// GETs `url` from the object store (no credentials), with `range` when given.
    static func fetch(_ url: String, range: String? = nil) async throws -> (status: UInt, contentRange: String?, body: ByteBuffer) {
        var request = HTTPClientRequest(url: url)
        if let range { request.headers.add(name: "Range", value: range) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        return (response.status.code, response.headers.first(name: "Content-Range"), try await response.body.collect(upTo: 1 << 20))
    }

    /// The `X-Amz-…` query items of a presigned URL.
    static func query(_ url: String) throws -> [String: String] {
        let items = try #require(URLComponents(string: url)?.queryItems)
        return Dictionary(uniqueKeysWithValues: items.map { ($0.name, $0.value ?? "") })
    }

    @Test("a blob GET answers 307 to a presigned URL with the blob's validators; following it gives the bytes")
    func blobRedirect() async throws {
        try await Self.withSetup { setup in
            let address = setup.blob.address
            let location = try await Self.locationOf(setup, "/v1/namespaces/team/blobs/\(address)", range: nil) { response in
                #expect(response.headers[.eTag] == "\"\(address)\"")
                #expect(response.headers[HTTPField.Name("Repr-Digest")!] == "sha-256=:\(setup.blob.sha256.base64):")
                #expect(response.headers[.cacheControl] == "no-store")
                #expect(response.headers[.contentLength] == "0")
            }
            #expect(location.contains("/store/\(address.storageKey)?"))
            let query = try Self.query(location)
            #expect(query["X-Amz-Expires"] == "\(Self.redirectExpiry)")
            #expect(query["X-Amz-SignedHeaders"] == "host")
            let fetched = try await Self.fetch(location)
            #expect(fetched.status == 200)
            #expect(fetched.body == Self.content)
        }
    }

    @Test("a ranged GET is redirected too, and the object store answers the same Range")
    func rangedRedirect() async throws {
        try await Self.withSetup { setup in
            let location = try await Self.locationOf(setup, "/v1/namespaces/team/blobs/\(setup.blob.address)", range: "bytes=1000-1499")
            let fetched = try await Self.fetch(location, range: "bytes=1000-1499")
            #expect(fetched.status == 206)
            #expect(fetched.contentRange == "bytes 1000-1499/3000")
            #expect(fetched.body == Self.content.getSlice(at: 1000, length: 500))
        }
    }

    @Test("a version's file and an OCI blob GET are redirected; HEAD, If-None-Match and a bad range answer here")
    func fileOCIAndLocalAnswers() async throws {
        try await Self.withSetup { setup in
            let file = try await Self.locationOf(setup, "/v1/namespaces/team/artifacts/app/versions/1.0/files/data.bin", range: nil) {
                #expect($0.headers[.contentType] == nil)
            }
            #expect(try await Self.fetch(file).body == Self.content)
            let sha256 = "sha256:" + setup.blob.sha256.hex
            let oci = try await Self.locationOf(setup, "/v2/team/app/blobs/\(sha256)", range: nil) { response in
                #expect(response.headers[HTTPField.Name("Docker-Content-Digest")!] == sha256)
            }
            #expect(try await Self.fetch(oci, range: "bytes=0-9").body == Self.content.getSlice(at: 0, length: 10))

            try await Self.withClient(setup) { client in
                let uri = "/v1/namespaces/team/blobs/\(setup.blob.address)"
                try await client.execute(uri: uri, method: .head, headers: TestRequest.bearer(setup.reader)) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentLength] == "3000")
                    #expect(response.headers[.location] == nil)
                }
                try await client.execute(uri: "/v2/team/app/blobs/\(sha256)", method: .head, headers: TestRequest.bearer(setup.reader)) {
                    #expect($0.status == .ok)
                    #expect($0.headers[.location] == nil)
                }
                var conditional = TestRequest.bearer(setup.reader)
                conditional[.ifNoneMatch] = "\"\(setup.blob.address)\""
                try await client.execute(uri: uri, method: .get, headers: conditional) { #expect($0.status == .notModified) }
                var outside = TestRequest.bearer(setup.reader)
                outside[.range] = "bytes=5000-6000"
                try await client.execute(uri: uri, method: .get, headers: outside) {
                    #expect($0.status == .rangeNotSatisfiable)
                    #expect($0.headers[.location] == nil)
                }
            }
        }
    }

    @Test("an exempt namespace is served through the server; a refused request gets no URL")
    func exemptNamespaceAndRefusals() async throws {
        try await Self.withSetup { setup in
            try await Self.withClient(setup) { client in
                let address = setup.blob.address
                let reader = TestRequest.bearer(setup.reader)
                try await client.execute(uri: "/v1/namespaces/direct/blobs/\(address)", method: .get, headers: reader) {
                    #expect($0.status == .ok)
                    #expect($0.body == Self.content)
                }
                try await client.execute(
                    uri: "/v1/namespaces/direct/artifacts/app/versions/1.0/files/data.bin",
                    method: .get,
                    headers: reader
                ) {
                    #expect($0.status == .ok)
                    #expect($0.headers[.contentType] == "application/x-test")
                    #expect($0.body == Self.content)
                }
                for headers in [TestRequest.bearer(nil), TestRequest.bearer("ast_0000000000000000_" + String(repeating: "0", count: 64))] {
                    try await client.execute(uri: "/v1/namespaces/team/blobs/\(address)", method: .get, headers: headers) {
                        #expect($0.status == .unauthorized)
                        #expect($0.headers[.location] == nil)
                    }
                    try await client.execute(uri: "/v2/team/app/blobs/sha256:\(setup.blob.sha256.hex)", method: .get, headers: headers) {
                        #expect($0.status == .unauthorized)
                        #expect($0.headers[.location] == nil)
                    }
                }
            }
        }
    }

    @Test("a namespace's own switch (PUT settings downloadRedirects) serves it through the server at once, audited; on again redirects")
    func namespaceSwitch() async throws {
        try await Self.withSetup { setup in
            let context = RequestContext(actor: "test")
            let admin = try await setup.controlPlane.auth.createToken(
                name: "team-admin",
                grants: [Grant(.admin, namespace: "team")],
                expiresAt: nil,
                context: context
            )
            try await Self.withClient(setup) { client in
                let blob = "/v1/namespaces/team/blobs/\(setup.blob.address)"
                let reader = TestRequest.bearer(setup.reader)
                try await client.execute(uri: blob, method: .get, headers: reader) { #expect($0.status == .temporaryRedirect) }
                // A value of the wrong type is refused and changes nothing; a reader may not change it.
                let (badHeaders, badBody) = TestRequest.json(admin.token, #"{"downloadRedirects":"no"}"#)
                try await client.execute(uri: "/v1/namespaces/team/settings", method: .put, headers: badHeaders, body: badBody) {
                    #expect($0.status == .badRequest)
                }
                let (readerHeaders, offBody) = TestRequest.json(setup.reader, #"{"downloadRedirects":false}"#)
                try await client.execute(uri: "/v1/namespaces/team/settings", method: .put, headers: readerHeaders, body: offBody) {
                    #expect($0.status == .forbidden)
                }
                try await client.execute(uri: blob, method: .get, headers: reader) { #expect($0.status == .temporaryRedirect) }
                let (offHeaders, off) = TestRequest.json(admin.token, #"{"downloadRedirects":false}"#)
                try await client.execute(uri: "/v1/namespaces/team/settings", method: .put, headers: offHeaders, body: off) {
                    #expect($0.status == .ok)
                    #expect($0.json()["downloadRedirects"] as? Bool == false)
                    #expect($0.json()["publicRead"] as? Bool == false)
                }
                try await client.execute(uri: blob, method: .get, headers: reader) {
                    #expect($0.status == .ok)
                    #expect($0.headers[.location] == nil)
                    #expect($0.body == Self.content)
                }
                try await client.execute(
                    uri: "/v1/namespaces/team/artifacts/app/versions/1.0/files/data.bin",
                    method: .get,
                    headers: reader
                ) {
                    #expect($0.status == .ok)
                    #expect($0.body == Self.content)
                }
                let (onHeaders, on) = TestRequest.json(admin.token, #"{"downloadRedirects":true}"#)
                try await client.execute(uri: "/v1/namespaces/team/settings", method: .put, headers: onHeaders, body: on) {
                    #expect($0.status == .ok)
                    #expect($0.json()["downloadRedirects"] as? Bool == true)
                }
                try await client.execute(uri: blob, method: .get, headers: reader) { #expect($0.status == .temporaryRedirect) }
            }
            let updates = try await setup.controlPlane.audit.records(AuditFilter(action: "namespace.update")).items.map { $0.detail ?? "" }
            #expect(updates == ["download redirects off", "download redirects on"])
        }
    }

    /// moto does not enforce X-Amz-Expires (nor the signature), so the expiry is checked in the
    /// URL: minted by a control-plane clock an hour behind, it says it expired long ago.
    @Test("the presigned URL is minted by the control plane's clock and carries the configured expiry")
    func expiryFollowsTheClock() async throws {
        try await Self.withSetup { setup in
            setup.clock.offset.withLock { $0 = -3600 }
            let minted = Date().addingTimeInterval(-3600)
            let registry = setup.controlPlane.registry
            let redirect = try #require(try await registry.downloadRedirect(namespace: "team", address: setup.blob.address))
            #expect(abs(redirect.expires.timeIntervalSince(minted) - TimeInterval(Self.redirectExpiry)) < 5)
            #expect(redirect.expires < Date())
            let query = try Self.query(redirect.url)
            let format = DateFormatter()
            format.locale = Locale(identifier: "en_US_POSIX")
            format.timeZone = TimeZone(identifier: "UTC")
            format.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
            let amzDate = try #require(query["X-Amz-Date"])
            let date = try #require(format.date(from: amzDate))
            #expect(abs(date.timeIntervalSince(minted)) < 5)
            #expect(query["X-Amz-Expires"] == "\(Self.redirectExpiry)")
            #expect(redirect.backendID == "s3")
            #expect(try await setup.controlPlane.registry.downloadRedirect(namespace: "direct", address: setup.blob.address) == nil)
        }
    }

    /// The `Location` of a `307` answer to a GET of `uri` by the reader.
    static func locationOf(
        _ setup: Setup,
        _ uri: String,
        range: String?,
        check: @Sendable @escaping (TestResponse) -> Void = { _ in }
    ) async throws -> String {
        var headers = TestRequest.bearer(setup.reader)
        if let range { headers[.range] = range }
        let location = try await application(setup).test(.router) { [headers] client in
            try await client.execute(uri: uri, method: .get, headers: headers) { @Sendable response in
                #expect(response.status == .temporaryRedirect)
                #expect(response.body.readableBytes == 0)
                check(response)
                return response.headers[.location]
            }
        }
        return try #require(location)
    }
}
