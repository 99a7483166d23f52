import ArtifactStoreTestSupport
import Logging
import Synchronization

/// Log handling for tests: a silent logger, and a recording one (``RecordingLogHandler`` of the
/// test support, so tests can search what was logged).
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

final class LockedBox<Value: Sendable>: Sendable {
    private let value: Mutex<Value>
    init(_ value: Value) { self.value = Mutex(value) }
    func set(_ newValue: Value) { value.withLock { $0 = newValue } }
    func get() -> Value { value.withLock { $0 } }
}
