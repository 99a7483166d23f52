import ArtifactDataPlane
import ArtifactIdentity
import ArtifactStoreCore
import NIOCore

/// The stream `serve` returns: the backend's bytes, with every error turned into a
/// ``DataPlaneError``, and, for a checked whole-object read, the last buffer held back until the
/// bytes are known to match their address, so a corrupted object never reaches a client whole.
struct ServeStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let base: ByteStream
    let address: ContentAddress
    let backendID: String
    /// Digest the bytes and compare with the address at the end.
    let checked: Bool

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: ByteStream.AsyncIterator
        let address: ContentAddress
        let backendID: String
        var hasher: DigestHasher?
        var held: ByteBuffer?
        var finished = false
        var size: UInt64 = 0

        mutating func next() async throws -> ByteBuffer? {
            guard !finished else { return nil }
            do {
                guard var hasher else { return try await base.next() }
                while true {
                    guard let buffer = try await base.next() else {
                        finished = true
                        let actual = hasher.finalize()
                        self.hasher = nil
                        guard actual == address.digest else {
                            held = nil
                            throw DataPlaneError(
                                .digestMismatch,
                                "the \(size) bytes stored for \(address) in backend \"\(backendID)\" hash to \(actual); the object is corrupted and its last bytes were withheld",
                                backendID: backendID
                            )
                        }
                        defer { held = nil }
                        return held
                    }
                    guard buffer.readableBytes > 0 else { continue }
                    hasher.update(buffer)
                    size += UInt64(buffer.readableBytes)
                    self.hasher = hasher
                    if let previous = held {
                        held = buffer
                        return previous
                    }
                    held = buffer
                }
            } catch {
                finished = true
                throw DataPlaneError.reading(error, address, backendID: backendID)
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(
            base: base.makeAsyncIterator(),
            address: address,
            backendID: backendID,
            hasher: checked ? DigestHasher(address.algorithm) : nil
        )
    }
}
