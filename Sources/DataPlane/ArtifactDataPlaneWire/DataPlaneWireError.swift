import ArtifactStoreCore

/// A failure of the data plane wire protocol itself, as opposed to a failure of an operation
/// (which is a `DataPlaneError` and travels in an error frame with its own code).
///
/// Exists so a hostile or broken peer is answered with a stable, typed reason (the daemon sends
/// it in an error frame on call 0 and closes the connection), and so the client can tell "the
/// daemon said no" from "the daemon could not be reached". ``code`` is the string carried in
/// error frames; codes are never renamed once published (docs/dataplane-protocol.md lists them).
public struct DataPlaneWireError: ArtifactStoreError, Equatable {
    /// Stable protocol error codes.
    public enum Code: String, Sendable, Hashable, Codable, CaseIterable {
        /// A length prefix announced a frame body larger than the limit (or of length 0). Refused
        /// before the body is read or allocated.
        case frameTooLarge
        /// The connection ended in the middle of a frame.
        case truncatedFrame
        /// A frame body is not well-formed CBOR, or not the `[kind, call, body]` array, or its
        /// body does not have the shape its kind requires.
        case malformedFrame
        /// A frame kind this version does not define.
        case unknownFrameKind
        /// A request names an operation this version does not define.
        case unknownOperation
        /// The client offered no protocol version the daemon speaks.
        case unsupportedVersion
        /// The first frame on a connection was not `hello`.
        case handshakeRequired
        /// A frame arrived that the protocol does not allow at that point (data without credit,
        /// a reused call id, a frame for a call never opened, a second hello, …).
        case protocolViolation
        /// A request would exceed the concurrent calls allowed on one connection.
        case tooManyCalls
        /// The peer's uid and gid (`SO_PEERCRED`) are not on the daemon's allow-list.
        case peerNotAllowed
        /// A call made no progress (the peer stopped reading or writing) for longer than the
        /// daemon's stall timeout; the connection was closed.
        case stalled
        /// The daemon is shutting down and takes no new calls.
        case shuttingDown
        /// The client could not connect, or the connection closed while a call was in flight.
        case connectionFailed
        /// A descriptor side-channel ticket that the daemon does not hold: never issued, already
        /// redeemed, expired, or issued to another process.
        case ticketUnknown
        /// The side channel did not deliver a usable descriptor (no descriptor, a short or
        /// malformed answer, a file that is not what the serve announced).
        case descriptorPassingFailed
    }

    public let kind: Code
    public let message: String
    public let underlying: (any Error)?

    public var code: String { kind.rawValue }

    public init(_ kind: Code, _ message: String, underlying: (any Error)? = nil) {
        self.kind = kind
        self.message = message
        self.underlying = underlying
    }

    public static func == (lhs: DataPlaneWireError, rhs: DataPlaneWireError) -> Bool {
        lhs.kind == rhs.kind && lhs.message == rhs.message
    }
}
