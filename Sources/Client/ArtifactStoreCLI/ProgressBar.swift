import ArtifactStoreClient
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Draws a transfer's progress on standard error, only when standard error is a terminal and
/// JSON output was not asked for, at most ten times a second, on one line that fits the
/// terminal's width (``ProgressLine``), so redraws overwrite it rather than add lines.
final class ProgressBar: Sendable {
    private struct State {
        var label = ""
        var total: UInt64 = 0
        var done: UInt64 = 0
        var started = ContinuousClock.now
        var lastDrawn: ContinuousClock.Instant? = nil
    }

    private let enabled: Bool
    private let state = Mutex(State())

    init(enabled: Bool) {
        self.enabled = enabled && isatty(2) == 1
    }

    var progress: TransferProgress {
        TransferProgress(
            start: { [self] phase, total in start(phase.rawValue, total: total) },
            advance: { [self] count in advance(count) },
            finish: { [self] in finish() }
        )
    }

    private func start(_ label: String, total: UInt64) {
        guard enabled else { return }
        state.withLock { $0 = State(label: label, total: total, started: .now) }
    }

    private func advance(_ count: Int) {
        guard enabled else { return }
        let line: String? = state.withLock { state in
            state.done += UInt64(count)
            let now = ContinuousClock.now
            if let last = state.lastDrawn, now - last < .milliseconds(100) { return nil }
            state.lastDrawn = now
            return render(state, now: now)
        }
        if let line { FileOutput.standardError.write("\r" + line + "\u{1B}[K") }
    }

    private func finish() {
        guard enabled else { return }
        let line = state.withLock { state in render(state, now: .now) }
        FileOutput.standardError.write("\r" + line + "\u{1B}[K\n")
    }

    private func render(_ state: State, now: ContinuousClock.Instant) -> String {
        let elapsed = now - state.started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return ProgressLine.render(label: state.label, done: state.done, total: state.total, elapsed: seconds, width: Self.columns())
    }

    /// The terminal's width: standard error's window size (asked at each redraw, so a resized
    /// terminal is followed), else `COLUMNS`, else 80.
    static func columns(environment: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        var size = winsize()
        if withUnsafeMutablePointer(to: &size, { ioctl(2, UInt(TIOCGWINSZ), $0) }) == 0, size.ws_col > 0 {
            return Int(size.ws_col)
        }
        if let text = environment["COLUMNS"], let columns = Int(text), columns > 0 { return columns }
        return 80
    }
}
