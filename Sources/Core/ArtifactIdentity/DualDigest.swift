/// The BLAKE3 and SHA-256 digests of one byte sequence, and its size.
public struct DualDigest: Sendable, Hashable, Codable {
    public let blake3: Digest
    public let sha256: Digest
    public let size: UInt64

    public init(blake3: Digest, sha256: Digest, size: UInt64) {
        precondition(blake3.algorithm == .blake3 && sha256.algorithm == .sha256)
        self.blake3 = blake3
        self.sha256 = sha256
        self.size = size
    }

    /// The digest for `algorithm`.
    public func digest(for algorithm: DigestAlgorithm) -> Digest {
        switch algorithm {
        case .blake3: blake3
        case .sha256: sha256
        }
    }
}
