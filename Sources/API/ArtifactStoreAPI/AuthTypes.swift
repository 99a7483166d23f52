public import Foundation

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

    public init(id: String, name: String, grants: [Grant], createdBy: String, createdAt: Date, expiresAt: Date?, revokedAt: Date?) {
        self.id = id
        self.name = name
        self.grants = grants
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }
}
