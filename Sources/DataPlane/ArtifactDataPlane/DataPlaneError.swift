import ArtifactStoreCore

/// Every failure of a ``DataPlane`` operation.
///
/// Exists so the control plane (and the HTTP API and the CLI after it) can react to a stable
/// ``code`` without knowing which implementation or which storage backend answered. The message
/// names the inputs (address, range, backend, both digests or sizes). `Codable` carries the code,
/// the message and the backend, so a remote data plane returns the same error as a local one;
/// ``underlying`` (often a `StorageError`) stays in process.
public struct DataPlaneError: ArtifactStoreError, Codable {
    /// Stable data-plane error codes. Never renamed once published.
    public enum Code: String, Sendable, Hashable, Codable, CaseIterable {
        /// The data plane was configured wrongly (no backends, duplicate ids, unknown default).
        case invalidConfiguration
        /// `backendID` names no configured backend.
        case unknownBackend
        /// The backend could not be reached or connected to.
        case backendUnavailable
        /// No object is stored at the address (in that backend).
        case objectNotFound
        /// The range ends before it starts.
        case invalidRange
        /// The range does not lie inside the object.
        case rangeNotSatisfiable
        /// The bytes do not have the digest that was expected (ingest: the caller's expected
        /// digest; serve: the address itself, for a corrupted object). Nothing was stored.
        case digestMismatch
        /// The stream ended with a size other than the expected one. Nothing was stored.
        case sizeMismatch
        /// The stream ran past the expected size, and was stopped there. Nothing was stored.
        case sizeLimitExceeded
        /// The caller's byte stream threw. Nothing was stored.
        case streamFailed
        /// The task was cancelled. Nothing was stored.
        case cancelled
        /// Any other storage failure; ``underlying`` is the `StorageError` and the message
        /// includes its code.
        case storage
        /// The data plane itself could not be reached or broke the wire protocol (a remote data
        /// plane's daemon is down, refused the connection, closed it mid-call, or is shutting
        /// down); ``underlying`` is the wire protocol error with its own code.
        case dataPlaneUnavailable
        /// The stored object is damaged: its bytes (or the part a range needs) do not prove to be
        /// the address's. A server-side fault; nothing unproved was returned. Re-pushing the
        /// content repairs it.
        case objectCorrupt
        /// A range of an object whose address cannot prove parts of it (a SHA-256 address of
        /// an object larger than one buffer): read it whole, or by its BLAKE3 address.
        case rangeUnverifiable
    }

    public let kind: Code
    public let message: String
    /// The backend concerned, when there is one.
    public let backendID: String?
    public let underlying: (any Error)?

    public var code: String { kind.rawValue }

    public init(_ kind: Code, _ message: String, backendID: String? = nil, underlying: (any Error)? = nil) {
        self.kind = kind
        self.message = message
        self.backendID = backendID
        self.underlying = underlying
    }

    private enum CodingKeys: String, CodingKey {
        case code
        case message
        case backendID
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.kind = try container.decode(Code.self, forKey: .code)
        self.message = try container.decode(String.self, forKey: .message)
        self.backendID = try container.decodeIfPresent(String.self, forKey: .backendID)
        self.underlying = nil
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .code)
        try container.encode(message, forKey: .message)
        try container.encodeIfPresent(backendID, forKey: .backendID)
    }
}
