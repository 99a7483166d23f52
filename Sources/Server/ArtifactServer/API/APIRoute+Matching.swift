import HTTPTypes

extension APIRoute {
    /// Whether this route's path template matches `path` (``RouteTemplate``, as the router matches).
    func matches(path: String) -> Bool {
        RouteTemplate(self.path).matches(path)
    }

    /// The methods `path` answers to: what a `405 Method Not Allowed` lists in `Allow`. Empty
    /// when no route has that path (a 404).
    static func allowedMethods(forPath path: String) -> [HTTPRequest.Method] {
        var methods: [HTTPRequest.Method] = []
        for route in all where route.matches(path: path) && !methods.contains(route.method) {
            methods.append(route.method)
        }
        return methods
    }
}
