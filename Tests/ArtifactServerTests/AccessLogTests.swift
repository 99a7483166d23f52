import ArtifactControlPlane
import ArtifactStoreAPI
import ArtifactStoreTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

@testable import ArtifactServer

/// The access line (``AccessLogEntry``): exactly one per request, with one request id, the
/// route template, the status, the bytes in and out, and a duration that ends at the
/// response's last byte, not at its head.
@Suite("Access log", .timeLimit(.minutes(10)))
struct AccessLogTests {
    /// A clock a test moves by hand.
    final class ManualNow: Sendable {
        let origin = ContinuousClock.now
        let offset = Mutex(Duration.zero)
        func advance(_ duration: Duration) { offset.withLock { $0 += duration } }
        var now: @Sendable () -> ContinuousClock.Instant { { self.origin + self.offset.withLock { $0 } } }
    }

    /// The JSON log lines written through a logger made with ``logger``.
    final class Captured: Sendable {
        let lines = ServerLogHandlerTests.Lines()
        var logger: Logger {
            Logger(label: "artifactstore.test") {
                ServerLogHandler(label: $0, stream: self.lines, format: .json, metadataProvider: RequestLogMetadata.provider)
            }
        }
        /// The access lines, parsed.
        func accessLines() throws -> [[String: Any]] {
            try lines.objects().filter { $0["message"] as? String == "request" }
        }
    }

    @Test("a body written over 5 s (by the injected clock) logs 5000 ms and its bytes; a small answer logs at once; a failed body says so")
    func durationEndsAtTheLastByte() async throws {
        try await ServerHarness.run { harness in
            let clock = ManualNow()
            let slow = APIRouter.Endpoint(template: "/slow", method: .get) { _, _ in
                Response(
                    status: .ok,
                    body: ResponseBody { writer in
                        try await writer.write(ByteBuffer(repeating: 1, count: 100_000))
                        clock.advance(.seconds(5))
                        try await writer.write(ByteBuffer(repeating: 2, count: 50_000))
                        try await writer.finish(nil)
                    }
                )
            }
            let small = APIRouter.Endpoint(template: "/small", method: .get) { _, _ in
                clock.advance(.milliseconds(3))
                return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: "hello")))
            }
            struct Broken: Error {}
            let broken = APIRouter.Endpoint(template: "/broken", method: .get) { _, _ in
                Response(
                    status: .ok,
                    body: ResponseBody { writer in
                        try await writer.write(ByteBuffer(repeating: 1, count: 70_000))
                        clock.advance(.milliseconds(250))
                        throw Broken()
                    }
                )
            }
            let metrics = ServerMetrics()
            let router = APIRouter(
                endpoints: [slow, small, broken],
                oci: OCIDistributionAPI(controlPlane: harness.controlPlane, metrics: metrics),
                middlewares: ServerMiddlewares(metrics: metrics, now: clock.now)
            )
            let captured = Captured()
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: captured.logger)
            try await app.test(.router) { client in
                try await client.execute(uri: "/slow", method: .get) { response in
                    #expect(response.body.readableBytes == 150_000)
                }
                try await client.execute(uri: "/small", method: .get) { response in
                    #expect(String(buffer: response.body) == "hello")
                }
                // The body fails after 70,000 bytes: whatever the client sees, the line says so.
                _ = try? await client.execute(uri: "/broken", method: .get) { _ in }
                // A malformed X-Request-ID is refused, with a line of its own and a generated id.
                try await client.execute(uri: "/small", method: .get, headers: [RequestIDMiddleware.header: "bad id"]) { response in
                    #expect(response.status == .badRequest)
                }
            }
            let lines = try captured.accessLines()
            try #require(lines.count == 4)
            #expect(lines[2]["bytes_out"] as? Int == 70_000 && lines[2]["duration_ms"] as? Double == 250)
            #expect((lines[2]["outcome"] as? String)?.hasPrefix("failed: ") == true)
            #expect(lines[3]["status"] as? Int == 400 && lines[3]["request_id"] as? String != "bad id")
            #expect(lines[0]["route"] as? String == "/slow" && lines[0]["status"] as? Int == 200)
            #expect(lines[0]["bytes_out"] as? Int == 150_000 && lines[0]["bytes_in"] as? Int == 0)
            #expect(lines[0]["duration_ms"] as? Double == 5000)
            #expect(lines[1]["bytes_out"] as? Int == 5 && lines[1]["duration_ms"] as? Double == 3)
        }
    }

    @Test("upload, download, HEAD, refusal and unknown path: one line each, one request id (the response's), bytes in and out")
    func oneLinePerRequest() async throws {
        try await ServerHarness.run { harness in
            _ = try await harness.controlPlane.registry.createNamespace("team", context: RequestContext(actor: "t"))
            let writer = try await harness.token([Grant(.write, namespace: "team")])
            let captured = Captured()
            let app = Application(
                router: harness.api.makeRouter(),
                configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                logger: captured.logger
            )
            let content = ByteBuffer(repeating: 7, count: 200_000)
            let ids = try await app.test(.router) { client -> [String] in
                var ids: [String] = []
                var headers = TestRequest.bearer(writer)
                headers[.contentType] = "application/octet-stream"
                let (address, uploadID) = try await client.execute(
                    uri: "/v1/namespaces/team/blobs",
                    method: .post,
                    headers: headers,
                    body: content
                ) { response in
                    (try #require(response.json()["address"] as? String), response.headers[RequestIDMiddleware.header] ?? "")
                }
                ids.append(uploadID)
                for method in [HTTPRequest.Method.get, .head] {
                    ids.append(
                        try await client.execute(
                            uri: "/v1/namespaces/team/blobs/\(address)",
                            method: method,
                            headers: TestRequest.bearer(writer)
                        ) { response in
                            #expect(response.status == .ok)
                            return response.headers[RequestIDMiddleware.header] ?? ""
                        }
                    )
                }
                ids.append(
                    try await client.execute(uri: "/v1/namespaces", method: .get) { response in
                        #expect(response.status == .unauthorized)
                        return response.headers[RequestIDMiddleware.header] ?? ""
                    }
                )
                ids.append(
                    try await client.execute(
                        uri: "/nowhere",
                        method: .get,
                        headers: [RequestIDMiddleware.header: "client-id-1"]
                    ) { response in
                        #expect(response.status == .notFound)
                        return response.headers[RequestIDMiddleware.header] ?? ""
                    }
                )
                return ids
            }
            let lines = try captured.accessLines()
            try #require(lines.count == 5)
            #expect(lines.map { $0["request_id"] as? String ?? "" } == ids)
            #expect(ids.last == "client-id-1")
            for line in lines {
                #expect(line["hb.request.id"] == nil)
                #expect(line.keys.filter { $0.contains("request") && $0 != "request_id" }.isEmpty)
            }
            let (upload, download, head, refused, unknown) = (lines[0], lines[1], lines[2], lines[3], lines[4])
            #expect(upload["method"] as? String == "POST" && upload["status"] as? Int == 201)
            #expect(upload["route"] as? String == "/v1/namespaces/{ns}/blobs" && upload["path"] as? String == "/v1/namespaces/team/blobs")
            #expect(upload["bytes_in"] as? Int == 200_000)
            #expect(download["method"] as? String == "GET" && download["bytes_out"] as? Int == 200_000 && download["bytes_in"] as? Int == 0)
            #expect(head["method"] as? String == "HEAD" && head["bytes_out"] as? Int == 0)
            #expect(refused["status"] as? Int == 401 && refused["route"] as? String == "/v1/namespaces")
            #expect(unknown["status"] as? Int == 404 && unknown["route"] as? String == "unmatched")
            for line in lines { #expect((line["duration_ms"] as? Double ?? -1) >= 0 && line["outcome"] == nil) }
        }
    }
}
