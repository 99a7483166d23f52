import ArtifactStoreCore
import HTTPTypes
import Hummingbird
import Logging

/// Gives every request an id: the client's `X-Request-ID` when it is 1–128 characters of
/// `A-Za-z0-9._-`, otherwise (when absent) a new one. Puts it in the log metadata of every line
/// written while the request is handled (`request_id`, through ``RequestLogMetadata``), the
/// context (for audit records) and the `X-Request-ID` response header, and writes one
/// access line per request (``AccessLogEntry``: method, path, route, status, bytes in and out,
/// time to the response's last byte). A malformed id is refused (400 `invalidRequestID`).
///
/// `now` is the clock the access line is timed with (a test passes one it moves by hand).
struct RequestIDMiddleware: Sendable {
    typealias Context = ServerRequestContext

    static let header = HTTPField.Name("X-Request-ID")!

    let now: @Sendable () -> ContinuousClock.Instant

    init(now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.now = now
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let start = now()
        let supplied = request.headers[Self.header]
        let valid = supplied.map(Self.isValid) ?? true
        context.requestID = valid ? (supplied ?? Self.generate()) : Self.generate()
        var received: ByteTally?
        var response: Response
        if valid {
            var request = request
            if Self.hasBody(request.head) {
                let tally = ByteTally()
                request.body = RequestBody(asyncSequence: ByteCountingSequence(base: request.body) { tally.add($0) })
                received = tally
            }
            response = try await RequestLogMetadata.$requestID.withValue(context.requestID) { [request] in
                try await next(request, context)
            }
        } else {
            response = ErrorResponse.response(
                for: HTTPAPIError(
                    .invalidRequestID,
                    "X-Request-ID must be 1-128 characters of A-Z a-z 0-9 . _ - (got \(supplied?.count ?? 0) characters)"
                ),
                method: request.method
            )
        }
        response.headers[Self.header] = context.requestID
        let entry = AccessLogEntry(
            logger: context.logger,
            requestID: context.requestID,
            method: request.method.rawValue,
            path: request.uri.path,
            route: context.endpointPath ?? "unmatched",
            status: Int(response.status.code),
            start: start,
            now: now,
            received: received
        )
        return entry.attach(to: response)
    }

    /// Whether the request announces a body (a length above zero, or chunked), whose bytes the
    /// access line then counts as they are read.
    static func hasBody(_ head: HTTPRequest) -> Bool {
        if let length = head.headerFields[.contentLength] { return length != "0" }
        return head.headerFields[.transferEncoding] != nil
    }

    static func isValid(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count)
            && id.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x2E || byte == 0x5F
                    || byte == 0x2D
            }
    }

    static func generate() -> String {
        UniqueID.next()
    }
}
