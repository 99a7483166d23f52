import ArtifactControlPlane
public import ArtifactIdentity
public import ArtifactStoreCore
import Crypto
import Foundation
public import NIOCore

/// An upstream blob's bytes on their way into the data plane, checked against the SHA-256 and
/// size the client asked for, and handed to the first client (an ``OCIProxyRelay``) only once
/// proved.
///
/// Exists because an upstream is never trusted and no byte may be served that was not proved:
/// every chunk but the last is released to the client as the next one arrives, and the last one
/// is kept in the relay once the whole stream hashed to the digest and had the size: the fetch
/// releases it after the blob is stored (``OCIProxyRelay/releaseFinal()``). On a mismatch (or a
/// stream that runs past its size, or fails) the sequence throws instead of ending, so the data
/// plane's ingest discards its temporary (nothing stored) and the client's stream fails rather
/// than ending short. The data plane checks the SHA-256 again and computes BLAKE3 as on every ingest.
public struct OCIProxyVerifyingSequence: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    let base: ByteStream
    let expected: ArtifactIdentity.Digest
    let size: UInt64
    let relay: OCIProxyRelay?
    let upstream: String

    /// - Parameters: `expected` a SHA-256 digest; `size` the announced length; `upstream` names
    ///   the upstream (no credentials) in the refusal.
    public init(base: ByteStream, expected: ArtifactIdentity.Digest, size: UInt64, relay: OCIProxyRelay?, upstream: String) {
        self.base = base
        self.expected = expected
        self.size = size
        self.relay = relay
        self.upstream = upstream
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: ByteStream.AsyncIterator
        let owner: OCIProxyVerifyingSequence
        var hasher = SHA256()
        var count: UInt64 = 0
        var held: ByteBuffer?
        var done = false

        public mutating func next() async throws -> ByteBuffer? {
            while !done {
                let chunk: ByteBuffer?
                do {
                    chunk = try await base.next(isolation: #isolation)
                } catch {
                    throw fail(
                        OCIError(
                            .unknown,
                            "the upstream \(owner.upstream) failed while sending blob \(owner.expected)",
                            status: 502,
                            underlying: error
                        )
                    )
                }
                guard let chunk else {
                    done = true
                    let hex = OCIBlobDigest.hex(hasher.finalize())
                    guard count == owner.size, "sha256:\(hex)" == owner.expected.description else {
                        throw fail(
                            OCIError(
                                .unknown,
                                "the upstream \(owner.upstream) sent \(count) bytes hashing to sha256:\(hex) for blob \(owner.expected) of "
                                    + "\(owner.size) bytes; they were refused and nothing was stored",
                                status: 502
                            )
                        )
                    }
                    let last = held
                    held = nil
                    // Proved; the client gets it once the fetch has stored the blob (OCIProxyRelay.releaseFinal).
                    if let last { owner.relay?.holdFinal(last) }
                    return last
                }
                count += UInt64(chunk.readableBytes)
                guard count <= owner.size else {
                    throw fail(
                        OCIError(
                            .unknown,
                            "the upstream \(owner.upstream) sent more than the \(owner.size) bytes it announced for blob \(owner.expected)",
                            status: 502
                        )
                    )
                }
                chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                if let previous = held {
                    held = chunk
                    await owner.relay?.send(previous)
                    return previous
                }
                held = chunk
            }
            return nil
        }

        private mutating func fail(_ error: OCIError) -> OCIError {
            done = true
            held = nil
            owner.relay?.finish(error)
            return error
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), owner: self)
    }
}
