/// Which phase a transfer's progress callback reports.
public enum TransferPhase: String, Sendable {
    case hashing, uploading, downloading
}

/// Progress of a transfer: called with a phase's total bytes when it starts, then with each
/// increment.
public struct TransferProgress: Sendable {
    public var start: @Sendable (TransferPhase, UInt64) -> Void
    public var advance: @Sendable (Int) -> Void
    public var finish: @Sendable () -> Void

    public init(
        start: @escaping @Sendable (TransferPhase, UInt64) -> Void,
        advance: @escaping @Sendable (Int) -> Void,
        finish: @escaping @Sendable () -> Void
    ) {
        self.start = start
        self.advance = advance
        self.finish = finish
    }

    public static let none = TransferProgress(start: { _, _ in }, advance: { _ in }, finish: {})
}
