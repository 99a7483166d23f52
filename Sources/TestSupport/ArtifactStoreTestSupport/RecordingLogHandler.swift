public import Logging
import Synchronization

/// Log lines a test recorded, each the message and its metadata rendered as `key=value`.
public final class RecordedLines: Sendable {
    private let storage = Mutex<[String]>([])

    public init() {}

    public func append(_ line: String) { storage.withLock { $0.append(line) } }
    public var all: [String] { storage.withLock { $0 } }
}

/// A log handler that records every line, so tests can search what was logged (for a message,
/// or for a secret that must not be there).
public struct RecordingLogHandler: LogHandler {
    public let lines: RecordedLines
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init(lines: RecordedLines) {
        self.lines = lines
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        for (key, value) in event.metadata ?? [:] { merged[key] = value }
        let rendered = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        lines.append("\(event.level) \(event.message) \(rendered)")
    }
}

extension TestLogs {
    /// A trace-level logger that records every line, and the lines.
    public static func recording(label: String = "artifactstore.tests.recording") -> (Logger, RecordedLines) {
        let lines = RecordedLines()
        var logger = Logger(label: label, factory: { _ in RecordingLogHandler(lines: lines) })
        logger.logLevel = .trace
        return (logger, lines)
    }
}
