import Foundation
import ArtifactControlPlane
import Hummingbird

/// Path segments of the URL as names: percent-decoded exactly once, and refused when the
/// decoded text could change the path's meaning.
///
/// Exists because the router matches the raw path: `%2e%2e` or `%2f` inside a segment would
/// otherwise reach the control plane as `..` or `/`. Only an artifact may contain `/` (its
/// grammar joins components with `/`), written `%2F` in its one segment.
enum PathParameter {
    /// The decoded `name` parameter: not empty, no `/`, not `.` or `..`, no control characters.
    /// The control plane then checks the name's own grammar.
    static func name(_ context: ServerRequestContext, _ name: String) throws -> String {
        try decode(context.parameters.get(name) ?? "", what: name, allowSlash: false)
    }

    /// The decoded artifact name (may contain `/` written as `%2F`).
    static func artifact(_ context: ServerRequestContext) throws -> String {
        try decode(context.parameters.get("artifact") ?? "", what: "artifact", allowSlash: true)
    }

    /// The file path after `/files/`: each segment decoded once and checked, then joined by `/`.
    static func filePath(_ context: ServerRequestContext) throws -> String {
        let segments = try context.parameters.getCatchAll().map { segment -> String in
            let raw = String(segment)
            guard let decoded = raw.utf8.contains(UInt8(ascii: "%")) ? raw.removingPercentEncoding : raw, !decoded.utf8.contains(UInt8(ascii: "/")) else {
                throw ControlPlaneError(.invalidPath, "file path segment \"\(NameGrammar.printable(String(segment)))\" does not decode to one clean segment")
            }
            return decoded
        }
        let path = segments.joined(separator: "/")
        try NameGrammar.validatePath(path)
        return path
    }

    static func decode(_ raw: String, what: String, allowSlash: Bool) throws -> String {
        // Most names carry no escape: skip Foundation's decoder (a measurable share of a small GET).
        guard let decoded = raw.utf8.contains(UInt8(ascii: "%")) ? raw.removingPercentEncoding : raw else {
            throw ControlPlaneError(.invalidName, "\(what) \"\(NameGrammar.printable(raw))\" is not valid percent-encoding")
        }
        // Byte checks, not `String.contains(_:)` (Foundation's, which searched with locale
        // options on every request).
        let refused =
            decoded.isEmpty || decoded == "." || decoded == ".." || (!allowSlash && decoded.utf8.contains(UInt8(ascii: "/")))
            || decoded.utf8.contains(UInt8(ascii: "\\"))
            || decoded.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
            || (allowSlash && decoded.split(separator: "/", omittingEmptySubsequences: false).contains { $0.isEmpty || $0 == "." || $0 == ".." })
        guard !refused else {
            throw ControlPlaneError(.invalidName, "\(what) \"\(NameGrammar.printable(decoded))\" is not a name (no '/', '.', '..' or control characters)")
        }
        return decoded
    }
}
