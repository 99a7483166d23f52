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
    ///
    /// Scans the contiguous UTF-8 bytes (a request's path always is: Hummingbird makes it a
    /// native string) and turns offsets into indices, which is constant time for such strings;
    /// stepping `String.UTF8View` indices one by one cost about 3,000 instructions a request.
    static func segments(of path: String) -> [Range<String.Index>] {
        var segments: [Range<String.Index>] = []
        segments.reserveCapacity(8)
        let utf8 = path.utf8
        let scanned: Void? = utf8.withContiguousStorageIfAvailable { bytes in
            func append(_ lower: Int, _ upper: Int) {
                segments.append(utf8.index(utf8.startIndex, offsetBy: lower)..<utf8.index(utf8.startIndex, offsetBy: upper))
            }
            var start = 0
            for offset in 0..<bytes.count where bytes[offset] == UInt8(ascii: "/") {
                if start != offset { append(start, offset) }
                start = offset + 1
            }
            if start != bytes.count { append(start, bytes.count) }
        }
        if scanned != nil { return segments }
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
    ///
    /// Checks the shape first without building anything: the router tries the routes of a
    /// method in turn, and most of them do not match.
    func parameters(_ path: String, _ segments: [Range<String.Index>]) -> Parameters? {
        guard matches(path, segments) else { return nil }
        var parameters = Parameters()
        for (index, expected) in self.segments.enumerated() {
            switch expected {
            case .rest:
                parameters.setCatchAll(path[segments[index].lowerBound..<segments[segments.count - 1].upperBound])
                return parameters
            case .capture(let name):
                parameters[name] = path[segments[index]]
            case .literal:
                continue
            }
        }
        return parameters
    }

    /// Whether `path`, split into `segments`, has this template's shape: as many segments (or at
    /// least one for `**`), each literal equal byte for byte (no Unicode comparison: the path is
    /// still percent-encoded, and a route's literals are ASCII).
    func matches(_ path: String, _ segments: [Range<String.Index>]) -> Bool {
        for (index, expected) in self.segments.enumerated() {
            guard index < segments.count else { return false }
            switch expected {
            case .rest:
                return true
            case .capture:
                continue
            case .literal(let literal):
                guard path.utf8[segments[index]].elementsEqual(literal.utf8) else { return false }
            }
        }
        return self.segments.count == segments.count
    }

    /// Whether a path of `count` segments can match, by ``matches(_:_:)``'s rules: exactly as many
    /// as the template has, or with `**` (which takes the rest, one or more) at least one more than
    /// come before it.
    func accepts(segmentCount count: Int) -> Bool {
        if let rest = segments.firstIndex(of: .rest) { return count > rest }
        return count == segments.count
    }

    /// Whether `path` matches.
    func matches(_ path: String) -> Bool {
        matches(path, Self.segments(of: path))
    }
}
