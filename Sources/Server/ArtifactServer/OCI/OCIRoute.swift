import ArtifactControlPlane
import ArtifactOCI
import ArtifactStoreAPI
import Foundation

/// A `/v2` request path, parsed: which endpoint of the distribution API and on what.
///
/// Exists because OCI repository names contain `/`, so the router cannot split them into
/// parameters: the path is read from its end (`…/blobs/uploads/<id>`, `…/manifests/<ref>`, …)
/// and what precedes the endpoint's fixed part is the name, checked by ``OCIRepositoryName``.
enum OCIRoute: Equatable {
    case base
    case catalog
    /// `/v2/token`: the registry token endpoint (docs/oci.md, "Token authentication").
    case token
    case tags(OCIRepositoryName)
    case manifest(OCIRepositoryName, reference: String)
    case referrers(OCIRepositoryName, digest: String)
    case blob(OCIRepositoryName, digest: String)
    case uploads(OCIRepositoryName)
    case upload(OCIRepositoryName, id: String)

    /// Parses the raw (still percent-encoded) path; a single-component name goes into
    /// `defaultNamespace` when there is one (``OCINamingPolicy``).
    ///
    /// - Throws: `NAME_INVALID` for a bad repository name or a segment that does not decode
    ///   (or decodes to something with `/`); `nil` for a path that is no endpoint.
    static func parse(path: String, defaultNamespace: String? = nil) throws(OCIError) -> OCIRoute? {
        guard path == "/v2" || path.hasPrefix("/v2/") else { return nil }
        // Read on the UTF-8 bytes in one pass, with a String made only for the name and the last
        // segment: every `/v2` request passes here. Splitting into Strings and joining the name
        // again cost a small GET some 25,000 instructions (callgrind), a tenth of the request.
        var plain = try plainPath(path)
        return try plain.withUTF8 { bytes in route(in: bytes, defaultNamespace: defaultNamespace) }.get()
    }

    /// `path` with each segment percent-decoded once (clients may encode `:` in a digest as
    /// `%3A`), or `path` itself when nothing in it is encoded or outside ASCII.
    ///
    /// - Throws: `NAME_INVALID` for a segment that does not decode, decodes to something with
    ///   `/`, or holds an invisible character.
    private static func plainPath(_ path: String) throws(OCIError) -> String {
        var path = path
        let plain = path.withUTF8 { bytes in !bytes.contains { $0 == UInt8(ascii: "%") || $0 >= 0x80 } }
        if plain { return path }
        var parts: [String] = []
        for raw in path.utf8.dropFirst(3).split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            let part = String(Substring(raw))
            let decoded: String
            if raw.contains(UInt8(ascii: "%")) {
                guard let text = PathParameter.percentDecoded(part), !text.utf8.contains(UInt8(ascii: "/")) else {
                    throw OCIError(.nameInvalid, "path segment \"\(NameGrammar.printable(part))\" is not valid percent-encoding")
                }
                decoded = text
            } else {
                decoded = part
            }
            // Only a non-ASCII scalar can be invisible.
            if decoded.utf8.contains(where: { $0 >= 0x80 }), let scalar = NameGrammar.invisibleCharacter(in: decoded) {
                throw OCIError(.nameInvalid, NameGrammar.invisibleCharacterMessage("path segment", decoded, scalar))
            }
            parts.append(decoded)
        }
        // No decoded segment holds a `/`, so splitting the result gives these segments again.
        return "/v2" + parts.joined(separator: "/")
    }

    /// The route of a path whose segments need no decoding (``plainPath(_:)``).
    private static func route(in path: UnsafeBufferPointer<UInt8>, defaultNamespace: String?) -> Result<OCIRoute?, OCIError> {
        // The segments after `/v2`, as byte ranges; an empty first and last one (the `/` after
        // `/v2`, a trailing `/`) are not segments.
        var parts: [Range<Int>] = []
        parts.reserveCapacity(8)
        var start = 3
        for index in 3..<path.count where path[index] == UInt8(ascii: "/") {
            parts.append(start..<index)
            start = index + 1
        }
        parts.append(start..<path.count)
        if parts.first?.isEmpty == true { parts.removeFirst() }
        if parts.last?.isEmpty == true { parts.removeLast() }
        func part(_ index: Int, is literal: StaticString) -> Bool {
            let range = parts[index]
            return range.count == literal.utf8CodeUnitCount
                && literal.withUTF8Buffer { UnsafeBufferPointer(rebasing: path[range]).elementsEqual($0) }
        }
        func text(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: path[range]), as: UTF8.self) }
        let n = parts.count
        if n == 0 { return .success(.base) }
        if n == 1, part(0, is: "_catalog") { return .success(.catalog) }
        if n == 1, part(0, is: "token") { return .success(.token) }
        guard n >= 3 else { return .success(nil) }
        // The segments before the endpoint's fixed part, with the `/`s between them.
        func name(_ count: Int) -> Result<OCIRepositoryName, OCIError> {
            Result { () throws(OCIError) in
                try OCIRepositoryName(parsing: text(parts[0].lowerBound..<parts[count - 1].upperBound), defaultNamespace: defaultNamespace)
            }
        }
        let last = text(parts[n - 1])
        if part(n - 2, is: "tags"), part(n - 1, is: "list") { return name(n - 2).map { .tags($0) } }
        if part(n - 2, is: "manifests") { return name(n - 2).map { .manifest($0, reference: last) } }
        if part(n - 2, is: "referrers") { return name(n - 2).map { .referrers($0, digest: last) } }
        if n >= 4, part(n - 3, is: "blobs"), part(n - 2, is: "uploads") { return name(n - 3).map { .upload($0, id: last) } }
        if part(n - 2, is: "blobs"), part(n - 1, is: "uploads") { return name(n - 2).map { .uploads($0) } }
        if part(n - 2, is: "blobs") { return name(n - 2).map { .blob($0, digest: last) } }
        return .success(nil)
    }
}
