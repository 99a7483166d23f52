import ArtifactIdentity
import Foundation

/// Immutable facts about namespaces and the blobs linked into them, recently read by this
/// process.
///
/// Exists so serving a blob (`HEAD`/`GET` of `/v1/.../blobs/{digest}`, the OCI blob routes, a
/// file inside a version) and ingesting into a namespace need no database read in the steady
/// state. Content addressing makes a linked blob's address, size and digests immutable; only
/// an unlink or a garbage-collection deletion ends the fact, and those must call
/// ``invalidate(address:)`` (or are bounded by the lifetime). Namespaces are never deleted, so
/// their existence is immutable too.
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

    public init(capacity: Int = 4096, lifetime: Duration = .seconds(2)) {
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
}

/// The caches a control plane shares between its parts.
public struct ControlPlaneCaches: Sendable {
    public let authorizations: AuthorizationCache
    public let blobFacts: BlobFactCache

    /// - Parameters:
    ///   - lifetime: how long a fact is served after it was read; `.zero` turns caching off.
    ///   - capacity: the most blob facts held (tokens: a quarter of it).
    public init(lifetime: Duration = .seconds(2), capacity: Int = 4096) {
        authorizations = AuthorizationCache(capacity: max(1, capacity / 4), lifetime: lifetime)
        blobFacts = BlobFactCache(capacity: capacity, lifetime: lifetime)
    }
}
