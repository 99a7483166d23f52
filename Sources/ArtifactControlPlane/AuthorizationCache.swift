import Foundation

/// Valid tokens this process has recently looked up, keyed by the token's SHA-256 hash.
///
/// Exists so authorising a request (every `/v1` route, and the OCI `/v2` routes through
/// ``Auth/require(token:scope:namespace:context:)``) needs no database read in the steady
/// state. It promises:
/// - it never holds a token's secret, only the hash the store already keeps, and the token's
///   public facts (id, name, grants, expiry);
/// - at most ``ExpiringCache/capacity`` tokens, each for at most ``ExpiringCache/lifetime``;
/// - a revocation made through this process's ``Auth/revokeToken(id:context:)`` takes effect at
///   once (the entry is dropped, and a lookup racing the revocation cannot store a stale one);
///   a revocation made by another server sharing the database takes effect here within the
///   lifetime;
/// - expiry is checked against the clock on every hit, so a token expires on time even while
///   cached.
///
/// Only valid tokens are cached: unknown, revoked and expired ones always go to the database
/// (and are audited there), so guessing tokens cannot fill the cache.
public final class AuthorizationCache: Sendable {
    let entries: ExpiringCache<String, TokenInfo>

    public init(capacity: Int = 1024, lifetime: Duration = .seconds(2)) {
        entries = ExpiringCache(capacity: capacity, lifetime: lifetime)
    }

    /// The number of tokens held.
    public var count: Int { entries.count }

    /// Drops the token with public id `tokenID`: called on revocation.
    public func invalidate(tokenID: String) {
        entries.invalidate { _, info in info.id == tokenID }
    }

    /// Drops every token.
    public func removeAll() {
        entries.removeAll()
    }
}
