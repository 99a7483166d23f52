public import ArtifactStoreAPI
public import HTTPTypes

extension APIRoute {
    /// Whether this route's path template matches `path` (``RouteTemplate``, as the router matches).
    func matches(path: String) -> Bool {
        RouteTemplate(self.path).matches(path)
    }

    /// The methods `path` answers to: what a `405 Method Not Allowed` lists in `Allow`. Empty
    /// when no route has that path (a 404).
    static func allowedMethods(forPath path: String) -> [HTTPRequest.Method] {
        var methods: [HTTPRequest.Method] = []
        for route in all where route.matches(path: path) && !methods.contains(route.method.http) {
            methods.append(route.method.http)
        }
        return methods
    }
}

extension APIMethod {
    /// The method as swift-http-types spells it, which the router compares requests with.
    public var http: HTTPRequest.Method {
        switch self {
        case .get: .get
        case .head: .head
        case .put: .put
        case .post: .post
        case .delete: .delete
        }
    }
}
