import ArtifactControlPlane
import ArtifactStoreAPI
import ArtifactStoreCore
import Foundation
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
            guard let decoded = percentDecoded(String(segment)), !decoded.utf8.contains(UInt8(ascii: "/")) else {
                throw ControlPlaneError(
                    .invalidPath,
                    "file path segment \"\(NameGrammar.printable(String(segment)))\" does not decode to one clean segment"
                )
            }
            if let scalar = NameGrammar.invisibleCharacter(in: decoded) {
                throw ControlPlaneError(.invalidPath, NameGrammar.invisibleCharacterMessage("file path segment", decoded, scalar))
            }
            return decoded
        }
        let path = segments.joined(separator: "/")
        try NameGrammar.validatePath(path)
        return path
    }

    /// `raw` with its percent-escapes decoded once, byte for byte; `nil` when an escape is
    /// malformed or the bytes are not UTF-8.
    ///
    /// Not Foundation's `removingPercentEncoding`, which drops a leading byte-order mark
    /// (`%EF%BB%BFteam` became `team`): the name must be exactly what was sent, and an invisible
    /// character is then refused by the caller, never silently removed.
    static func percentDecoded(_ raw: String) -> String? {
        try? PercentDecoding.decode(raw)
    }

    static func decode(_ raw: String, what: String, allowSlash: Bool) throws -> String {
        guard let decoded = percentDecoded(raw) else {
            throw ControlPlaneError(.invalidName, "\(what) \"\(NameGrammar.printable(raw))\" is not valid percent-encoding of UTF-8")
        }
        if let scalar = NameGrammar.invisibleCharacter(in: decoded) {
            throw ControlPlaneError(.invalidName, NameGrammar.invisibleCharacterMessage(what, decoded, scalar))
        }
        var utf8 = decoded
        guard utf8.withUTF8({ isClean($0, allowSlash: allowSlash) }) else {
            throw ControlPlaneError(
                .invalidName,
                "\(what) \"\(NameGrammar.printable(decoded))\" is not a name (no '/', '.', '..' or control characters)"
            )
        }
        return decoded
    }

    /// One pass over the decoded UTF-8: not empty; no `\\`, no C0 control or DEL (the only
    /// bytes below 0x20 or equal to 0x7F in UTF-8 are those characters themselves); no `/`
    /// unless `allowSlash`, and then no empty, `.` or `..` segment (which covers the whole
    /// name being `.` or `..`).
    static func isClean(_ utf8: UnsafeBufferPointer<UInt8>, allowSlash: Bool) -> Bool {
        var segmentStart = 0
        for index in 0...utf8.count {
            let byte = index < utf8.count ? utf8[index] : UInt8(ascii: "/")
            switch byte {
            case UInt8(ascii: "/"):
                guard index == utf8.count || allowSlash else { return false }
                switch index - segmentStart {
                case 0: return false
                case 1 where utf8[segmentStart] == UInt8(ascii: "."): return false
                case 2 where utf8[segmentStart] == UInt8(ascii: ".") && utf8[segmentStart + 1] == UInt8(ascii: "."): return false
                default: segmentStart = index + 1
                }
            case UInt8(ascii: "\\"), 0x00..<0x20, 0x7F:
                return false
            default:
                continue
            }
        }
        return true
    }
}
