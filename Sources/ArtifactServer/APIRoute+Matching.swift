import HTTPTypes

extension APIRoute {
    /// Whether this route's path template (`:name` one segment, `**` one or more) matches `path`.
    func matches(path: String) -> Bool {
        let template = self.path.split(separator: "/")
        let segments = path.split(separator: "/")
        for (index, expected) in template.enumerated() {
            if expected == "**" { return segments.count > index }
            guard index < segments.count else { return false }
            if expected.hasPrefix(":") { continue }
            if expected != segments[index] { return false }
        }
        return template.count == segments.count
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
