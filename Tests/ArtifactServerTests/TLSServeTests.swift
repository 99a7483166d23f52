import ArtifactIdentity
import ArtifactStoreCore
import ArtifactStoreTestSupport
import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import Testing

@testable import ArtifactServer

/// `serve --tls-cert/--tls-key` (issue 20, part 1): the server's own HTTP stack inside
/// Hummingbird's TLS channel, with certificates `openssl` makes per test. A client trusting the
/// CA is served, a certificate for another host name is refused, a reload presents the new
/// certificate to new connections while an open connection keeps working, and bad files are
/// refused with `tlsUnusable` naming the key and the file.
@Suite(
    "TLS in serve",
    .serialized,
    .timeLimit(.minutes(5)),
    .enabled(if: TestCertificateAuthority.isAvailable, "openssl is not on PATH")
)
struct TLSServeTests {
    static let bytes: [UInt8] = [UInt8](count: 1_500_000) { UInt8(truncatingIfNeeded: $0 &* 31) }

    /// A router with `/hello` and `/download`: a stream offering a file slice (over 1 MiB, so
    /// ``DownloadBody`` would send it with `sendfile`), which under TLS must go as buffers.
    static func router(descriptor: CInt) -> Router<ServerRequestContext> {
        let router = Router(context: ServerRequestContext.self)
        router.get("/hello") { _, _ in "hello over TLS" }
        router.get("/download") { _, context in
            let slice = ByteStreamFileSlice(descriptor: descriptor, range: 0..<UInt64(bytes.count), owner: 0) {}
            return Response(
                status: .ok,
                headers: [.contentLength: "\(bytes.count)"],
                body: DownloadBody.make(
                    ByteStream(ByteStream(buffers: [ByteBuffer(bytes: bytes)]), fileSlice: slice),
                    channel: context.channel,
                    metrics: ServerMetrics()
                )
            )
        }
        return router
    }

    /// Serves over TLS with `reloader` and runs `body` with the port; `clients` are shut down
    /// before the server stops, so no kept-alive connection holds up its graceful shutdown.
    static func withServer(
        _ reloader: TLSCertificateReloader,
        clients: [HTTPClient],
        limits: ConnectionLimits = .patient,
        _ body: @Sendable (Int) async throws -> Void
    ) async throws {
        let file = NSTemporaryDirectory() + "artifactstore-tls-body-\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let descriptor = open(file, O_RDONLY)
        defer {
            close(descriptor)
            try? FileManager.default.removeItem(atPath: file)
        }
        try #require(descriptor >= 0)
        try await serve(router(descriptor: descriptor), reloader, clients: clients, limits: limits, body)
    }

    /// Serves `router` over TLS with `reloader` (HTTP/2 offered by ALPN unless `http2` is false)
    /// and runs `body` with the port; `clients` are shut down before the server stops.
    static func serve(
        _ router: Router<ServerRequestContext>,
        _ reloader: TLSCertificateReloader,
        clients: [HTTPClient],
        limits: ConnectionLimits = .patient,
        http2: Bool = true,
        _ body: @Sendable (Int) async throws -> Void
    ) async throws {
        let app = Application(
            router: router,
            server: try ServeApplication.httpServer(limits: limits, tls: reloader, http2: http2),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            logger: TestLogs.silent
        )
        try await app.test(.live) { client in
            do {
                try await body(try #require(client.port))
            } catch {
                for client in clients { try? await client.shutdown() }
                throw error
            }
            for client in clients { try await client.shutdown() }
        }
    }

    /// A reloader presenting `issued`.
    static func reloader(_ issued: TestCertificateAuthority.Issued) throws -> TLSCertificateReloader {
        try TLSCertificateReloader(certificateFile: issued.certificatePath, keyFile: issued.keyPath, logger: TestLogs.silent)
    }

    /// An HTTPS client trusting only `caFile` (no system roots), keeping connections alive,
    /// offering HTTP/2 by ALPN unless `httpVersion` is `.http1Only`.
    static func client(trusting caFile: String, httpVersion: HTTPClient.Configuration.HTTPVersion = .automatic) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.httpVersion = httpVersion
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 1)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    static func get(_ client: HTTPClient, _ url: String) async throws -> (status: Int, body: [UInt8]) {
        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 4 << 20)
        return (Int(response.status.code), Array(body.readableBytesView))
    }

    @Test("a client trusting the CA is served over TLS (JSON route and a file download), and refuses the same server without it")
    func servedToTrustingClient() async throws {
        let authority = try TestCertificateAuthority()
        defer { authority.remove() }
        let issued = try authority.issue("server")
        let reloader = try Self.reloader(issued)
        let trusting = try Self.client(trusting: authority.certificatePath)
        let other = try TestCertificateAuthority(name: "Another CA")
        defer { other.remove() }
        let untrusting = try Self.client(trusting: other.certificatePath)
        try await Self.withServer(reloader, clients: [trusting, untrusting]) { port in
            let hello = try await Self.get(trusting, "https://localhost:\(port)/hello")
            #expect(hello.status == 200 && hello.body == Array("hello over TLS".utf8))
            let download = try await Self.get(trusting, "https://localhost:\(port)/download")
            #expect(download.status == 200)
            #expect(download.body == Self.bytes)
            await #expect(throws: (any Error).self) { _ = try await Self.get(untrusting, "https://localhost:\(port)/hello") }
        }
    }

    @Test("a certificate issued for another host name is refused by a client that trusts its CA")
    func wrongHostNameRefused() async throws {
        let authority = try TestCertificateAuthority()
        defer { authority.remove() }
        let issued = try authority.issue("elsewhere", hosts: ["elsewhere.example"])
        let reloader = try Self.reloader(issued)
        let client = try Self.client(trusting: authority.certificatePath)
        try await Self.withServer(reloader, clients: [client]) { port in
            let error = await #expect(throws: (any Error).self) { _ = try await Self.get(client, "https://localhost:\(port)/hello") }
            #expect(error is NIOSSLExtraError, "\(String(describing: error))")
        }
    }

    @Test("reload (what SIGHUP calls): new connections get the new certificate, an open one keeps working, a bad pair changes nothing")
    func reloadPresentsNewCertificate() async throws {
        let first = try TestCertificateAuthority(name: "First CA")
        let second = try TestCertificateAuthority(name: "Second CA")
        defer {
            first.remove()
            second.remove()
        }
        let live = first.directory + "/live"
        let issuedFirst = try first.issue("server")
        let issuedSecond = try second.issue("server")
        try FileManager.default.copyItem(atPath: issuedFirst.certificatePath, toPath: live + ".pem")
        try FileManager.default.copyItem(atPath: issuedFirst.keyPath, toPath: live + ".key")
        let reloader = try TLSCertificateReloader(certificateFile: live + ".pem", keyFile: live + ".key", logger: TestLogs.silent)
        let trustsFirst = try Self.client(trusting: first.certificatePath)
        let trustsSecond = try Self.client(trusting: second.certificatePath)
        try await Self.withServer(reloader, clients: [trustsFirst, trustsSecond]) { port in
            let url = "https://localhost:\(port)/hello"
            #expect(try await Self.get(trustsFirst, url).status == 200)
            await #expect(throws: (any Error).self) { _ = try await Self.get(trustsSecond, url) }

            // The renewed pair replaces the files, as certbot or a secret mount would.
            try Self.replace(live + ".pem", with: issuedSecond.certificatePath)
            try Self.replace(live + ".key", with: issuedSecond.keyPath)
            try reloader.reload()
            #expect(try await Self.get(trustsSecond, url).status == 200)
            // Only the kept-alive connection can still serve this client: a new handshake would
            // present the second CA's certificate, which it does not trust.
            #expect(try await Self.get(trustsFirst, url).status == 200)

            // A key that does not belong to the certificate: refused, the second pair stays.
            try Self.replace(live + ".key", with: issuedFirst.keyPath)
            #expect(throws: ServerConfigurationError.self) { try reloader.reload() }
            #expect(reloader.reloadLoggingFailure() == false)
            let fresh = try Self.client(trusting: second.certificatePath)
            #expect(try await Self.get(fresh, url).status == 200)
            try await fresh.shutdown()
        }
    }

    @Test(
        "one connection too many gets the 503 in the API's shape over TLS, in HTTP/1.1 and in HTTP/2 (the gate sits after the TLS handler)",
        arguments: [HTTPClient.Configuration.HTTPVersion.http1Only, .automatic]
    )
    func connectionLimitAnsweredOverTLS(version: HTTPClient.Configuration.HTTPVersion) async throws {
        let authority = try TestCertificateAuthority()
        defer { authority.remove() }
        let issued = try authority.issue("server")
        let reloader = try Self.reloader(issued)
        let holder = try Self.client(trusting: authority.certificatePath, httpVersion: version)
        let second = try Self.client(trusting: authority.certificatePath, httpVersion: version)
        var limits = ConnectionLimits.patient
        // HummingbirdTesting's live client holds one connection of its own.
        limits.maxConnections = 2
        try await Self.withServer(reloader, clients: [holder, second], limits: limits) { port in
            // The first client's kept-alive connection is the last one allowed.
            let first = try await Self.get(holder, "https://localhost:\(port)/hello")
            #expect(first.status == 200, "\(String(decoding: first.body, as: UTF8.self))")
            let response = try await second.execute(HTTPClientRequest(url: "https://localhost:\(port)/hello"), timeout: .seconds(30))
            #expect(response.version == (version == .automatic ? .http2 : .http1_1))
            #expect(response.headers.first(name: "Retry-After") == "1")
            let refused = (status: Int(response.status.code), body: Array(try await response.body.collect(upTo: 1 << 20).readableBytesView))
            #expect(refused.status == 503)
            #expect(String(decoding: refused.body, as: UTF8.self).contains("\"code\":\"tooManyConnections\""))
        }
    }

    static func replace(_ path: String, with source: String) throws {
        try FileManager.default.removeItem(atPath: path)
        try FileManager.default.copyItem(atPath: source, toPath: path)
    }

    @Test("bad certificate or key files: tlsUnusable naming the key and the file, never the key's bytes")
    func badFilesRefused() throws {
        let authority = try TestCertificateAuthority()
        defer { authority.remove() }
        let issued = try authority.issue("server")
        let other = try authority.issue("other")
        let missing = authority.directory + "/missing.pem"
        let cases: [(certificate: String, key: String, code: String, configurationKey: String, message: String)] = [
            (
                missing, issued.keyPath, "tlsUnusable", "tlsCert",
                "tlsCert: cannot read the certificate file \"\(missing)\": no such file; check the path and its permissions"
            ),
            (
                issued.keyPath, issued.keyPath, "tlsUnusable", "tlsCert",
                "tlsCert: \"\(issued.keyPath)\" is not a PEM certificate chain (-----BEGIN CERTIFICATE-----); check --tls-cert"
            ),
            (
                issued.certificatePath, issued.certificatePath, "tlsUnusable", "tlsKey",
                "tlsKey: \"\(issued.certificatePath)\" is not an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----); check --tls-key"
            ),
            (
                issued.certificatePath, other.keyPath, "tlsUnusable", "tlsKey",
                "tlsKey: the private key in \"\(other.keyPath)\" does not belong to the certificate in \"\(issued.certificatePath)\"; "
                    + "pass the key the certificate was issued for"
            ),
        ]
        let keyText = try String(contentsOfFile: issued.keyPath, encoding: .utf8)
        let keyBody = keyText.split(separator: "\n").dropFirst().first.map(String.init) ?? keyText
        for item in cases {
            let error = #expect(throws: ServerConfigurationError.self) {
                _ = try TLSIdentity.load(certificateFile: item.certificate, keyFile: item.key)
            }
            #expect(error?.code == item.code && error?.key == item.configurationKey)
            #expect(error?.message == item.message)
            #expect(error?.message.contains(keyBody) == false)
        }
    }

    @Test("tlsCert without tlsKey (and the reverse) is refused; both from the environment are read")
    func configurationNeedsBoth() async throws {
        let onlyCertificate = await #expect(throws: ServerConfigurationError.self) {
            _ = try await ServerConfiguration.load(environment: ["ARTIFACTSTORE_TLS_CERT": "/etc/cert.pem"])
        }
        #expect(onlyCertificate?.message == "tlsKey: a TLS certificate needs its private key too; pass --tls-key")
        let onlyKey = await #expect(throws: ServerConfigurationError.self) {
            _ = try await ServerConfiguration.load(environment: ["ARTIFACTSTORE_TLS_KEY": "/etc/key.pem"])
        }
        #expect(onlyKey?.message == "tlsCert: a TLS private key needs its certificate too; pass --tls-cert")
        let both = try await ServerConfiguration.load(
            environment: ["ARTIFACTSTORE_TLS_CERT": "/etc/cert.pem", "ARTIFACTSTORE_TLS_KEY": "/etc/key.pem"])
        #expect(both.tlsCertificateFile == "/etc/cert.pem" && both.tlsKeyFile == "/etc/key.pem" && both.scheme == "https")
        #expect(try await ServerConfiguration.load(environment: [:]).scheme == "http")
    }
}
