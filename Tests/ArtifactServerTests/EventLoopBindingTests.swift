@_spi(Testing) import ArtifactIdentity
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Hummingbird
import HummingbirdCore
import HummingbirdTesting
import NIOCore
import NIOEmbedded
import NIOPosix
import Testing

@testable import ArtifactServer

/// Requests handled on their connection's event loop (``EventLoopBoundChannel``), and small
/// answers written with their head (``DownloadBody`` for a ``ByteStream/wholeBuffer``).
@Suite("Event-loop binding and one-write answers", .timeLimit(.minutes(10)))
struct EventLoopBindingTests {
    /// A router whose one route answers whether its handler runs on the connection's loop.
    static func whereRouter() -> Router<ServerRequestContext> {
        let router = Router(context: ServerRequestContext.self)
        router.get("/where") { _, context in
            context.channel.eventLoop.inEventLoop ? "loop" : "elsewhere"
        }
        return router
    }

    static func answer(_ server: HTTPServerBuilder) async throws -> [String] {
        let app = Application(
            router: whereRouter(),
            server: server,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            logger: TestLogs.silent
        )
        return try await app.test(.live) { client in
            var answers: [String] = []
            // Several requests on one keep-alive connection: each one, not only the first.
            for _ in 0..<3 {
                answers.append(try await client.execute(uri: "/where", method: .get) { String(buffer: $0.body) })
            }
            return answers
        }
    }

    @Test("the server's handlers run on the connection's event loop; plain HTTP/1 runs them elsewhere")
    func handlersRunOnTheConnectionsLoop() async throws {
        #expect(try await Self.answer(ServeApplication.httpServer(limits: .patient)) == ["loop", "loop", "loop"])
        #expect(try await Self.answer(.http1()) == ["elsewhere", "elsewhere", "elsewhere"])
    }

    @Test("both digests are right when the caller prefers an event loop, and SHA-256 runs off that loop")
    func digestingUnderAnEventLoopPreference() async throws {
        // A loop of its own: the test blocks it for a moment.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { group.shutdownGracefully { _ in } }
        let loop = group.next()
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<(3 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let buffers = stride(from: 0, to: bytes.count, by: 256 * 1024).map {
            ByteBuffer(bytes: bytes[$0..<min($0 + 256 * 1024, bytes.count)])
        }
        let expected = try await DualDigester.digest(ByteStream(buffers: buffers), configuration: .init(concurrent: false))
        let bound = try await withTaskExecutorPreference(EventLoopTaskExecutor(loop)) {
            #expect(loop.inEventLoop)
            return try await DualDigester.digest(ByteStream(buffers: buffers), configuration: .init(concurrent: true))
        }
        #expect(bound == expected)
        // The feeder ran on the loop: had the SHA-256 task inherited the preference, it would
        // have queued behind the feeder on one thread; off the loop, it makes progress while the
        // loop is busy.
        let progressedWhileLoopBusy = try await withTaskExecutorPreference(EventLoopTaskExecutor(loop)) {
            try await DualDigester.withSession(
                configuration: .init(concurrent: true, maximumQueuedBytes: 64 << 20, maximumQueuedBuffers: 64)
            ) { session in
                for buffer in buffers { try await session.update(buffer) }
                // Block the loop's thread (the test's own task) until SHA-256 caught up. Had the
                // SHA-256 task inherited the preference it could never catch up; otherwise it
                // only waits for a thread of the global pool, which the tests running beside this
                // one can keep busy for many seconds on a two-core machine (10 s was not enough in
                // CI). So the deadline is generous: it bounds only the failing case.
                let deadline = ContinuousClock.now + .seconds(180)
                while session.queuedBytes > 0, ContinuousClock.now < deadline {}
                return session.queuedBytes == 0
            }.0
        }
        #expect(progressedWhileLoopBusy)
    }

    @Test("a stream of one buffer in memory becomes a buffered body with its length, counted as sent")
    func wholeBufferIsOneBody() async throws {
        let metrics = ServerMetrics()
        let channel = EmbeddedChannel()
        let buffer = ByteBuffer(string: String(repeating: "a", count: 4096))
        let body = DownloadBody.make(ByteStream(buffer), channel: channel, metrics: metrics)
        #expect(body.contentLength == 4096)
        #expect(Self.sentBytes(metrics) == 4096)
        // Two buffers are streamed: no length up front, counted as they are written.
        let streamed = DownloadBody.make(ByteStream(buffers: [buffer, buffer]), channel: channel, metrics: metrics)
        #expect(streamed.contentLength == nil)
        #expect(Self.sentBytes(metrics) == 4096)
    }

    static func sentBytes(_ metrics: ServerMetrics) -> Int? {
        metrics.counterValue("artifactstore_http_sent_bytes_total")
    }
}
