import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactOCI
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Testing

@testable import ArtifactServer

/// Issue 22 item 4: a 5xx body names no internal path or socket; it says what failed by its code
/// and carries the request id under which the log has the cause. Exact texts, /v1 and /v2.
@Suite("5xx bodies", .timeLimit(.minutes(10)))
struct ServerFailureBodyTests {
    /// Collects a response body.
    final class Collector: ResponseBodyWriter {
        var collected = ByteBuffer()
        func write(_ buffer: ByteBuffer) async throws { collected.writeImmutableBuffer(buffer) }
        func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }

    static func json(_ response: Response) async throws -> [String: Any] {
        let collector = Collector()
        try await response.body.write(collector)
        return try #require(try JSONSerialization.jsonObject(with: Data(collector.collected.readableBytesView)) as? [String: Any])
    }

    @Test(
        "/v1: the message and requestID, without the socket or root the error named",
        arguments: [
            (
                DataPlaneError(.dataPlaneUnavailable, "cannot connect to /run/artifactstore/dp.sock: connection refused") as any Error, 503,
                "dataPlaneUnavailable", "storage is unavailable (dataPlaneUnavailable); retry later"
            ),
            (
                DataPlaneError(.storage, "write /srv/blobs/tmp/ingest/x failed: No space left on device"), 500, "storage",
                "the data plane failed (storage)"
            ),
            (
                ControlPlaneError(.database, "sqlite /var/lib/artifactstore/metadata.sqlite: disk I/O error"), 500, "database",
                "the server failed (database)"
            ),
            (
                ControlPlaneError(.databaseUnavailable, "cannot reach postgres at 10.0.0.5:5432"), 503, "databaseUnavailable",
                "the database is unavailable (databaseUnavailable); retry later"
            ),
            (CocoaError(.fileWriteUnknown), 500, "internalError", "the server failed"),
        ] as [(any Error, Int, String, String)]
    )
    func v1(_ error: any Error, _ status: Int, _ code: String, _ message: String) async throws {
        let response = ErrorResponse.response(for: error, method: .post, requestID: "req-42")
        #expect(response.status.code == status)
        let body = try await Self.json(response)["error"] as? [String: String]
        #expect(
            body == ["code": code, "message": message + "; the server log has the cause under request id req-42", "requestID": "req-42"]
        )
    }

    @Test("/v1: a 4xx keeps its message and has no requestID")
    func clientError() async throws {
        let response = ErrorResponse.response(
            for: ControlPlaneError(.namespaceNotFound, "no namespace \"team\""),
            method: .get,
            requestID: "req-42"
        )
        #expect(
            try await Self.json(response)["error"] as? [String: String] == [
                "code": "namespaceNotFound", "message": "no namespace \"team\"",
            ]
        )
    }

    @Test("/v2: the message says where to look and detail carries the request id")
    func v2() async throws {
        let refusal = OCIError(mapping: DataPlaneError(.storage, "write /srv/blobs/tmp/x failed"))
        let response = OCIErrorResponse.response(for: refusal, method: .get, requestID: "req-43")
        #expect(response.status.code == 500)
        let errors = try #require(try await Self.json(response)["errors"] as? [[String: Any]])
        #expect(errors.first?["code"] as? String == "UNKNOWN")
        #expect(
            errors.first?["message"] as? String == "the data plane failed (storage); the server log has the cause under request id req-43"
        )
        #expect(errors.first?["detail"] as? [String: String] == ["requestID": "req-43"])
    }
}
