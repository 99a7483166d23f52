import Logging
import Synchronization

/// Log handling for tests: a silent logger, and a handler that records every line (message
/// and metadata, rendered) so tests can search what was logged.
enum TestLogs {
    static var silent: Logger {
        Logger(label: "artifactstore.tests.silent", factory: { _ in SwiftLogNoOpLogHandler() })
    }

    static func recording() -> (Logger, RecordedLines) {
        let lines = RecordedLines()
        var logger = Logger(label: "artifactstore.tests.recording", factory: { _ in RecordingLogHandler(lines: lines) })
        logger.logLevel = .trace
        return (logger, lines)
    }
}

final class RecordedLines: Sendable {
    private let storage = Mutex<[String]>([])
    func append(_ line: String) { storage.withLock { $0.append(line) } }
    var all: [String] { storage.withLock { $0 } }
}

struct RecordingLogHandler: LogHandler {
    let lines: RecordedLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        for (key, value) in event.metadata ?? [:] { merged[key] = value }
        let rendered = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        lines.append("\(event.level) \(event.message) \(rendered)")
    }
}

final class LockedBox<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func set(_ newValue: Value) { value.withLock { $0 = newValue } }
    func get() -> Value { value.withLock { $0 } }
}
