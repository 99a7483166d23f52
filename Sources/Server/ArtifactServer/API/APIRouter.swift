import HTTPTypes
public import Hummingbird

/// The server's router: every route of ``APIRoute/all`` and the `/v2` distribution API, behind
/// ``ServerMiddlewares``.
///
/// Exists instead of Hummingbird's `Router` for speed, with the same matching rules
/// (``RouteTemplate``). The trie router split every path into `Character`s, which with its three
/// responder layers cost about a tenth of a small GET's instructions (callgrind); here the path's
/// UTF-8 is split once and compared with the routes of the request's method. As with `Router`, a path no route
/// matches reaches the middlewares as `HTTPError(.notFound)`, which ``ErrorMiddleware`` turns into
/// a 404, or a 405 when the path exists with other methods; and `context.endpointPath` is the
/// matched template (`/v1/namespaces/{ns}`), which the metrics label requests with.
public struct APIRouter: HTTPResponderBuilder, Sendable {
    let endpoints: [Endpoint]
    /// ``endpoints`` by method, in their order: a request compares its path with the routes of its
    /// own method only.
    let endpointsByMethod: [HTTPRequest.Method: [Endpoint]]
    /// ``endpointsByMethod`` narrowed further to the routes that can take a path of a given number
    /// of segments (index), in their order, for paths of up to ``shapedSegmentLimit`` segments: a
    /// request then compares its path with the few routes of its shape, not with every route of
    /// its method (about 15 byte comparisons a small GET, 2% of its instructions, before).
    let endpointsByShape: [HTTPRequest.Method: [[Endpoint]]]
    let oci: OCIDistributionAPI
    let middlewares: ServerMiddlewares

    /// Paths with more segments than this are compared with every route of their method.
    static let shapedSegmentLimit = 16

    init(endpoints: [Endpoint], oci: OCIDistributionAPI, middlewares: ServerMiddlewares) {
        self.endpoints = endpoints
        let byMethod = Dictionary(grouping: endpoints, by: \.method)
        self.endpointsByMethod = byMethod
        self.endpointsByShape = byMethod.mapValues { routes in
            (0...Self.shapedSegmentLimit).map { count in routes.filter { $0.template.accepts(segmentCount: count) } }
        }
        self.oci = oci
        self.middlewares = middlewares
    }

    public func buildResponder() -> APIResponder {
        APIResponder(router: self)
    }

    /// One route: its template, method, metrics label and handler.
    struct Endpoint: Sendable {
        let template: RouteTemplate
        let method: HTTPRequest.Method
        let label: String
        let handler: @Sendable (Request, ServerRequestContext) async throws -> Response

        init(
            template: String,
            method: HTTPRequest.Method,
            handler: @escaping @Sendable (Request, ServerRequestContext) async throws -> Response
        ) {
            self.template = RouteTemplate(template)
            self.method = method
            self.label = RouterPath(template).description
            self.handler = handler
        }
    }

    /// The methods the distribution API is routed on, at `/v2` and below.
    static let ociMethods: [HTTPRequest.Method] = [.get, .head, .put, .post, .patch, .delete]

    /// The handler for `request`, with the context's parameters and endpoint path set; `nil`
    /// when no route has this path and method.
    func resolve(
        _ request: Request,
        context: inout ServerRequestContext
    ) -> (@Sendable (Request, ServerRequestContext) async throws -> Response)? {
        let path = request.uri.path
        let segments = RouteTemplate.segments(of: path)
        if let first = segments.first, path[first] == "v2" {
            guard Self.ociMethods.contains(request.method) else { return nil }
            context.coreContext.endpointPath.value = segments.count == 1 ? "/v2" : "/v2/**"
            let oci = self.oci
            return { request, context in await oci.handle(request, context) }
        }
        let candidates =
            segments.count <= Self.shapedSegmentLimit
            ? endpointsByShape[request.method]?[segments.count] : endpointsByMethod[request.method]
        for endpoint in candidates ?? [] {
            if let parameters = endpoint.template.parameters(path, segments) {
                context.coreContext.parameters = parameters
                context.coreContext.endpointPath.value = endpoint.label
                return endpoint.handler
            }
        }
        return nil
    }
}
