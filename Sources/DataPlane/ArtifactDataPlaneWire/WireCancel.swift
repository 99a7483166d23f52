/// The body of a `cancel` frame: why the client abandons a call.
public struct WireCancel: Sendable, Hashable, Codable {
    public enum Reason: String, Sendable, Hashable, Codable {
        /// The client's task was cancelled (an ingest then fails with `cancelled`).
        case cancelled
        /// The client's byte stream threw (an ingest then fails with `streamFailed`).
        case streamFailed
    }

    public var reason: Reason
    /// What happened, for the error message (e.g. the stream's own error).
    public var message: String

    public init(reason: Reason, message: String) {
        self.reason = reason
        self.message = message
    }
}

/// The error an ingest's byte stream throws in the daemon when the client cancelled it with
/// reason `streamFailed`; its description is the client's message.
public struct RemoteStreamFailure: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ message: String) {
        self.description = message
    }
}
