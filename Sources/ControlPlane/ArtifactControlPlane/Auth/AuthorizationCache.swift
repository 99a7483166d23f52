import ArtifactStoreAPI
import Foundation

/// Valid tokens this process has recently looked up, keyed by the token's SHA-256 hash.
///
/// Exists so authorising a request (every `/v1` route, and the OCI `/v2` routes through
/// ``Auth/require(token:scope:namespace:context:)``) needs no database read in the steady
/// state. It promises:
/// - it never holds a token's secret, only the hash the store already keeps, and the token's
///   public facts (id, name, grants, expiry);
/// - at most ``ExpiringCache/capacity`` tokens, each for at most ``ExpiringCache/lifetime``;
/// - a revocation takes effect at once in the process that made it (the entry is dropped, and a
///   lookup racing the revocation cannot store a stale one), and in every other process sharing
///   the database as soon as it hears of it (``ControlPlaneCaches``: on PostgreSQL shortly after
///   the commit; while the notifications are lost, nothing is cached at all);
/// - expiry is checked against the clock on every hit, so a token expires on time even while
///   cached.
///
/// Only valid tokens are cached: unknown, revoked and expired ones always go to the database
/// (and are audited there), so guessing tokens cannot fill the cache.
public final class AuthorizationCache: Sendable {
    let entries: ExpiringCache<String, TokenInfo>

    public init(capacity: Int = 1024, lifetime: Duration = ControlPlaneCaches.defaultLifetime) {
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
