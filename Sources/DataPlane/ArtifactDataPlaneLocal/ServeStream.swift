import ArtifactDataPlane
package import ArtifactIdentity
package import ArtifactStoreCore
package import NIOCore

/// The stream `serve` returns: the backend's bytes, with every error turned into a
/// ``DataPlaneError``. A proved whole-object read holds its last buffer back until the bytes are
/// known to be the object's, so a corrupted object never reaches a client whole.
///
/// `package` so `RemoteDataPlane` proves the bytes of a file descriptor the daemon passed it the
/// same way, with its own ``VerifiedStamps``.
package struct ServeStream: AsyncSequence, Sendable {
    package typealias Element = ByteBuffer

    /// How the bytes are proved to be the object's.
    package enum Proof: Sendable {
        /// Not at all: ranged reads, and data planes configured not to check.
        case none
        /// By hashing them and comparing with the address at the end.
        case hash
        /// By the backend's stamp, which matches one recorded after an earlier hashed read and
        /// which the backend checks again after the last byte (``VerifiedStamps``).
        case stamp
    }

    let base: ByteStream
    let address: ContentAddress
    let backendID: String
    let proof: Proof
    /// Called once a hashed read has matched the address.
    var proved: (@Sendable () -> Void)? = nil
    /// Called when a proved read fails or does not match.
    var failed: (@Sendable () -> Void)? = nil

    package init(
        base: ByteStream,
        address: ContentAddress,
        backendID: String,
        proof: Proof,
        proved: (@Sendable () -> Void)? = nil,
        failed: (@Sendable () -> Void)? = nil
    ) {
        self.base = base
        self.address = address
        self.backendID = backendID
        self.proof = proof
        self.proved = proved
        self.failed = failed
    }

    package struct AsyncIterator: AsyncIteratorProtocol {
        var base: ByteStream.AsyncIterator
        let stream: ServeStream
        var hasher: DigestHasher?
        var held: ByteBuffer?
        var finished = false
        var size: UInt64 = 0

        package mutating func next() async throws -> ByteBuffer? {
            guard !finished else { return nil }
            do {
                guard stream.proof != .none else { return try await base.next(isolation: #isolation) }
                while true {
                    guard let buffer = try await base.next(isolation: #isolation) else {
                        finished = true
                        defer { held = nil }
                        if let hasher {
                            let actual = hasher.finalize()
                            self.hasher = nil
                            guard actual == stream.address.digest else {
                                held = nil
                                throw DataPlaneError(
                                    .objectCorrupt,
                                    "the \(size) bytes stored for \(stream.address) in backend \"\(stream.backendID)\" hash to \(actual); the object is corrupted and its last bytes were withheld",
                                    backendID: stream.backendID
                                )
                            }
                            stream.proved?()
                        }
                        return held
                    }
                    guard buffer.readableBytes > 0 else { continue }
                    hasher?.update(buffer)
                    size += UInt64(buffer.readableBytes)
                    if let previous = held {
                        held = buffer
                        return previous
                    }
                    held = buffer
                }
            } catch {
                finished = true
                held = nil
                if stream.proof != .none { stream.failed?() }
                throw DataPlaneError.reading(error, stream.address, backendID: stream.backendID)
            }
        }
    }

    /// The bytes as a file region, when the backend offers one and it can be proved the same way
    /// as the iteration: ranged and unchecked reads as they are, stamp-proved reads with the
    /// stamp checked before the last byte. A read proved by hashing offers none: its bytes must
    /// pass through the hasher.
    package var fileSlice: ByteStreamFileSlice? {
        guard proof != .hash, let slice = base.fileSlice else { return nil }
        let address = address
        let backendID = backendID
        return slice.mappingFailure({ DataPlaneError.reading($0, address, backendID: backendID) }, failed: proof == .stamp ? failed : nil)
    }

    /// This stream erased, with its file region.
    package var byteStream: ByteStream {
        ByteStream(self, fileSlice: fileSlice)
    }

    package func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(
            base: base.makeAsyncIterator(),
            stream: self,
            hasher: proof == .hash ? DigestHasher(address.algorithm) : nil
        )
    }
}
