import HTTPTypes
import Hummingbird
import Logging

/// Gives every request an id: the client's `X-Request-ID` when it is 1–128 characters of
/// `A-Za-z0-9._-`, otherwise (when absent) a new one. Puts it in the log metadata of every line
/// written while the request is handled (`request_id`, through ``RequestLogMetadata``), the
/// context (for audit records) and the `X-Request-ID` response header, and writes one
/// access-log line per request. A malformed id is refused (400 `invalidRequestID`).
///
/// The log line names the method, the path, the status and the duration; never a header
/// value, so never a credential.
struct RequestIDMiddleware: Sendable {
    typealias Context = ServerRequestContext

    static let header = HTTPField.Name("X-Request-ID")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let start = ContinuousClock.now
        let supplied = request.headers[Self.header]
        let valid = supplied.map(Self.isValid) ?? true
        context.requestID = valid ? (supplied ?? Self.generate()) : Self.generate()
        var response: Response
        if valid {
            response = try await RequestLogMetadata.$requestID.withValue(context.requestID) {
                try await next(request, context)
            }
        } else {
            response = ErrorResponse.response(
                for: HTTPAPIError(.invalidRequestID, "X-Request-ID must be 1-128 characters of A-Z a-z 0-9 . _ - (got \(supplied?.count ?? 0) characters)"),
                method: request.method)
        }
        response.headers[Self.header] = context.requestID
        let elapsed = ContinuousClock.now - start
        context.logger.info(
            "request",
            metadata: [
                "request_id": "\(context.requestID)", "method": "\(request.method.rawValue)", "path": "\(request.uri.path)",
                "status": "\(response.status.code)",
                "duration_ms": "\(Double(elapsed.components.attoseconds / 1_000_000_000_000) / 1000 + Double(elapsed.components.seconds) * 1000)",
            ])
        return response
    }

    static func isValid(_ id: String) -> Bool {
        (1...128).contains(id.utf8.count)
            && id.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) || byte == 0x2E || byte == 0x5F || byte == 0x2D
            }
    }

    static func generate() -> String {
        RequestIDGenerator.next()
    }
}
