public import NIOCore

extension Digest {
    /// Digests every buffer of `stream` with one algorithm and counts its bytes.
    ///
    /// Use ``DualDigester`` when both digests are wanted: it reads the stream once.
    public static func digest<Bytes: AsyncSequence>(
        of stream: Bytes,
        algorithm: DigestAlgorithm
    ) async throws -> (digest: Digest, size: UInt64) where Bytes.Element == ByteBuffer {
        var hasher = DigestHasher(algorithm)
        var size: UInt64 = 0
        for try await buffer in stream {
            hasher.update(buffer)
            size += UInt64(buffer.readableBytes)
        }
        return (hasher.finalize(), size)
    }
}
