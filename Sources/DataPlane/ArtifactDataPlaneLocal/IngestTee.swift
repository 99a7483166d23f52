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
/// hand-off paces both), counted against the expected size, and then handed to the backend.
struct IngestTee: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let base: ByteStream
    let session: DualDigestSession
    let expectedSize: UInt64?
    let monitor: IngestMonitor
    /// Builds the outboard of what passes, when there is one to build.
    var outboard: OutboardSink? = nil

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: ByteStream.AsyncIterator
        let session: DualDigestSession
        let expectedSize: UInt64?
        let monitor: IngestMonitor
        let outboard: OutboardSink?
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
            outboard?.update(buffer)
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), session: session, expectedSize: expectedSize, monitor: monitor, outboard: outboard)
    }
}

/// An ``OutboardBuilder`` the ingest's tee feeds and the commit reads, across the backend's write.
final class OutboardSink: Sendable {
    private let builder: Mutex<OutboardBuilder>

    /// A sink that goes on from `builder` (a new one by default).
    init(resuming builder: OutboardBuilder = OutboardBuilder()) {
        self.builder = Mutex(builder)
    }

    /// The builder as it stands, to be resumed later.
    var current: OutboardBuilder { builder.withLock { $0 } }

    func update(_ buffer: ByteBuffer) {
        builder.withLock { $0.update(buffer) }
    }

    /// The outboard built, with the root it proves; `nil` when the bytes fit one group.
    func finish() -> (outboard: ByteBuffer, root: Digest)? {
        builder.withLock { $0.finish() }
    }
}
