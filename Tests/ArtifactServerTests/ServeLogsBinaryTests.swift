import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real `artifactstore serve` binary with `ARTIFACTSTORE_LOG_FORMAT=json`: every log line on
/// standard error is one JSON object (the console's messages aside), a request gets its access
/// line, and SIGTERM logs "shutting down" before "stopped".
@Suite("artifactstore serve logs (binary)", .serialized, .timeLimit(.minutes(10)))
struct ServeLogsBinaryTests {
    @Test("json logs: one object per line with millisecond timestamps; the access line; shutting down, then stopped")
    func jsonLogsAndShutdown() async throws {
        let directory = ServeBinaryTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try ServeBinaryTests.Server(dataDirectory: directory, environment: ["ARTIFACTSTORE_LOG_FORMAT": "json"])
        defer { try? FileManager.default.removeItem(at: server.errorFile) }
        try await server.waitUntilListening()
        #expect(try await server.get("/readyz").status == 200)
        kill(server.process.processIdentifier, SIGTERM)
        while server.process.isRunning { try await Task.sleep(for: .milliseconds(50)) }
        #expect(server.process.terminationStatus == 0)

        // The console's own messages (the bootstrap box, "listening on") are not log lines.
        let lines = server.standardError.split(separator: "\n").filter { $0.hasPrefix("{") }
        let objects = try lines.map { line in
            try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
        }
        #expect(objects.count >= 4, "\(server.standardError)")
        for object in objects {
            #expect((object["timestamp"] as? String)?.wholeMatch(of: ServerLogHandlerTests.timestamp) != nil)
        }
        let access = objects.filter { $0["message"] as? String == "request" }
        #expect(access.count == 1)
        #expect(access.first?["route"] as? String == "/readyz" && access.first?["status"] as? Int == 200)
        let messages = objects.compactMap { $0["message"] as? String }
        let shutting = try #require(messages.firstIndex(of: "shutting down"), "\(messages)")
        let stopped = try #require(messages.firstIndex(of: "stopped"), "\(messages)")
        #expect(shutting < stopped)
    }
}
