import ArtifactBLAKE3
import Crypto
import NIOCore
import Synchronization

/// Computes BLAKE3 and SHA-256 of a byte stream in one pass, and counts its bytes.
///
/// On a machine with two or more cores the two hashes run concurrently: the task feeding the
/// digester hashes BLAKE3 in line (it is the faster of the two) and hands each buffer, without
/// copying, to a child task that hashes SHA-256. That task runs on the global executor even when
/// the caller prefers another (a server handling requests on an event loop), so the two hashes
/// never share one thread. The hand-off is bounded
/// (``DualDigester/Configuration/maximumQueuedBytes``), so a stream of any size uses bounded
/// memory, and the feeder slows down to SHA-256's pace rather than queueing. On one core both
/// hashes run in line.
///
/// Cancellation is clean: cancelling the task stops the feeder and the child task; no task
/// outlives ``digest(_:configuration:)`` or ``withSession(configuration:_:)``.
public enum DualDigester {
    /// Tuning for the concurrent hand-off.
    public struct Configuration: Sendable, Hashable {
        /// Hash the two algorithms on separate cores. Defaults to `true` when the machine has two or more.
        public var concurrent: Bool
        /// The most bytes handed to the SHA-256 task and not yet hashed.
        public var maximumQueuedBytes: Int
        /// The most buffers handed to the SHA-256 task and not yet hashed.
        public var maximumQueuedBuffers: Int

        public init(concurrent: Bool? = nil, maximumQueuedBytes: Int = 8 << 20, maximumQueuedBuffers: Int = 64) {
            self.concurrent = concurrent ?? (Self.availableCores >= 2)
            self.maximumQueuedBytes = maximumQueuedBytes
            self.maximumQueuedBuffers = maximumQueuedBuffers
        }

        public static let `default` = Configuration()

        static var availableCores: Int { System.coreCount }
    }

    /// Digests every buffer of `stream`.
    public static func digest<Bytes: AsyncSequence>(
        _ stream: Bytes,
        configuration: Configuration = .default
    ) async throws -> DualDigest where Bytes.Element == ByteBuffer {
        let (_, digest) = try await withSession(configuration: configuration) { session in
            for try await buffer in stream {
                try await session.update(buffer)
            }
        }
        return digest
    }

    /// Runs `body` with a ``DualDigestSession`` to feed, then returns `body`'s result and the digests.
    ///
    /// Use this when the bytes are consumed elsewhere too, e.g. hashed while being written to storage.
    /// If `body` throws or the task is cancelled, hashing stops and the error propagates.
    public static func withSession<Result: Sendable>(
        configuration: Configuration = .default,
        _ body: (DualDigestSession) async throws -> Result
    ) async throws -> (Result, DualDigest) {
        guard configuration.concurrent else {
            let session = DualDigestSession(channel: nil)
            let result = try await body(session)
            return (result, try session.finishInline())
        }
        let channel = BoundedBufferChannel(
            maximumBytes: configuration.maximumQueuedBytes,
            maximumBuffers: configuration.maximumQueuedBuffers
        )
        let session = DualDigestSession(channel: channel)
        return try await withThrowingTaskGroup(of: Digest.self) { group in
            // The global executor, whatever executor the caller prefers: a caller bound to an
            // event loop would otherwise hash both algorithms on that loop's one thread.
            group.addTask(executorPreference: globalConcurrentExecutor) {
                var sha = SHA256()
                while let buffer = try await channel.next() {
                    buffer.withUnsafeReadableBytes { sha.update(bufferPointer: $0) }
                }
                return Digest(sha.finalize())
            }
            let result: Result
            do {
                result = try await body(session)
            } catch {
                channel.finish(throwing: error)
                group.cancelAll()
                throw error
            }
            channel.finish()
            guard let sha256 = try await group.next() else { throw CancellationError() }
            return (result, session.finish(sha256: sha256))
        }
    }
}

/// Feeds bytes to a ``DualDigester``. Obtained from ``DualDigester/withSession(configuration:_:)``.
///
/// Feed it from one task at a time, in order.
public final class DualDigestSession: Sendable {
    private struct State {
        var blake3 = BLAKE3Hasher()
        var sha256: SHA256?
        var size: UInt64 = 0
    }

    private let channel: BoundedBufferChannel?
    private let state: Mutex<State>

    init(channel: BoundedBufferChannel?) {
        self.channel = channel
        self.state = Mutex(State(sha256: channel == nil ? SHA256() : nil))
    }

    /// The number of bytes fed so far.
    public var size: UInt64 { state.withLock { $0.size } }

    /// Adds `buffer` to both digests. Suspends while the SHA-256 task is `maximumQueuedBytes` behind.
    public func update(_ buffer: ByteBuffer) async throws {
        // Checked on every buffer so even an in-line session over a stream that never suspends stops.
        try Task.checkCancellation()
        guard buffer.readableBytes > 0 else { return }
        state.withLock { state in
            state.blake3.update(buffer)
            state.size += UInt64(buffer.readableBytes)
            if state.sha256 != nil {
                buffer.withUnsafeReadableBytes { state.sha256!.update(bufferPointer: $0) }
            }
        }
        try await channel?.send(buffer)
    }

    /// Bytes handed to the SHA-256 task and not yet taken by it (0 in line).
    @_spi(Testing)
    public var queuedBytes: Int { channel?.queuedBytes ?? 0 }

    fileprivate func finishInline() throws -> DualDigest {
        state.withLock { state in
            DualDigest(blake3: Digest(state.blake3), sha256: Digest(state.sha256!.finalize()), size: state.size)
        }
    }

    fileprivate func finish(sha256: Digest) -> DualDigest {
        state.withLock { state in
            DualDigest(blake3: Digest(state.blake3), sha256: sha256, size: state.size)
        }
    }
}
