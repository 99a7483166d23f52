import ArtifactStoreTestSupport
import AsyncHTTPClient
import Configuration
import Crypto
import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

@testable import ArtifactServer

/// HTTP/2 over ALPN in `serve --tls-cert` (issue 20, part 1): a client offering `h2` gets HTTP/2,
/// one without it (or a server with `http2` off) HTTP/1.1, through the same routes; 64 MiB bodies
/// stream both ways under HTTP/2's flow control (the sender waits while the receiver reads
/// nothing); a stream whose body stops arriving is reset after the body idle timeout.
@Suite(
    "HTTP/2 over TLS in serve",
    .serialized,
    .timeLimit(.minutes(5)),
    .enabled(if: TestCertificateAuthority.isAvailable, "openssl is not on PATH")
)
struct TLSHTTP2Tests {
    /// 64 MiB, as 1,024 parts of 64 KiB, each stamped with its index.
    static let partCount = 1024
    static let partSize = 64 << 10
    static let block: [UInt8] = [UInt8](count: partSize) { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }

    static func part(_ index: Int) -> ByteBuffer {
        var buffer = ByteBuffer(bytes: block)
        buffer.setInteger(UInt64(index), at: 0)
        return buffer
    }

    static var expectedDigest: String {
        var hash = SHA256()
        for index in 0..<partCount { hash.update(data: part(index).readableBytesView) }
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Bytes a route or a client has produced (written to its side of the stream) so far.
    final class Produced: Sendable {
        private let bytes = Atomic<Int>(0)
        func add(_ count: Int) { bytes.add(count, ordering: .relaxed) }
        var count: Int { bytes.load(ordering: .relaxed) }
    }

    /// The 64 MiB as an upload body, each part made only when the client asks for it.
    struct Parts: AsyncSequence, Sendable {
        let produced: Produced
        struct AsyncIterator: AsyncIteratorProtocol {
            let produced: Produced
            var index = 0
            mutating func next() async -> ByteBuffer? {
                guard index < partCount else { return nil }
                defer { index += 1 }
                produced.add(partSize)
                return part(index)
            }
        }
        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(produced: produced) }
    }

    /// `/hello`; `/generated`, the 64 MiB written part by part as the stream's window allows;
    /// `/upload`, which reads one part, waits until `resume` is yielded, then hashes the rest and
    /// answers the digest and the number of bytes.
    static func router(produced: Produced, resume: AsyncStream<Void>) -> Router<ServerRequestContext> {
        let router = Router(context: ServerRequestContext.self)
        router.get("/hello") { _, _ in "hello over HTTP/2" }
        router.get("/generated") { _, _ in
            Response(
                status: .ok,
                headers: [.contentLength: "\(partCount * partSize)"],
                body: ResponseBody { writer in
                    for index in 0..<partCount {
                        try await writer.write(part(index))
                        produced.add(partSize)
                    }
                    try await writer.finish(nil)
                }
            )
        }
        router.post("/upload") { request, _ in
            var hash = SHA256()
            var count = 0
            var waited = false
            for try await buffer in request.body {
                hash.update(data: buffer.readableBytesView)
                count += buffer.readableBytes
                if !waited {
                    waited = true
                    for await _ in resume { break }
                }
            }
            return "\(hash.finalize().map { String(format: "%02x", $0) }.joined()) \(count)"
        }
        router.post("/drain") { request, _ in
            var count = 0
            for try await buffer in request.body { count += buffer.readableBytes }
            return "\(count)"
        }
        return router
    }

    /// The authority's certificate is needed before the server exists: clients trust a CA made here.
    static func authorityAndClients(
        _ versions: [HTTPClient.Configuration.HTTPVersion]
    ) throws -> (TestCertificateAuthority, [HTTPClient]) {
        let authority = try TestCertificateAuthority()
        return (authority, try versions.map { try TLSServeTests.client(trusting: authority.certificatePath, httpVersion: $0) })
    }

    static func serve(
        _ authority: TestCertificateAuthority,
        produced: Produced = Produced(),
        resume: AsyncStream<Void> = AsyncStream { $0.finish() },
        limits: ConnectionLimits = .patient,
        http2: Bool = true,
        clients: [HTTPClient],
        _ body: @Sendable (Int) async throws -> Void
    ) async throws {
        let reloader = try TLSServeTests.reloader(try authority.issue("server"))
        try await TLSServeTests.serve(
            router(produced: produced, resume: resume),
            reloader,
            clients: clients,
            limits: limits,
            http2: http2,
            body
        )
    }

    @Test("a client offering h2 is served HTTP/2 (JSON route and a file download); one without it, or with http2 off, HTTP/1.1")
    func negotiatesHTTP2() async throws {
        let (authority, clients) = try Self.authorityAndClients([.automatic, .http1Only])
        defer { authority.remove() }
        let (automatic, http1) = (clients[0], clients[1])
        try await Self.serve(authority, clients: clients) { port in
            let hello = try await automatic.execute(HTTPClientRequest(url: "https://localhost:\(port)/hello"), timeout: .seconds(30))
            #expect(hello.version == .http2 && hello.status == .ok)
            #expect(String(buffer: try await hello.body.collect(upTo: 1 << 20)) == "hello over HTTP/2")
            let old = try await http1.execute(HTTPClientRequest(url: "https://localhost:\(port)/hello"), timeout: .seconds(30))
            #expect(old.version == .http1_1 && old.status == .ok)
            #expect(String(buffer: try await old.body.collect(upTo: 1 << 20)) == "hello over HTTP/2")
        }
        // The file-slice download route, and the same client against a server with http2 off.
        let fileClients = try [.automatic, .automatic].map {
            try TLSServeTests.client(trusting: authority.certificatePath, httpVersion: $0)
        }
        let reloader = try TLSServeTests.reloader(try authority.issue("files"))
        let on = fileClients[0]
        try await TLSServeTests.withServer(reloader, clients: [on]) { port in
            let response = try await on.execute(HTTPClientRequest(url: "https://localhost:\(port)/download"), timeout: .seconds(30))
            #expect(response.version == .http2)
            #expect(Array(try await response.body.collect(upTo: 4 << 20).readableBytesView) == TLSServeTests.bytes)
        }
        let off = fileClients[1]
        try await Self.serve(authority, http2: false, clients: [off]) { port in
            let response = try await off.execute(HTTPClientRequest(url: "https://localhost:\(port)/hello"), timeout: .seconds(30))
            #expect(response.version == .http1_1 && response.status == .ok)
        }
    }

    @Test("a 64 MiB download over HTTP/2 waits for the client: nothing near the whole body is produced while it reads nothing")
    func downloadIsFlowControlled() async throws {
        let (authority, clients) = try Self.authorityAndClients([.automatic])
        defer { authority.remove() }
        let produced = Produced()
        try await Self.serve(authority, produced: produced, clients: clients) { port in
            let response = try await clients[0].execute(
                HTTPClientRequest(url: "https://localhost:\(port)/generated"),
                timeout: .seconds(120)
            )
            #expect(response.version == .http2)
            var body = response.body.makeAsyncIterator()
            var hash = SHA256()
            var received = 0
            let first = try #require(try await body.next())
            hash.update(data: first.readableBytesView)
            received += first.readableBytes
            // Reading nothing: the route can write no further than the stream's window and the
            // buffers in between. A route free to run ahead finishes the 64 MiB in well under this.
            try await Task.sleep(for: .seconds(2))
            #expect(produced.count < 24 << 20, "\(produced.count) bytes produced while the client read \(received)")
            while let buffer = try await body.next() {
                hash.update(data: buffer.readableBytesView)
                received += buffer.readableBytes
            }
            #expect(received == Self.partCount * Self.partSize)
            #expect(hash.finalize().map { String(format: "%02x", $0) }.joined() == Self.expectedDigest)
        }
    }

    @Test("a 64 MiB upload over HTTP/2 waits for the route: the client produces little while the route reads nothing, then all arrives")
    func uploadIsFlowControlled() async throws {
        let (authority, clients) = try Self.authorityAndClients([.automatic])
        defer { authority.remove() }
        let sent = Produced()
        let (resume, resumeRoute) = AsyncStream<Void>.makeStream()
        try await Self.serve(authority, resume: resume, clients: clients) { port in
            var request = HTTPClientRequest(url: "https://localhost:\(port)/upload")
            request.method = .POST
            request.body = .stream(Parts(produced: sent), length: .known(Int64(Self.partCount * Self.partSize)))
            async let answer = clients[0].execute(request, timeout: .seconds(120))
            // The route has read one part and waits: the client can send no further than the
            // stream's window and the buffers in between. Unpaced, it would take all 64 MiB.
            try await Task.sleep(for: .seconds(2))
            #expect(sent.count < 24 << 20, "\(sent.count) bytes taken from the body while the route read one part")
            resumeRoute.yield()
            resumeRoute.finish()
            let response = try await answer
            #expect(response.version == .http2 && response.status == .ok)
            let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
            #expect(text == "\(Self.expectedDigest) \(Self.partCount * Self.partSize)")
        }
    }

    @Test("an HTTP/2 upload whose body stops arriving is reset after the body idle timeout; the connection serves on")
    func stalledStreamIsReset() async throws {
        let (authority, clients) = try Self.authorityAndClients([.automatic])
        defer { authority.remove() }
        var limits = ConnectionLimits.patient
        limits.bodyIdleTimeout = .milliseconds(500)
        let (stalled, holdOpen) = AsyncStream<ByteBuffer>.makeStream()
        try await Self.serve(authority, limits: limits, clients: clients) { port in
            var request = HTTPClientRequest(url: "https://localhost:\(port)/drain")
            request.method = .POST
            request.body = .stream(stalled, length: .known(Int64(2 * Self.partSize)))
            holdOpen.yield(Self.part(0))
            // The second part never comes: the server resets the stream, the client sees the error.
            await #expect(throws: (any Error).self) {
                let response = try await clients[0].execute(request, timeout: .seconds(120))
                _ = try await response.body.collect(upTo: 1 << 20)
            }
            holdOpen.finish()
            let hello = try await clients[0].execute(HTTPClientRequest(url: "https://localhost:\(port)/hello"), timeout: .seconds(30))
            #expect(hello.version == .http2 && hello.status == .ok)
        }
    }

    @Test("http2 is on by default; ARTIFACTSTORE_HTTP2=false or the file's false turns it off; a non-boolean is refused naming the key")
    func http2Configuration() async throws {
        #expect(try await ServerConfiguration.load(environment: [:]).http2)
        #expect(try await ServerConfiguration.load(environment: ["ARTIFACTSTORE_HTTP2": "false"]).http2 == false)
        #expect(
            try await ServerConfiguration.load(flags: [.http2: ConfigValue(.bool(false), isSecret: false)], environment: [:]).http2 == false
        )
        let error = await #expect(throws: ServerConfigurationError.self) {
            _ = try await ServerConfiguration.load(environment: ["ARTIFACTSTORE_HTTP2": "sometimes"])
        }
        #expect(error?.key == "http2")
        #expect(error?.message == "http2: is not a boolean; check ARTIFACTSTORE_HTTP2, the command line and the configuration file")
        let file = NSTemporaryDirectory() + "artifactstore-http2-\(UUID().uuidString).json"
        try Data(#"{"http2": "no"}"#.utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let fileError = await #expect(throws: ServerConfigurationError.self) {
            _ = try await ServerConfiguration.load(environment: [:], file: file)
        }
        #expect(fileError?.key == "http2")
    }
}
