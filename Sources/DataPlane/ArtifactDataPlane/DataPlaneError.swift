// Re-exported (as NIOPosix re-exports NIOCore): this module's error is a `LayeredError`, so its users
// need the core's members (`kind`, `message`, `underlying`) wherever they handle it.
@_exported import ArtifactStoreCore

/// Every failure of a ``DataPlane`` operation.
///
/// Exists so the control plane (and the HTTP API and the CLI after it) can react to a stable
/// ``code`` without knowing which implementation or which storage backend answered. The message
/// names the inputs (address, range, backend, both digests or sizes). `Codable` carries the code,
/// the message and the backend, so a remote data plane returns the same error as a local one;
/// ``underlying`` (often a `StorageError`) stays in process.
public typealias DataPlaneError = LayeredError<DataPlaneErrorCode>

/// Stable data-plane error codes. Never renamed once published.
public enum DataPlaneErrorCode: String, ErrorCode, Codable {
    case invalidConfiguration
    case unknownBackend
    case backendUnavailable
    case objectNotFound
    case invalidRange
    case rangeNotSatisfiable
    case digestMismatch
    case sizeMismatch
    case sizeLimitExceeded
    case streamFailed
    case cancelled
    case storage
    case dataPlaneUnavailable
    case objectCorrupt
    case rangeUnverifiable

    public typealias Details = DataPlaneErrorDetails

    public static let layer = "data plane"

    public var meaning: String {
        switch self {
        case .invalidConfiguration: "The data plane was configured wrongly (no backends, duplicate ids, unknown default)."
        case .unknownBackend: "`backendID` names no configured backend."
        case .backendUnavailable: "The backend could not be reached or connected to."
        case .objectNotFound: "No object is stored at the address (in that backend)."
        case .invalidRange: "The range ends before it starts."
        case .rangeNotSatisfiable: "The range does not lie inside the object."
        case .digestMismatch:
            "The bytes do not have the digest that was expected (ingest: the caller's expected digest; serve: the address itself, for"
                + " a corrupted object). Nothing was stored."
        case .sizeMismatch: "The stream ended with a size other than the expected one. Nothing was stored."
        case .sizeLimitExceeded: "The stream ran past the expected size, and was stopped there. Nothing was stored."
        case .streamFailed: "The caller's byte stream threw. Nothing was stored."
        case .cancelled: "The task was cancelled. Nothing was stored."
        case .storage: "Any other storage failure; the cause is the `StorageError` and the message includes its code."
        case .dataPlaneUnavailable:
            "The data plane itself could not be reached or broke the wire protocol (a remote data plane's daemon is down, refused the"
                + " connection, closed it mid-call, or is shutting down); the cause is the wire protocol error with its own code."
        case .objectCorrupt:
            "The stored object is damaged: its bytes (or the part a range needs) do not prove to be the address's. A server-side "
                + "fault; nothing unproved was returned. Re-pushing the content repairs it."
        case .rangeUnverifiable:
            "A range of an object whose address cannot prove parts of it (a SHA-256 address of an object larger than one buffer): "
                + "read it whole, or by its BLAKE3 address."
        }
    }

    public var httpStatus: Int? {
        switch self {
        case .digestMismatch, .sizeMismatch, .sizeLimitExceeded, .invalidRange, .streamFailed: 400
        case .objectNotFound: 404
        case .rangeNotSatisfiable: 416
        case .backendUnavailable, .dataPlaneUnavailable: 503
        case .unknownBackend, .invalidConfiguration, .cancelled, .storage, .objectCorrupt: 500
        case .rangeUnverifiable: 501
        }
    }

    /// Bytes that did not match their digest or size are an integrity failure, whoever noticed.
    public var exitStatus: ExitStatus? {
        switch self {
        case .digestMismatch, .sizeMismatch: .integrity
        default: httpStatus.map(ExitStatus.init(httpStatus:))
        }
    }
}

/// What a ``DataPlaneError`` adds: the backend concerned.
public struct DataPlaneErrorDetails: Sendable, Hashable {
    /// The backend concerned, when there is one.
    public var backendID: String?
}

extension DataPlaneError {
    public init(_ kind: DataPlaneErrorCode, _ message: String, backendID: String? = nil, underlying: (any Error)? = nil) {
        self.init(kind, message, details: DataPlaneErrorDetails(backendID: backendID), underlying: underlying)
    }

    /// The backend concerned, when there is one.
    public var backendID: String? { details.backendID }
}

/// Only the data plane's errors travel (between a remote data plane and its daemon), so only they are `Codable`.
extension LayeredError: Codable where Code == DataPlaneErrorCode {
    private enum CodingKeys: String, CodingKey {
        case code
        case message
        case backendID
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            try container.decode(DataPlaneErrorCode.self, forKey: .code),
            try container.decode(String.self, forKey: .message),
            backendID: try container.decodeIfPresent(String.self, forKey: .backendID)
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .code)
        try container.encode(message, forKey: .message)
        try container.encodeIfPresent(backendID, forKey: .backendID)
    }
}
