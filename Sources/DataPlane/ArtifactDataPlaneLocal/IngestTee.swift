import ArtifactDataPlane
import ArtifactIdentity
import ArtifactStoreCore
import NIOCore
import Synchronization

/// What happened to an ingest's source stream, recorded by the tee so the ingest can tell a
/// caller's failing stream from a storage failure after the backend has wrapped both.
final class IngestMonitor: Sendable {
    enum Event: Sendable {
        case sourceFailed(any Error)
        case limitExceeded(limit: UInt64, seen: UInt64)
    }

    private let state = Mutex<Event?>(nil)

    func record(_ event: Event) {
        state.withLock { if $0 == nil { $0 = event } }
    }

    var event: Event? { state.withLock { $0 } }
}

/// The stream the backend writes from: each buffer pulled from the caller's stream is first fed
/// to the digest session (so hashing and writing share one pull, and the session's bounded
/// hand-off paces both), counted against the expected size, and then handed to the backend. An
/// ingest that builds an outboard builds it in the session's state (``OutboardBuilder`` is its
/// BLAKE3), so each byte is hashed with BLAKE3 once.
struct IngestTee: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let base: ByteStream
    let session: DualDigestSession
    let expectedSize: UInt64?
    let monitor: IngestMonitor

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: ByteStream.AsyncIterator
        let session: DualDigestSession
        let expectedSize: UInt64?
        let monitor: IngestMonitor
        var seen: UInt64 = 0

        mutating func next() async throws -> ByteBuffer? {
            let next: ByteBuffer?
            do {
                next = try await base.next(isolation: #isolation)
            } catch {
                monitor.record(.sourceFailed(error))
                throw error
            }
            guard let buffer = next else { return nil }
            seen += UInt64(buffer.readableBytes)
            if let expectedSize, seen > expectedSize {
                monitor.record(.limitExceeded(limit: expectedSize, seen: seen))
                throw DataPlaneError(.sizeLimitExceeded, "the stream ran past its expected size of \(expectedSize) bytes")
            }
            try await session.update(buffer)
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), session: session, expectedSize: expectedSize, monitor: monitor)
    }
}
