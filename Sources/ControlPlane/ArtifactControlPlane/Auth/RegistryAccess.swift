public import ArtifactStoreAPI

/// What a registry bearer JWT grants: OCI repositories, each with the distribution spec's
/// actions (`pull`, `push`, `delete`, `*`), in the token's `access` claim form.
///
/// Exists so the token endpoint can answer the spec's `scope` parameters with exactly the
/// intersection of what was asked and what the identity may do, and so the `/v2` routes can
/// check a JWT against the repository they act on. Actions map onto the store's scopes in the
/// repository's namespace (the first component of its name, docs/oci.md): `pull` needs `read`,
/// `push` and `delete` need `write` (the store deletes versions with `write`), `*` needs `admin`.
public struct RegistryAccess: Sendable, Hashable, Codable {
    /// One entry of the `access` claim: `{"type":"repository","name":"ns/app","actions":["pull"]}`.
    public struct Entry: Sendable, Hashable, Codable {
        public var type: String
        public var name: String
        public var actions: [String]

        public init(type: String = "repository", name: String, actions: [String]) {
            self.type = type
            self.name = name
            self.actions = actions
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) {
        self.entries = entries
    }

    /// The actions this server knows, each with the store scope it needs.
    static let actionScopes: [String: Scope] = ["pull": .read, "push": .write, "delete": .write, "*": .admin]

    /// Parses the `scope` parameters of a token request: each is one or more space-separated
    /// `type:name:actions` (`repository:team/app:pull,push`). Entries for the same repository
    /// are merged; scopes of another type than `repository` (`registry:catalog:*`) are kept
    /// and granted nothing (the catalog follows the identity's own grants).
    ///
    /// - Throws: `invalidRegistryScope` for a malformed scope, a bad repository name or an
    ///   unknown action. At most 64 scopes, each at most 512 bytes.
    public static func parse(scopes: [String]) throws(ControlPlaneError) -> RegistryAccess {
        var merged: [String: (type: String, actions: [String])] = [:]
        var order: [String] = []
        let items = scopes.flatMap { $0.split(separator: " ").map(String.init) }
        guard items.count <= 64 else {
            throw ControlPlaneError(.invalidRegistryScope, "a token request may ask for at most 64 scopes, not \(items.count)")
        }
        for item in items {
            guard item.utf8.count <= 512 else {
                throw ControlPlaneError(.invalidRegistryScope, "scope of \(item.utf8.count) bytes is longer than 512")
            }
            guard let firstColon = item.firstIndex(of: ":"), let lastColon = item.lastIndex(of: ":"), firstColon < lastColon else {
                throw ControlPlaneError(.invalidRegistryScope, "scope \"\(NameGrammar.printable(item))\" is not <type>:<name>:<actions>")
            }
            let type = String(item[..<firstColon])
            let name = String(item[item.index(after: firstColon)..<lastColon])
            let actions = item[item.index(after: lastColon)...].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard !type.isEmpty, !name.isEmpty, !actions.isEmpty, actions.allSatisfy({ !$0.isEmpty }) else {
                throw ControlPlaneError(.invalidRegistryScope, "scope \"\(NameGrammar.printable(item))\" is not <type>:<name>:<actions>")
            }
            if type == "repository" {
                _ = try namespace(ofRepository: name)
                for action in actions where actionScopes[action] == nil {
                    throw ControlPlaneError(
                        .invalidRegistryScope,
                        "scope \"\(NameGrammar.printable(item))\" asks for action \"\(NameGrammar.printable(action))\"; "
                            + "the actions are pull, push, delete and *"
                    )
                }
            }
            let key = "\(type):\(name)"
            if merged[key] == nil { order.append(key) }
            var entry = merged[key] ?? (type, [])
            for action in actions where !entry.actions.contains(action) { entry.actions.append(action) }
            merged[key] = entry
        }
        return RegistryAccess(
            entries: order.map { key in
                let entry = merged[key]!
                return Entry(type: entry.type, name: String(key.dropFirst(entry.type.count + 1)), actions: entry.actions)
            }
        )
    }

    /// The namespace a repository name lives in, the name checked as `/v2` checks it.
    ///
    /// - Throws: `invalidRegistryScope` for a name of one component or outside the grammar.
    public static func namespace(ofRepository name: String) throws(ControlPlaneError) -> String {
        guard let slash = name.firstIndex(of: "/") else {
            throw ControlPlaneError(
                .invalidRegistryScope,
                "repository \"\(NameGrammar.printable(name))\" needs at least two components: <namespace>/<artifact>"
            )
        }
        let namespace = String(name[..<slash])
        do {
            try NameGrammar.validateNamespace(namespace)
            try NameGrammar.validateArtifact(String(name[name.index(after: slash)...]))
        } catch {
            throw ControlPlaneError(.invalidRegistryScope, "repository \"\(NameGrammar.printable(name))\" is invalid: \(error.message)")
        }
        return namespace
    }

    /// The part of this request that `principal` may have: each repository entry keeps only the
    /// actions whose scope the principal holds in the repository's namespace (`*` only with
    /// `admin`); entries left with no action, and entries of other types, are dropped.
    public func granted(to principal: Principal) -> RegistryAccess {
        RegistryAccess(
            entries: entries.compactMap { entry in
                guard entry.type == "repository", let namespace = try? Self.namespace(ofRepository: entry.name) else { return nil }
                let actions = entry.actions.filter { action in
                    guard let scope = Self.actionScopes[action] else { return false }
                    return principal.allows(scope, in: namespace, repository: principal.repositories == nil ? nil : entry.name)
                }
                return actions.isEmpty ? nil : Entry(name: entry.name, actions: actions)
            }
        )
    }

    /// Each repository with the highest store scope its actions amount to: what a JWT's
    /// principal may do (``Principal/repositories``). `*` is every action, so `admin`.
    public var repositoryScopes: [String: Scope] {
        var scopes: [String: Scope] = [:]
        for entry in entries where entry.type == "repository" {
            for action in entry.actions {
                guard let scope = Self.actionScopes[action] else { continue }
                scopes[entry.name] = max(scopes[entry.name] ?? .read, scope)
            }
        }
        return scopes
    }
}
