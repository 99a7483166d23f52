public import ArtifactBLAKE3
public import Crypto
import NIOCore

extension Digest {
    /// The BLAKE3 digest of `bytes`.
    public static func blake3(of bytes: some Sequence<UInt8>) -> Digest {
        var hasher = BLAKE3Hasher()
        hasher.update(Array(bytes))
        return Digest(hasher)
    }

    /// The SHA-256 digest of `bytes`.
    public static func sha256(of bytes: some Sequence<UInt8>) -> Digest {
        if let digest = bytes.withContiguousStorageIfAvailable({ Digest(SHA256.hash(data: UnsafeRawBufferPointer($0))) }) {
            return digest
        }
        return Digest(SHA256.hash(data: Array(bytes)))
    }

    /// The digest of `bytes` under `algorithm`.
    public static func of(_ bytes: some Sequence<UInt8>, algorithm: DigestAlgorithm) -> Digest {
        switch algorithm {
        case .blake3: blake3(of: bytes)
        case .sha256: sha256(of: bytes)
        }
    }

    /// The 32-byte BLAKE3 digest of what `hasher` has been fed (the hasher is not consumed).
    public init(_ hasher: BLAKE3Hasher) {
        // BLAKE3Hasher.finalize() always returns 32 bytes.
        try! self.init(algorithm: .blake3, bytes: hasher.finalize())
    }

    /// Wraps a swift-crypto SHA-256 digest.
    public init(_ sha256: SHA256.Digest) {
        // A SHA256.Digest always has 32 bytes.
        self.init(algorithm: .sha256, words: sha256.withUnsafeBytes { Self.words($0.assumingMemoryBound(to: UInt8.self)) })
    }
}
