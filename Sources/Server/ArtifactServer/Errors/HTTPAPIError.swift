import ArtifactStoreCore

/// A refusal made by the HTTP layer itself, before or around the control plane.
///
/// Exists so a malformed request (bad header, bad query, unknown route, wrong media type) is
/// answered with the same `{"error":{"code","message"}}` shape and a stable code, like every
/// control-plane or data-plane refusal.
public struct HTTPAPIError: ArtifactStoreError {
    /// Stable HTTP-layer codes (docs/api.md). Never renamed once published.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        /// A query parameter, header or body is malformed.
        case badRequest
        /// No route has this path.
        case notFound
        /// The path exists but not with this method.
        case methodNotAllowed
        /// A body is larger than the route accepts.
        case payloadTooLarge
        /// A body is not of the media type the route reads.
        case unsupportedMediaType
        /// `X-Request-ID` is not 1–128 characters of `A-Za-z0-9._-`.
        case invalidRequestID
        /// The server failed; the message never carries secrets or internals.
        case internalError
        /// A `Transfer-Encoding` other than `chunked` alone (`501`; nothing is stored).
        case unsupportedTransferCoding
        /// The server has ``ConnectionLimits/maxConnections`` open (`503` with `Retry-After`).
        case tooManyConnections
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
}
