public import ArtifactBLAKE3
public import Crypto
public import NIOCore

/// One incremental hash of either algorithm, for code that learns the algorithm at run time
/// (a content address names its own). Use ``DualDigester`` when both digests are wanted.
///
/// Not `Sendable`, like swift-crypto's `SHA256` it holds: a hasher is local state of one task.
public enum DigestHasher {
    case blake3(BLAKE3Hasher)
    case sha256(SHA256)

    public init(_ algorithm: DigestAlgorithm) {
        switch algorithm {
        case .blake3: self = .blake3(BLAKE3Hasher())
        case .sha256: self = .sha256(SHA256())
        }
    }

    /// Adds the readable bytes of `buffer`.
    public mutating func update(_ buffer: ByteBuffer) {
        switch self {
        case .blake3(var hasher):
            hasher.update(buffer)
            self = .blake3(hasher)
        case .sha256(var hasher):
            buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            self = .sha256(hasher)
        }
    }

    /// The digest of everything added so far.
    public func finalize() -> Digest {
        switch self {
        case .blake3(let hasher): Digest(hasher)
        case .sha256(let hasher): Digest(hasher.finalize())
        }
    }
}
