public import ArtifactStoreAPI
import Foundation

extension Grant {
    /// A grant as stored in the tokens table (`read:team`, `admin:*`).
    init(parsing text: Substring) throws(ControlPlaneError) {
        let parts = text.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let scope = Scope(rawValue: String(parts[0])) else {
            throw ControlPlaneError(.database, "stored grant \"\(text)\" does not parse")
        }
        self.init(scope, namespace: parts[1] == "*" ? nil : String(parts[1]))
    }
}

/// A newly created token: the only time its secret is seen.
public struct IssuedToken: Sendable, Hashable {
    public var info: TokenInfo
    /// The bearer token, `ast_<id>_<secret>`. Stored nowhere; only its SHA-256 is kept.
    public var token: String
}

/// Who an allowed request acts as.
public struct Principal: Sendable, Hashable {
    public var tokenID: String
    public var name: String
    public var grants: [Grant]
    /// The actor recorded in audit records: `token:<id>` for a store token; for a registry JWT,
    /// the identity it was issued to (its `sub`).
    public var actor: String
    /// `nil`: the grants apply to whole namespaces (a store token). A registry JWT's principal
    /// may act only on these OCI repositories, each up to its scope (``RegistryAccess``), and on
    /// no `/v1` route.
    public var repositories: [String: Scope]?

    public init(tokenID: String, name: String, grants: [Grant], actor: String? = nil, repositories: [String: Scope]? = nil) {
        self.tokenID = tokenID
        self.name = name
        self.grants = grants
        self.actor = actor ?? "token:\(tokenID)"
        self.repositories = repositories
    }

    /// Whether this principal may use `scope` in `namespace` (on `repository`, for an OCI
    /// request). A repository-bound principal needs the repository named with at least `scope`.
    public func allows(_ scope: Scope, in namespace: String?, repository: String? = nil) -> Bool {
        if let repositories {
            guard let repository, let granted = repositories[repository] else { return false }
            return granted >= scope
        }
        return grants.contains { $0.allows(scope, in: namespace) }
    }
}

extension Principal {
    /// The caller without a token, allowed to read `namespaces` (public ones). Its actor is
    /// `anonymous`, as in every other record of a request without a token.
    public static func anonymous(reading namespaces: [String]) -> Principal {
        Principal(tokenID: "", name: "anonymous", grants: namespaces.map { Grant(.read, namespace: $0) }, actor: "anonymous")
    }
}

/// The answer of ``Auth/authorize(token:scope:namespace:repository:context:)``.
public enum AuthorizationDecision: Sendable, Hashable {
    case allow(Principal)
    /// No token, an unknown one, or an expired or revoked one (HTTP 401). The error says which.
    case unauthenticated(ControlPlaneError.Code)
    /// A valid token without the scope (HTTP 403).
    case forbidden(Principal)
}
