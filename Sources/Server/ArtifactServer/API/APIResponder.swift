public import Hummingbird

/// ``APIRouter``'s responder: resolves the route, then runs the middlewares around its handler,
/// so every request, routed or not, is logged, counted and answered with the API's errors.
/// A path no route takes reaches them as `HTTPError(.notFound)`, as from Hummingbird's router;
/// an `HTTPResponseError` that escapes them is rendered as that router renders it.
public struct APIResponder: HTTPResponder {
    public typealias Context = ServerRequestContext
    let router: APIRouter

    @Sendable public func respond(to request: Request, context: ServerRequestContext) async throws -> Response {
        var context = context
        let handler = router.resolve(request, context: &context)
        do {
            return try await router.middlewares.handle(request, context: context) { request, context in
                guard let handler else { throw HTTPError(.notFound) }
                return try await handler(request, context)
            }
        } catch let error as any HTTPResponseError {
            return try error.response(from: request, context: context)
        }
    }
}
