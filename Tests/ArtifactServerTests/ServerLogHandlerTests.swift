import ArtifactServer
import Configuration
import Foundation
import Logging
import Synchronization
import Testing

/// ``ServerLogHandler``: text and JSON lines, millisecond UTC timestamps, metadata precedence,
/// one request id per line, and nothing written below the level.
@Suite("Server log handler", .timeLimit(.minutes(10)))
struct ServerLogHandlerTests {
    final class Lines: TextOutputStream, Sendable {
        let lines = Mutex<[String]>([])
        func write(_ string: String) { lines.withLock { $0.append(string) } }
        var all: [String] { lines.withLock { $0 } }
        /// The lines without their leading timestamp.
        var untimed: [String] { all.map { String($0.drop { $0 != " " }) } }
        /// Each line parsed as a JSON object.
        func objects() throws -> [[String: Any]] {
            try all.map { line in
                #expect(line.hasSuffix("}\n") && line.filter { $0 == "\n" }.count == 1, "not one JSON line: \(line)")
                return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            }
        }
    }

    static var timestamp: Regex<Substring> { #/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/# }

    /// Logs the same events to `stream` in `format`: a plain line, one with metadata from the
    /// handler, the provider and the call (and Hummingbird's request id), one below the level.
    static func logEvents(to stream: Lines, format: ServerLogFormat) {
        let provider = Logger.MetadataProvider { ["request_id": "r-1", "shared": "provider"] }
        var logger = Logger(label: "artifactstore.test") {
            ServerLogHandler(label: $0, stream: stream, format: format, metadataProvider: provider)
        }
        logger.logLevel = .debug
        logger.info("plain")
        logger[metadataKey: "hb.request.id"] = "7"
        logger[metadataKey: "shared"] = "handler"
        logger.debug(
            "with metadata",
            metadata: ["status": .stringConvertible(200), "hb.request.id": "explicit", "ratio": .stringConvertible(0.5)]
        )
        logger.trace("below the level")
        logger[metadataKey: "hb.request.id"] = nil
        logger.warning("two\nlines", metadata: ["message": "clash", "quote": "say \"hi\"\\", "list": ["a", .stringConvertible(1)]])
    }

    @Test("text: millisecond UTC timestamp, level, label, sorted metadata (provider over handler, call over both), source, message")
    func textLines() throws {
        let lines = Lines()
        Self.logEvents(to: lines, format: .text)
        #expect(lines.all.count == 3)
        for line in lines.all {
            let stamp = String(line.prefix { $0 != " " })
            #expect(stamp.wholeMatch(of: Self.timestamp) != nil, "\(stamp)")
        }
        #expect(lines.untimed[0] == " info artifactstore.test: request_id=r-1 shared=provider [ArtifactServerTests] plain\n")
        let metadata = "ratio=0.5 request_id=r-1 shared=provider status=200"
        #expect(lines.untimed[1] == " debug artifactstore.test: \(metadata) [ArtifactServerTests] with metadata\n")
        // A line break never starts a second line.
        #expect(lines.untimed[2].hasSuffix("[ArtifactServerTests] two\\nlines\n"))
        #expect(!lines.all.joined().contains("hb.request.id"))
    }

    @Test("json: one object per line, the same fields, numbers as numbers, escapes, one request_id, clashing keys renamed")
    func jsonLines() throws {
        let lines = Lines()
        Self.logEvents(to: lines, format: .json)
        let objects = try lines.objects()
        #expect(objects.count == 3)
        for object in objects {
            #expect((object["timestamp"] as? String)?.wholeMatch(of: Self.timestamp) != nil)
            #expect(object["label"] as? String == "artifactstore.test")
            #expect(object["source"] as? String == "ArtifactServerTests")
            #expect(object["request_id"] as? String == "r-1")
            #expect(object["hb.request.id"] == nil)
        }
        #expect(objects[0]["level"] as? String == "info" && objects[0]["message"] as? String == "plain")
        #expect(objects[1]["status"] as? Int == 200 && objects[1]["ratio"] as? Double == 0.5)
        #expect(objects[1]["shared"] as? String == "provider")
        #expect(objects[2]["message"] as? String == "two\nlines")
        #expect(objects[2]["metadata.message"] as? String == "clash")
        #expect(objects[2]["quote"] as? String == "say \"hi\"\\")
        #expect((objects[2]["list"] as? [Any])?.count == 2)
    }

    @Test("logFormat: text by default; json from the file, the environment or the flag; anything else refused naming the key")
    func configuration() async throws {
        #expect(try await ServerConfiguration.load(environment: [:]).logFormat == .text)
        #expect(try await ServerConfiguration.load(environment: ["ARTIFACTSTORE_LOG_FORMAT": "json"]).logFormat == .json)
        let flags: [ServerConfiguration.Key: ConfigValue] = [.logFormat: ConfigValue(.string("text"), isSecret: false)]
        #expect(try await ServerConfiguration.load(flags: flags, environment: ["ARTIFACTSTORE_LOG_FORMAT": "json"]).logFormat == .text)
        let file = FileManager.default.temporaryDirectory.path + "/artifactstore-logformat-\(UUID().uuidString).json"
        try Data(#"{"logFormat":"json"}"#.utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(try await ServerConfiguration.load(environment: [:], file: file).logFormat == .json)
        do {
            _ = try await ServerConfiguration.load(environment: ["ARTIFACTSTORE_LOG_FORMAT": "yaml"])
            Issue.record("an unknown log format was accepted")
        } catch {
            #expect(error.key == "logFormat")
            #expect(error.message == #"logFormat: "yaml" is not a log format (text, json)"#)
        }
    }
}
