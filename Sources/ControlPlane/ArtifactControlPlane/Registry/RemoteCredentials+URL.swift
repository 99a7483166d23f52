import ArtifactStoreAPI
package import Foundation

extension RemoteCredentials {
    /// A remote registry's base URL (a proxy namespace's upstream, a replication rule's remote),
    /// checked once for both: `http` or `https` with a host, no user, query or fragment (and no
    /// path unless `allowsPath`), at most 2,048 characters, nothing invisible, no space.
    /// Returned with the scheme and host lowercased and trailing `/`s removed.
    ///
    /// - Parameters:
    ///   - what: the field, first word of the refusal ("upstream", "remote").
    ///   - rule: what the URL must be, the rest of the refusal after "must be".
    /// - Throws: `code`, quoting the text unless it holds `@`: a URL with credentials in it is not
    ///   repeated, since the refusal reaches logs and the client.
    package static func checkedURL(
        _ text: String,
        what: String,
        rule: String,
        allowsPath: Bool,
        code: ControlPlaneError.Code
    ) throws(ControlPlaneError) -> URL {
        let shown = text.contains("@") ? "(a URL with credentials in it)" : "\"\(NameGrammar.printable(String(text.prefix(200))))\""
        let refusal = ControlPlaneError(code, "\(what) \(shown) must be \(rule)")
        guard text.count <= 2048, NameGrammar.invisibleCharacter(in: text) == nil, !text.contains(" "),
            var components = URLComponents(string: text),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty,
            components.user == nil, components.password == nil, components.query == nil, components.fragment == nil
        else { throw refusal }
        while components.path.hasSuffix("/") { components.path.removeLast() }
        guard allowsPath || components.path.isEmpty else { throw refusal }
        components.scheme = scheme
        components.host = host.lowercased()
        guard let url = components.url else { throw refusal }
        return url
    }
}
