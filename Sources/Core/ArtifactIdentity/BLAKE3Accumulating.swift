public import NIOCore

/// A running BLAKE3 hash that builds something more from the same work, fed by a
/// ``DualDigestState`` in place of its own ``BLAKE3Hasher`` (``DualDigestState/init(blake3:)``).
///
/// Exists so an ingest hashes every byte with BLAKE3 once: the data plane's outboard (the
/// interior hashes of the object's BLAKE3 tree, kept for proved ranges) is the tree the hash is
/// the root of, so the builder of the outboard gives the digest too, and a second hasher over the
/// same bytes would only repeat its work.
public protocol BLAKE3Accumulating: Sendable {
    /// Adds the readable bytes of `buffer`.
    mutating func update(_ buffer: ByteBuffer)

    /// The BLAKE3 digest of every byte added so far; more may be added afterwards.
    func blake3Digest() -> Digest
}
