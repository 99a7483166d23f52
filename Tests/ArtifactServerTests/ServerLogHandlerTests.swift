import ArtifactServer
import Logging
import Synchronization
import Testing

/// ``ServerLogHandler`` writes exactly what `StreamLogHandler` writes.
@Suite("Server log handler")
struct ServerLogHandlerTests {
    final class Lines: TextOutputStream, Sendable {
        let lines = Mutex<[String]>([])
        func write(_ string: String) { lines.withLock { $0.append(string) } }
        /// The lines without their leading timestamp.
        var untimed: [String] { lines.withLock { $0.map { String($0.drop { $0 != " " }) } } }
    }

    @Test func linesMatchStreamLogHandler() {
        let provider = Logger.MetadataProvider { ["request_id": "r-1", "shared": "provider"] }
        let ours = Lines()
        let reference = Lines()
        var loggers = [
            Logger(label: "artifactstore.test") { ServerLogHandler(label: $0, stream: ours, metadataProvider: provider) },
            Logger(label: "artifactstore.test") { StreamLogHandler(label: $0, stream: reference, metadataProvider: provider) },
        ]
        for index in loggers.indices {
            loggers[index].logLevel = .debug
            loggers[index].info("plain")
            loggers[index][metadataKey: "hb.request.id"] = "7"
            loggers[index][metadataKey: "shared"] = "handler"
            loggers[index].debug("with metadata", metadata: ["status": "200", "hb.request.id": "explicit"])
            loggers[index].trace("below the level")
            loggers[index][metadataKey: "hb.request.id"] = nil
            loggers[index].warning("after a removal")
        }
        #expect(ours.untimed.count == 3)
        #expect(ours.untimed == reference.untimed)
        #expect(ours.untimed[1] == " debug artifactstore.test: hb.request.id=explicit request_id=r-1 shared=provider status=200 [ArtifactServerTests] with metadata\n")
    }
}
