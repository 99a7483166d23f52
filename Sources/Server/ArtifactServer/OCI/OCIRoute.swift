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
        // Split and decoded on the UTF-8 bytes: every `/v2` request passes here, and splitting
        // the `Character`s and searching them with Foundation cost a small GET some 60,000
        // instructions (callgrind).
        var parts: [String] = []
        parts.reserveCapacity(6)
        for raw in path.utf8.dropFirst(3).split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            let part = String(Substring(raw))
            // Clients may encode `:` in a digest as `%3A`: each segment is decoded once.
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
        if parts.first == "" { parts.removeFirst() }
        if parts.last == "" { parts.removeLast() }
        if parts.isEmpty { return .base }
        if parts == ["_catalog"] { return .catalog }
        if parts == ["token"] { return .token }
        let n = parts.count
        guard n >= 3 else { return nil }
        func name(_ count: Int) throws(OCIError) -> OCIRepositoryName {
            try OCIRepositoryName(parsing: parts[..<count].joined(separator: "/"), defaultNamespace: defaultNamespace)
        }
        if parts[n - 2] == "tags", parts[n - 1] == "list" { return .tags(try name(n - 2)) }
        if parts[n - 2] == "manifests" { return .manifest(try name(n - 2), reference: parts[n - 1]) }
        if parts[n - 2] == "referrers" { return .referrers(try name(n - 2), digest: parts[n - 1]) }
        if n >= 4, parts[n - 3] == "blobs", parts[n - 2] == "uploads" { return .upload(try name(n - 3), id: parts[n - 1]) }
        if parts[n - 2] == "blobs", parts[n - 1] == "uploads" { return .uploads(try name(n - 2)) }
        if parts[n - 2] == "blobs" { return .blob(try name(n - 2), digest: parts[n - 1]) }
        return nil
    }
}
