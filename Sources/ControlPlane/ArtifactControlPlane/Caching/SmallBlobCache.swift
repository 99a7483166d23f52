public import ArtifactIdentity
import NIOCore

/// The bytes of small blobs this process recently served whole, after the data plane proved them.
///
/// Exists because a small GET otherwise costs more in thread hops (open, read, re-check the
/// stamp on the blocking pool) than in bytes. It promises:
/// - it holds only bytes from a whole read that the data plane finished without error, that is
///   bytes the data plane proved to be the content of their address (docs/architecture.md,
///   "proved reads"; a data plane configured not to verify full reads serves them unproved
///   either way), so what it serves is exactly what a fresh whole read would serve;
/// - it is keyed by address only, and consulted only after ``BlobFactCache`` (or the database)
///   showed the blob linked into the caller's namespace: tenancy is decided there, never here;
/// - at most ``maximumEntries`` blobs of at most ``maximumBlobSize`` bytes each, for at most the
///   cache lifetime; ``BlobFactCache/invalidate(address:)`` drops a blob here too.
public final class SmallBlobCache: Sendable {
    /// Blobs larger than this are always streamed from the data plane.
    public let maximumBlobSize: UInt64
    /// The most blobs held.
    public var maximumEntries: Int { entries.capacity }

    let entries: ExpiringCache<ContentAddress, ByteBuffer>

    public init(maximumEntries: Int = 256, maximumBlobSize: UInt64 = 16 * 1024, lifetime: Duration = ControlPlaneCaches.defaultLifetime) {
        self.maximumBlobSize = maximumBlobSize
        entries = ExpiringCache(capacity: maximumEntries, lifetime: lifetime)
    }

    /// The number of blobs held.
    public var count: Int { entries.count }

    /// Drops the bytes of the blob at `address`.
    public func invalidate(address: ContentAddress) {
        entries.invalidate { key, _ in key == address }
    }
}
