// Re-exported (as NIOPosix re-exports NIOCore): this module's error is a `LayeredError`, so its users
// need the core's members (`kind`, `message`, `underlying`) wherever they handle it.
@_exported import ArtifactStoreCore

/// A failure of the data plane wire protocol itself, as opposed to a failure of an operation
/// (which is a `DataPlaneError` and travels in an error frame with its own code).
///
/// Exists so a hostile or broken peer is answered with a stable, typed reason (the daemon sends
/// it in an error frame on call 0 and closes the connection), and so the client can tell "the
/// daemon said no" from "the daemon could not be reached". ``code`` is the string carried in
/// error frames; codes are never renamed once published (docs/dataplane-protocol.md lists them).
public typealias DataPlaneWireError = LayeredError<DataPlaneWireErrorCode>

/// Stable protocol error codes. They reach no HTTP answer as themselves: a remote data plane
/// reports them as `dataPlaneUnavailable`, keeping the protocol error as the cause.
public enum DataPlaneWireErrorCode: String, ErrorCode, Codable {
    case frameTooLarge
    case truncatedFrame
    case malformedFrame
    case unknownFrameKind
    case unknownOperation
    case unsupportedVersion
    case handshakeRequired
    case protocolViolation
    case tooManyCalls
    case peerNotAllowed
    case stalled
    case shuttingDown
    case connectionFailed
    case ticketUnknown
    case descriptorPassingFailed

    public static let layer = "data plane wire"

    public var meaning: String {
        switch self {
        case .frameTooLarge:
            "A length prefix announced a frame body larger than the limit (or of length 0). Refused before the body is read or allocated."
        case .truncatedFrame: "The connection ended in the middle of a frame."
        case .malformedFrame:
            "A frame body is not well-formed CBOR, or not the `[kind, call, body]` array, or its body does not have the shape its "
                + "kind requires."
        case .unknownFrameKind: "A frame kind this version does not define."
        case .unknownOperation: "A request names an operation this version does not define."
        case .unsupportedVersion: "The client offered no protocol version the daemon speaks."
        case .handshakeRequired: "The first frame on a connection was not `hello`."
        case .protocolViolation:
            "A frame arrived that the protocol does not allow at that point (data without credit, a reused call id, a frame for a "
                + "call never opened, a second hello, …)."
        case .tooManyCalls: "A request would exceed the concurrent calls allowed on one connection."
        case .peerNotAllowed: "The peer's uid and gid (`SO_PEERCRED`) are not on the daemon's allow-list."
        case .stalled:
            "A call made no progress (the peer stopped reading or writing) for longer than the daemon's stall timeout; the connection"
                + " was closed."
        case .shuttingDown: "The daemon is shutting down and takes no new calls."
        case .connectionFailed: "The client could not connect, or the connection closed while a call was in flight."
        case .ticketUnknown:
            "A descriptor side-channel ticket that the daemon does not hold: never issued, already redeemed, expired, or issued to "
                + "another process."
        case .descriptorPassingFailed:
            "The side channel did not deliver a usable descriptor (no descriptor, a short or malformed answer, a file that is not "
                + "what the serve announced)."
        }
    }
}
