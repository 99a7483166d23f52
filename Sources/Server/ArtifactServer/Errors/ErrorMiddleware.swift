import ArtifactStoreAPI
import HTTPTypes
import Hummingbird
import Logging

/// Turns every error a route throws into the API's JSON error body with its status
/// (``ErrorResponse``); a path that exists with other methods answers `405` with `Allow`
/// (``APIRoute/allowedMethods(forPath:)``). Server-side failures (5xx) are logged with their full cause and the
/// request id; the body says only what failed, by its code, and carries the request id (`requestID`).
struct ErrorMiddleware: Sendable {
    typealias Context = ServerRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            // The router found no route: a 405 with `Allow` when the path exists with other methods.
            let allowed = APIRoute.allowedMethods(forPath: request.uri.path)
            guard !allowed.isEmpty else { return ErrorResponse.response(for: error, method: request.method) }
            let refusal = HTTPAPIError(
                .methodNotAllowed,
                "\(request.method.rawValue) is not allowed on \(request.uri.path); allowed: \(allowed.map(\.rawValue).joined(separator: ", "))"
            )
            var response = ErrorResponse.response(for: refusal, method: request.method)
            response.headers[HTTPField.Name("Allow")!] = allowed.map(\.rawValue).joined(separator: ", ")
            return response
        } catch {
            let response = ErrorResponse.response(for: error, method: request.method, requestID: context.requestID)
            if response.status.code >= 500 {
                context.logger.error("request failed", metadata: ["error": "\(error)", "request_id": "\(context.requestID)"])
            } else {
                context.logger.debug("request refused", metadata: ["error": "\(error)"])
            }
            return response
        }
    }
}
