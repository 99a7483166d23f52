import HTTPTypes
import Hummingbird

/// The server's router: every route of ``APIRoute/all`` and the `/v2` distribution API, behind
/// ``ServerMiddlewares``.
///
/// Exists instead of Hummingbird's `Router` for speed, with the same matching rules: the raw
/// (still percent-encoded) path is split on `/` with empty segments skipped, a literal segment
/// matches byte for byte, `:name` captures one segment and `**` the rest (one or more). The
/// trie router split every path into `Character`s, which with its three responder layers cost
/// about a tenth of a small GET's instructions (callgrind); here the path's UTF-8 is split in one
/// pass and compared with the few routes of the same length. As with `Router`, a path no route
/// matches reaches the middlewares as `HTTPError(.notFound)`, which ``ErrorMiddleware`` turns into
/// a 404, or a 405 when the path exists with other methods; and `context.endpointPath` is the
/// matched template (`/v1/namespaces/{ns}`), which the metrics label requests with.
public struct APIRouter: HTTPResponderBuilder, Sendable {
    let endpoints: [Endpoint]
    let oci: OCIDistributionAPI
    let middlewares: ServerMiddlewares

    init(endpoints: [Endpoint], oci: OCIDistributionAPI, middlewares: ServerMiddlewares) {
        self.endpoints = endpoints
        self.oci = oci
        self.middlewares = middlewares
    }

    public func buildResponder() -> APIResponder {
        APIResponder(router: self)
    }

    /// One route: its template, method, metrics label and handler.
    struct Endpoint: Sendable {
        enum Segment: Sendable, Equatable {
            case literal(Substring)
            case capture(Substring)
            case rest
        }

        let segments: [Segment]
        let method: HTTPRequest.Method
        let label: String
        let handler: @Sendable (Request, ServerRequestContext) async throws -> Response

        init(template: String, method: HTTPRequest.Method, handler: @escaping @Sendable (Request, ServerRequestContext) async throws -> Response) {
            self.segments = template.split(separator: "/").map { segment in
                if segment == "**" { return .rest }
                if segment.first == ":" { return .capture(segment.dropFirst()) }
                return .literal(segment)
            }
            self.method = method
            self.label = RouterPath(template).description
            self.handler = handler
        }

        /// The captures when `path`'s `segments` match this template, else `nil`.
        func parameters(_ path: String, _ segments: [Range<String.Index>]) -> Parameters? {
            var parameters = Parameters()
            for (index, expected) in self.segments.enumerated() {
                switch expected {
                case .rest:
                    guard index < segments.count else { return nil }
                    parameters.setCatchAll(path[segments[index].lowerBound..<segments[segments.count - 1].upperBound])
                    return parameters
                case .capture(let name):
                    guard index < segments.count else { return nil }
                    parameters[name] = path[segments[index]]
                case .literal(let literal):
                    guard index < segments.count, path[segments[index]] == literal else { return nil }
                }
            }
            return self.segments.count == segments.count ? parameters : nil
        }
    }

    /// The methods the distribution API is routed on, at `/v2` and below.
    static let ociMethods: [HTTPRequest.Method] = [.get, .head, .put, .post, .patch, .delete]

    /// The non-empty `/`-separated segments of `path`, as ranges of it.
    static func segments(of path: String) -> [Range<String.Index>] {
        var segments: [Range<String.Index>] = []
        segments.reserveCapacity(8)
        let utf8 = path.utf8
        var start = utf8.startIndex
        var index = start
        while index != utf8.endIndex {
            if utf8[index] == UInt8(ascii: "/") {
                if start != index { segments.append(start..<index) }
                start = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        if start != utf8.endIndex { segments.append(start..<utf8.endIndex) }
        return segments
    }

    /// The handler for `request`, with the context's parameters and endpoint path set; `nil`
    /// when no route has this path and method.
    func resolve(_ request: Request, context: inout ServerRequestContext) -> (@Sendable (Request, ServerRequestContext) async throws -> Response)? {
        let path = request.uri.path
        let segments = Self.segments(of: path)
        if let first = segments.first, path[first] == "v2" {
            guard Self.ociMethods.contains(request.method) else { return nil }
            context.coreContext.endpointPath.value = segments.count == 1 ? "/v2" : "/v2/**"
            let oci = self.oci
            return { request, context in await oci.handle(request, context) }
        }
        for endpoint in endpoints where endpoint.method == request.method {
            if let parameters = endpoint.parameters(path, segments) {
                context.coreContext.parameters = parameters
                context.coreContext.endpointPath.value = endpoint.label
                return endpoint.handler
            }
        }
        return nil
    }
}
