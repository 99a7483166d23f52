import Hummingbird

/// A route's path template, parsed once, and the one implementation of its matching rules:
/// the raw (still percent-encoded) path is split on `/` with empty segments skipped, a literal
/// segment matches byte for byte, `:name` captures one segment and `**` the rest (one or more).
///
/// Exists so the router (``APIRouter``) and the `405` check (``APIRoute/allowedMethods(forPath:)``)
/// cannot disagree about which paths a route takes. The rules are those of Hummingbird's trie
/// router, which ``APIRouter`` replaced.
struct RouteTemplate: Sendable {
    enum Segment: Sendable, Equatable {
        case literal(Substring)
        case capture(Substring)
        case rest
    }

    let segments: [Segment]

    /// Parses a template in Hummingbird's syntax (`/v1/namespaces/:ns/files/**`).
    init(_ template: String) {
        segments = template.split(separator: "/").map { segment in
            if segment == "**" { return .rest }
            if segment.first == ":" { return .capture(segment.dropFirst()) }
            return .literal(segment)
        }
    }

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

    /// The captures when `path`, split into `segments` (``segments(of:)``), matches, else `nil`.
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

    /// Whether `path` matches.
    func matches(_ path: String) -> Bool {
        parameters(path, Self.segments(of: path)) != nil
    }
}
