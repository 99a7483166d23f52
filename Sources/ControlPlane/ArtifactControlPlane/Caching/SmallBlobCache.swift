public import ArtifactIdentity
import NIOCore

/// The bytes of small blobs this process recently served whole, after the data plane proved them.
///
/// Exists because a small GET otherwise costs more in thread hops and system calls (open, read,
/// re-check the stamp) than in bytes. It promises:
/// - it holds only bytes from a whole read that the data plane finished without error, that is
///   bytes the data plane proved to be the content of their address (docs/architecture.md,
///   "proved reads"; a data plane configured not to verify full reads serves them unproved
///   either way), so what it serves is exactly what a fresh whole read would serve;
/// - it is keyed by address only, and consulted only after ``BlobFactCache`` (or the database)
///   showed the blob linked into the caller's namespace: tenancy is decided there, never here;
/// - at most ``maximumEntries`` blobs of at most ``maximumBlobSize`` bytes each and at most
///   ``maximumBytes`` bytes in all, for at most the cache lifetime;
///   ``BlobFactCache/invalidate(address:)`` drops a blob here too.
///
/// Bounded by bytes, not only by count, so that it can hold as many blobs as ``BlobFactCache``
/// holds facts when they are small: a working set larger than the cache gains nothing from it
/// (each blob is evicted before it comes round again), so a cache of a sixteenth of the facts
/// served no GET of a rotation over 2,000 blobs from memory.
public final class SmallBlobCache: Sendable {
    /// The default bound on the bytes held, 10 MiB: 2,560 blobs of 4 KiB, 640 of the largest
    /// held. Chosen against the memory target (a peak RSS of at most 80 MiB with a working set
    /// of 100,000 blobs, which keeps this cache full).
    public static let defaultMaximumBytes = 10 << 20

    /// Blobs larger than this are always streamed from the data plane.
    public let maximumBlobSize: UInt64
    /// The most blobs held.
    public var maximumEntries: Int { entries.capacity }
    /// The most bytes held, counted as the blobs' sizes.
    public var maximumBytes: Int { entries.maximumCost }

    let entries: ExpiringCache<ContentAddress, ByteBuffer>

    public init(
        maximumEntries: Int = 4096,
        maximumBytes: Int = SmallBlobCache.defaultMaximumBytes,
        maximumBlobSize: UInt64 = 16 * 1024,
        lifetime: Duration = ControlPlaneCaches.defaultLifetime
    ) {
        self.maximumBlobSize = maximumBlobSize
        entries = ExpiringCache(capacity: maximumEntries, lifetime: lifetime, maximumCost: maximumBytes) { $0.readableBytes }
    }

    /// The number of blobs held.
    public var count: Int { entries.count }

    /// The bytes held.
    public var bytes: Int { entries.totalCost }

    /// Drops the bytes of the blob at `address`.
    public func invalidate(address: ContentAddress) {
        entries.invalidate(key: address)
    }
}
