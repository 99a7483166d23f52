import Hummingbird
import Logging

/// Turns every error a route throws into the API's JSON error body with its status
/// (``ErrorResponse``). Server-side failures (5xx) are logged with their full cause; the body
/// only says the server failed.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = ServerRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let response = ErrorResponse.response(for: error, method: request.method)
            if response.status.code >= 500 {
                context.logger.error("request failed", metadata: ["error": "\(error)"])
            } else {
                context.logger.debug("request refused", metadata: ["error": "\(error)"])
            }
            return response
        }
    }
}
