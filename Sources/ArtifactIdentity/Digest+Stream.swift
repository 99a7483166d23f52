import ArtifactBLAKE3
import Crypto
import NIOCore

extension Digest {
    /// Digests every buffer of `stream` with one algorithm and counts its bytes.
    ///
    /// Use ``DualDigester`` when both digests are wanted: it reads the stream once.
    public static func digest<Bytes: AsyncSequence>(
        of stream: Bytes,
        algorithm: DigestAlgorithm
    ) async throws -> (digest: Digest, size: UInt64) where Bytes.Element == ByteBuffer {
        var size: UInt64 = 0
        switch algorithm {
        case .blake3:
            var hasher = BLAKE3Hasher()
            for try await buffer in stream {
                hasher.update(buffer)
                size += UInt64(buffer.readableBytes)
            }
            return (try! Digest(algorithm: .blake3, bytes: hasher.finalize()), size)
        case .sha256:
            var hasher = SHA256()
            for try await buffer in stream {
                buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                size += UInt64(buffer.readableBytes)
            }
            return (Digest(hasher.finalize()), size)
        }
    }
}
