import ArtifactBLAKE3
import Crypto
public import NIOCore
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
        let state = DualDigestState()
        let result = try await withSession(resuming: state, configuration: configuration, body)
        return (result, state.digest())
    }

    /// As ``withSession(configuration:_:)``, continuing the hashes in `state` (which the session
    /// updates) rather than starting new ones: how a stream that arrives in pieces, such as an
    /// upload's chunks, is hashed once, piece by piece. When `body` throws or the task is
    /// cancelled, `state` holds an unknown part of what was fed and must be dropped.
    public static func withSession<Result: Sendable>(
        resuming state: DualDigestState,
        configuration: Configuration = .default,
        _ body: (DualDigestSession) async throws -> Result
    ) async throws -> Result {
        guard configuration.concurrent else {
            return try await body(DualDigestSession(channel: nil, state: state))
        }
        let channel = BoundedBufferChannel(
            maximumBytes: configuration.maximumQueuedBytes,
            maximumBuffers: configuration.maximumQueuedBuffers
        )
        let session = DualDigestSession(channel: channel, state: state)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            // The global executor, whatever executor the caller prefers: a caller bound to an
            // event loop would otherwise hash both algorithms on that loop's one thread.
            group.addTask(executorPreference: globalConcurrentExecutor) {
                while let buffer = try await channel.next() {
                    state.updateSHA256(buffer)
                }
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
            guard try await group.next() != nil else { throw CancellationError() }
            return result
        }
    }
}

/// Feeds bytes to a ``DualDigester``. Obtained from ``DualDigester/withSession(configuration:_:)``.
///
/// Feed it from one task at a time, in order.
public final class DualDigestSession: Sendable {
    private let channel: BoundedBufferChannel?
    private let state: DualDigestState

    init(channel: BoundedBufferChannel?, state: DualDigestState) {
        self.channel = channel
        self.state = state
    }

    /// The number of bytes fed so far (including those of the state the session resumed).
    public var size: UInt64 { state.size }

    /// Adds `buffer` to both digests. Suspends while the SHA-256 task is `maximumQueuedBytes` behind.
    public func update(_ buffer: ByteBuffer) async throws {
        // Checked on every buffer so even an in-line session over a stream that never suspends stops.
        try Task.checkCancellation()
        guard buffer.readableBytes > 0 else { return }
        state.updateBLAKE3(buffer)
        if let channel {
            try await channel.send(buffer)
        } else {
            state.updateSHA256(buffer)
        }
    }

    /// Bytes handed to the SHA-256 task and not yet taken by it (0 in line).
    @_spi(Testing)
    public var queuedBytes: Int { channel?.queuedBytes ?? 0 }
}

/// The running BLAKE3 and SHA-256 of a byte sequence and its size, kept between
/// ``DualDigester/withSession(resuming:configuration:_:)`` calls so a sequence that arrives in
/// pieces is hashed once.
///
/// BLAKE3 is computed by the state's own ``BLAKE3Hasher``, or by a ``BLAKE3Accumulating`` given
/// at creation (``init(blake3:)``) that builds something more from the same work, so the bytes
/// are hashed with BLAKE3 once either way.
///
/// Each hash has a lock of its own: the task feeding BLAKE3 and the task hashing SHA-256 never
/// wait for each other.
public final class DualDigestState: Sendable {
    /// Exactly one of `hasher` and `accumulator` is set.
    private struct BLAKE3Part: Sendable {
        var hasher: BLAKE3Hasher?
        var accumulator: (any BLAKE3Accumulating)?
        var size: UInt64 = 0
    }

    private let blake3: Mutex<BLAKE3Part>
    private let sha256 = Mutex(SHA256())

    public init() {
        blake3 = Mutex(BLAKE3Part(hasher: BLAKE3Hasher(), accumulator: nil))
    }

    /// A state whose BLAKE3 is `accumulator`'s: every byte fed is added to it (and to no
    /// hasher of the state's own), and its ``BLAKE3Accumulating/blake3Digest()`` is the
    /// state's BLAKE3 digest.
    public init(blake3 accumulator: some BLAKE3Accumulating) {
        blake3 = Mutex(BLAKE3Part(hasher: nil, accumulator: accumulator))
    }

    /// The number of bytes hashed so far.
    public var size: UInt64 { blake3.withLock { $0.size } }

    /// A copy of the accumulator given to ``init(blake3:)`` as it stands; `nil` for a state
    /// that hashes BLAKE3 with a hasher of its own.
    public var blake3Accumulator: (any BLAKE3Accumulating)? { blake3.withLock { $0.accumulator } }

    /// Both digests of the bytes hashed so far; hashing may go on afterwards.
    public func digest() -> DualDigest {
        let (blake3Digest, size) = blake3.withLock { part in
            // Computed under the lock: an accumulator's digest may be more than a finalization.
            (part.hasher.map { Digest($0) } ?? part.accumulator!.blake3Digest(), part.size)
        }
        return DualDigest(blake3: blake3Digest, sha256: Digest(sha256.withLock { $0.finalize() }), size: size)
    }

    func updateBLAKE3(_ buffer: ByteBuffer) {
        blake3.withLock { part in
            if part.hasher != nil {
                part.hasher!.update(buffer)
            } else {
                part.accumulator!.update(buffer)
            }
            part.size += UInt64(buffer.readableBytes)
        }
    }

    func updateSHA256(_ buffer: ByteBuffer) {
        sha256.withLock { hasher in buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) } }
    }
}
