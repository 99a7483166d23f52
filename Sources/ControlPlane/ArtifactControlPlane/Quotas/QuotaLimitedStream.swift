import ArtifactStoreCore
import NIOCore
import Synchronization

/// A byte stream that fails as soon as more than `room` bytes have passed, and remembers that it did.
///
/// Exists so an upload of undeclared length into a namespace with a quota stops at the quota
/// instead of being stored whole and then refused: the data plane discards what it staged when
/// its source fails, so nothing is stored.
struct QuotaLimitedStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    /// Set once the stream ran past its room (the data plane reports the failure in its own words).
    final class Tripwire: Sendable {
        private let tripped = Atomic<Bool>(false)

        var isTripped: Bool { tripped.load(ordering: .relaxed) }

        func trip() { tripped.store(true, ordering: .relaxed) }
    }

    let base: ByteStream
    let room: Int64
    let tripwire = Tripwire()

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: ByteStream.AsyncIterator
        let room: Int64
        let tripwire: Tripwire
        var seen: Int64 = 0

        mutating func next() async throws -> ByteBuffer? {
            guard let buffer = try await base.next() else { return nil }
            seen += Int64(buffer.readableBytes)
            if seen > room {
                tripwire.trip()
                throw ControlPlaneError(.quotaExceeded, "the upload ran past the \(room) bytes left under the namespace's quota")
            }
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), room: room, tripwire: tripwire)
    }
}
