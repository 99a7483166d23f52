import ArtifactStoreAPI
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

    /// The actor recorded in audit records: `token:<id>`.
    public var actor: String { "token:\(tokenID)" }
}

/// The answer of ``Auth/authorize(token:scope:namespace:context:)``.
public enum AuthorizationDecision: Sendable, Hashable {
    case allow(Principal)
    /// No token, an unknown one, or an expired or revoked one (HTTP 401). The error says which.
    case unauthenticated(ControlPlaneError.Code)
    /// A valid token without the scope (HTTP 403).
    case forbidden(Principal)
}
