import Foundation

/// What a token may do. Each scope includes the ones below it: `admin` ⊇ `write` ⊇ `read`.
public enum Scope: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case read
    case write
    case admin

    private var rank: Int {
        switch self {
        case .read: 0
        case .write: 1
        case .admin: 2
        }
    }

    public static func < (lhs: Scope, rhs: Scope) -> Bool { lhs.rank < rhs.rank }
}

/// A scope in one namespace, or in every namespace (``namespace`` `nil`).
///
/// Text form: `read:NAMESPACE`, `write:*` (global).
public struct Grant: Sendable, Hashable, Codable, CustomStringConvertible {
    public var scope: Scope
    /// `nil` for every namespace.
    public var namespace: String?

    public init(_ scope: Scope, namespace: String?) {
        self.scope = scope
        self.namespace = namespace
    }

    public static func global(_ scope: Scope) -> Grant { Grant(scope, namespace: nil) }

    /// Whether this grant allows `scope` in `namespace` (`nil`: a store-wide operation, which
    /// only global grants cover).
    public func allows(_ scope: Scope, in namespace: String?) -> Bool {
        guard self.scope >= scope else { return false }
        guard let mine = self.namespace else { return true }
        return mine == namespace
    }

    public var description: String { "\(scope.rawValue):\(namespace ?? "*")" }

    init(parsing text: Substring) throws(ControlPlaneError) {
        let parts = text.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let scope = Scope(rawValue: String(parts[0])) else {
            throw ControlPlaneError(.database, "stored grant \"\(text)\" does not parse")
        }
        self.init(scope, namespace: parts[1] == "*" ? nil : String(parts[1]))
    }
}

/// A token as listed: never its secret.
public struct TokenInfo: Sendable, Hashable, Codable {
    /// Public identifier, also the token's middle part.
    public var id: String
    public var name: String
    public var grants: [Grant]
    public var createdBy: String
    public var createdAt: Date
    public var expiresAt: Date?
    public var revokedAt: Date?
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
