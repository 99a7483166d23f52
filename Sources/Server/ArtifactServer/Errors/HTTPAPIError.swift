// Re-exported (as NIOPosix re-exports NIOCore): this module's error is a `LayeredError`, so its users
// need the core's members (`kind`, `message`, `underlying`) wherever they handle it.
@_exported import ArtifactStoreCore

/// A refusal made by the HTTP layer itself, before or around the control plane.
///
/// Exists so a malformed request (bad header, bad query, unknown route, wrong media type) is
/// answered with the same `{"error":{"code","message"}}` shape and a stable code, like every
/// control-plane or data-plane refusal.
public typealias HTTPAPIError = LayeredError<HTTPAPIErrorCode>

/// Stable HTTP-layer codes (docs/api.md). Never renamed once published.
public enum HTTPAPIErrorCode: String, ErrorCode {
    case badRequest
    case notFound
    case methodNotAllowed
    case payloadTooLarge
    case unsupportedMediaType
    case invalidRequestID
    case internalError
    case unsupportedTransferCoding
    case tooManyConnections

    public static let layer = "HTTP API"

    public var meaning: String {
        switch self {
        case .badRequest: "A query parameter, header or body is malformed."
        case .notFound: "No route has this path."
        case .methodNotAllowed: "The path exists but not with this method."
        case .payloadTooLarge: "A body is larger than the route accepts."
        case .unsupportedMediaType: "A body is not of the media type the route reads."
        case .invalidRequestID: "`X-Request-ID` is not 1–128 characters of `A-Za-z0-9._-`."
        case .internalError: "The server failed; the message never carries secrets or internals."
        case .unsupportedTransferCoding: "A `Transfer-Encoding` other than `chunked` alone (`501`; nothing is stored)."
        case .tooManyConnections: "The server has its maximum number of connections open (`503` with `Retry-After`)."
        }
    }

    public var httpStatus: Int? {
        switch self {
        case .badRequest, .invalidRequestID: 400
        case .notFound: 404
        case .methodNotAllowed: 405
        case .payloadTooLarge: 413
        case .unsupportedMediaType: 415
        case .internalError: 500
        case .unsupportedTransferCoding: 501
        case .tooManyConnections: 503
        }
    }
}
