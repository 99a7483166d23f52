public import ArtifactIdentity
public import ArtifactMetadata
import ArtifactStoreAPI
import Foundation

/// Immutable facts about namespaces and the blobs linked into them, recently read by this
/// process.
///
/// Exists so serving a blob (`HEAD`/`GET` of `/v1/.../blobs/{digest}`, the OCI blob routes, a
/// file inside a version) and ingesting into a namespace need no database read in the steady
/// state. Content addressing makes a linked blob's address, size and digests immutable; only
/// an unlink or a garbage-collection deletion ends the fact, and those publish a ``CacheEvent``
/// that calls ``invalidate(address:)`` in every process (``ControlPlaneCaches``). Only facts
/// that a blob *is* linked are held, so a new link never makes a held fact wrong. Namespaces
/// are never deleted, so their existence is immutable too.
///
/// Tenancy: a blob fact is keyed by the namespace it was read through and is stored only after
/// the database showed the blob linked into that namespace, so a warm cache never lets one
/// namespace see a blob linked only in another. Serving still goes through the data plane,
/// which proves every byte; a stale fact can only turn into a not-found, never into bytes that
/// were not proved.
public final class BlobFactCache: Sendable {
    /// A blob as one namespace sees it, and where its bytes are.
    struct Fact: Sendable, Hashable {
        var blob: LinkedBlob
        var backendID: String
    }

    /// A namespace and the digest a caller named a blob by (its address's digest, or its
    /// SHA-256). The digest value, not its text: hashing it needs no hex formatting.
    struct Key: Sendable, Hashable {
        var namespace: String
        var digest: Digest
    }

    let blobs: ExpiringCache<Key, Fact>
    let namespaces: ExpiringCache<String, Namespace>
    /// The bytes of small blobs, dropped with their facts.
    public let contents: SmallBlobCache

    public init(capacity: Int = 4096, lifetime: Duration = ControlPlaneCaches.defaultLifetime) {
        blobs = ExpiringCache(capacity: capacity, lifetime: lifetime)
        namespaces = ExpiringCache(capacity: max(1, capacity / 16), lifetime: lifetime)
        contents = SmallBlobCache(maximumEntries: max(1, capacity / 16), lifetime: lifetime)
    }

    /// The number of blob facts held.
    public var count: Int { blobs.count }

    /// Drops every fact about the blob at `address`, in every namespace: the hook for whatever
    /// unlinks a blob from a namespace or deletes its bytes (the garbage collector).
    public func invalidate(address: ContentAddress) {
        blobs.invalidate { _, fact in fact.blob.address == address }
        contents.invalidate(address: address)
    }

    /// Drops every fact about blobs linked in `namespace`.
    public func invalidate(namespace: String) {
        blobs.invalidate { key, _ in key.namespace == namespace }
    }

    /// Drops everything.
    public func removeAll() {
        blobs.removeAll()
        namespaces.removeAll()
        contents.entries.removeAll()
    }

    /// The three maps, for suspending and resuming them together.
    fileprivate var lifecycles: [any CacheLifecycle] { [blobs, namespaces, contents.entries] }
}

/// What ``ControlPlaneCaches`` does to every map when changes stop or start being heard.
private protocol CacheLifecycle: Sendable {
    func suspend()
    func resume()
}

extension ExpiringCache: CacheLifecycle {}

/// The caches a control plane shares between its parts, correct for as long as they live.
///
/// Every change that can end a cached fact (a revocation, a GC unlink, a GC deletion) drops it
/// at once in the process that made it and, through the store's change feed
/// (``MetadataStore/subscribe(_:)``), in every other process sharing the database: on
/// PostgreSQL shortly after the commit (`LISTEN`/`NOTIFY`); on an SQLite file within a second
/// (another process's write empties them). While the feed is lost (the PostgreSQL notification
/// connection dropped) they hold nothing and every lookup goes to the database, until it is
/// back. The lifetime only bounds what an event nobody published could leave behind.
public struct ControlPlaneCaches: Sendable {
    /// The default lifetime: long, because invalidation, not age, keeps the caches correct.
    public static let defaultLifetime: Duration = .seconds(3600)

    public let authorizations: AuthorizationCache
    public let blobFacts: BlobFactCache

    /// - Parameters:
    ///   - lifetime: how long a fact is served after it was read; `.zero` turns caching off.
    ///   - capacity: the most blob facts held (tokens: a quarter of it).
    public init(lifetime: Duration = ControlPlaneCaches.defaultLifetime, capacity: Int = 4096) {
        authorizations = AuthorizationCache(capacity: max(1, capacity / 4), lifetime: lifetime)
        blobFacts = BlobFactCache(capacity: capacity, lifetime: lifetime)
    }

    /// Acts on a change heard from the store (see the type's promises).
    public func apply(_ change: MetadataChange) {
        switch change {
        case .published(let message):
            switch CacheEvent(message: message) {
            case .token(let id): authorizations.invalidate(tokenID: id)
            case .blob(let address): blobFacts.invalidate(address: address)
            case .namespace(let name):
                blobFacts.invalidate(namespace: name)
                blobFacts.namespaces.invalidate(key: name)
            case nil: removeAll()
            }
        case .undescribed: removeAll()
        case .lost:
            authorizations.entries.suspend()
            for cache in blobFacts.lifecycles { cache.suspend() }
        case .resumed:
            authorizations.entries.resume()
            for cache in blobFacts.lifecycles { cache.resume() }
        }
    }

    /// Drops everything.
    public func removeAll() {
        authorizations.removeAll()
        blobFacts.removeAll()
    }

    /// Applies `event` in this process at once (the publisher's own notification, when it
    /// arrives, applies it again, harmlessly).
    func apply(_ event: CacheEvent) {
        apply(.published(event.message))
    }
}
