import ArtifactCBOR
public import ArtifactDataPlane
import ArtifactDataPlaneLocal
public import ArtifactDataPlaneWire
public import ArtifactIdentity
public import ArtifactStoreCore
import Foundation
public import Logging
public import NIOCore
public import NIOPosix
import Synchronization

/// The data plane in another process: a client for `artifactstore dataplane` over its Unix
/// socket (docs/dataplane-protocol.md).
///
/// Exists so the control plane can use a data plane that runs as another user, with the same
/// ``DataPlane`` contract as `LocalDataPlane` (it passes the same conformance suite). Errors of
/// operations come back with the codes the daemon's data plane gave them; a daemon that cannot be
/// reached, or a broken connection, is `dataPlaneUnavailable` with the wire error underneath.
/// Byte streams in both directions are flow-controlled by credit, so neither side buffers more
/// than its window of chunks per call.
public final class RemoteDataPlane: DataPlane {
    public struct Configuration: Sendable {
        /// How many connections the pool opens at most.
        public var maximumConnections: Int
        /// How many data frames a serve may have in flight towards this client; used clamped to
        /// `WireProtocol.creditRange` (1 to 2³¹−1).
        public var serveWindow: Int
        /// The largest frame this client accepts.
        public var limits: WireLimits
        /// Whether whole serves ask the daemon for the object's read-only file descriptor (on
        /// its `.fd` side channel) instead of its bytes; the daemon grants it for objects kept
        /// in local files and streams everything else.
        public var takesDescriptors: Bool
        /// How long a whole read through a passed descriptor, proved by hashing, vouches for
        /// later ones of the same unchanged file (proved by its stamp instead), as
        /// `LocalDataPlane.Configuration.trustsProvedReadsFor` does in process; `.zero` hashes
        /// every one.
        public var trustsProvedReadsFor: Duration
        /// How many objects' proofs are remembered at most.
        public var provedReadCapacity: Int
        /// After a descriptor could not be taken (the side channel unreachable, a ticket
        /// refused), how long whole serves stream instead of asking again.
        public var descriptorRetryAfter: Duration

        public init(
            maximumConnections: Int = 4,
            serveWindow: Int = 8,
            limits: WireLimits = .default,
            takesDescriptors: Bool = true,
            trustsProvedReadsFor: Duration = .seconds(3600),
            provedReadCapacity: Int = 16_384,
            descriptorRetryAfter: Duration = .seconds(30)
        ) {
            self.maximumConnections = maximumConnections
            self.serveWindow = serveWindow
            self.limits = limits
            self.takesDescriptors = takesDescriptors
            self.trustsProvedReadsFor = trustsProvedReadsFor
            self.provedReadCapacity = provedReadCapacity
            self.descriptorRetryAfter = descriptorRetryAfter
        }
    }

    public let socketPath: String
    public let configuration: Configuration
    let pool: RemoteConnectionPool
    /// The stamps of objects this client proved by hashing what it read through a passed
    /// descriptor (its own; the daemon's are in another process).
    let provedReads: VerifiedStamps
    private let descriptorServes = Atomic<Int>(0)
    private let descriptorFallbacks = Atomic<Int>(0)
    /// Until when whole serves stream rather than ask for a descriptor, after one failed.
    private let descriptorsSuspendedUntil = Mutex<ContinuousClock.Instant?>(nil)
    let logger: Logger

    /// Nothing is connected until the first call.
    public init(
        socketPath: String,
        configuration: Configuration = Configuration(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        self.socketPath = socketPath
        self.configuration = configuration
        self.logger = logger
        self.pool = RemoteConnectionPool(
            socketPath: socketPath,
            maximumConnections: configuration.maximumConnections,
            group: eventLoopGroup,
            limits: configuration.limits,
            logger: logger
        )
        self.provedReads = VerifiedStamps(
            trustDuration: configuration.trustsProvedReadsFor,
            capacity: max(1, configuration.provedReadCapacity)
        )
    }

    /// How many serves were read through a descriptor the daemon passed: whether descriptor
    /// passing is in use (`RemoteDataPlane.Configuration.takesDescriptors`), for operators,
    /// tests and the remote benchmark.
    public var descriptorServeCount: Int { descriptorServes.load(ordering: .relaxed) }

    /// How many whole serves fell back to streaming because the descriptor could not be taken.
    package var descriptorFallbackCount: Int { descriptorFallbacks.load(ordering: .relaxed) }

    /// Whether a whole serve should ask for the object's descriptor now.
    private var asksForDescriptors: Bool {
        guard configuration.takesDescriptors else { return false }
        return descriptorsSuspendedUntil.withLock { until in
            guard let deadline = until else { return true }
            if ContinuousClock.now < deadline { return false }
            until = nil
            return true
        }
    }

    /// Closes the pool's connections. Calls in flight fail with `dataPlaneUnavailable`.
    public func shutdown() {
        pool.shutdown()
    }

    // MARK: DataPlane

    public func ingest(_ stream: ByteStream, hints: IngestHints) async throws(DataPlaneError) -> IngestResult {
        let call = try await open(.ingest(hints))
        defer { call.release() }
        return try await Self.typed("ingest") { try await Self.ingest(stream, call: call) }
    }

    public func serve(_ address: ContentAddress, range: ByteRange?, backendID: String?) async throws(DataPlaneError) -> ByteStream {
        try await serve(address, range: range, backendID: backendID, asks: range == nil && asksForDescriptors)
    }

    /// A serve that asks for the descriptor (when `asks`) and, if that ticket cannot be
    /// redeemed, asks again for the bytes: the side channel is an optimisation, and losing it
    /// (removed, refused, a descriptor that cannot be used) must not fail a read the main
    /// socket can still give. Asking is then suspended for ``Configuration/descriptorRetryAfter``.
    private func serve(
        _ address: ContentAddress,
        range: ByteRange?,
        backendID: String?,
        asks: Bool
    ) async throws(DataPlaneError) -> ByteStream {
        // The daemon refuses a window outside the protocol's credit range; clamp, never send one.
        let window = min(max(1, configuration.serveWindow), Int(WireProtocol.creditRange.upperBound))
        let call = try await open(.serve(address, range: range, backendID: backendID, window: UInt64(window), descriptor: asks))
        let start: WireServeStart
        do {
            start = try await Self.typed("serve") { try await Self.answer(WireServeStart.self, call: call) }
        } catch {
            call.release()
            throw error
        }
        guard asks, let granted = start.descriptor else {
            return ByteStream(RemoteServeStream(reader: RemoteServeReader(call: call, window: window)))
        }
        // A serve answered with a ticket ends at once.
        do {
            try await Self.typed("serve") { try await Self.expectEnd(call) }
        } catch {
            call.release()
            throw error
        }
        call.release()
        let stream: ByteStream
        do {
            stream = try await serveDescriptor(address, granted)
        } catch  where error.underlying is DataPlaneWireError {
            descriptorFallbacks.add(1, ordering: .relaxed)
            descriptorsSuspendedUntil.withLock { $0 = ContinuousClock.now.advanced(by: configuration.descriptorRetryAfter) }
            logger.warning(
                "descriptor not taken; streaming whole serves for a while",
                metadata: [
                    "address": "\(address)", "error": "\(error.underlying.map { "\($0)" } ?? error.message)",
                    "retry_after": "\(configuration.descriptorRetryAfter)",
                ]
            )
            return try await serve(address, range: range, backendID: backendID, asks: false)
        }
        descriptorServes.add(1, ordering: .relaxed)
        return stream
    }

    /// An object found not intact is no longer proved by its stamp here either.
    public func verify(_ address: ContentAddress, backendID: String?) async throws(DataPlaneError) -> VerifyResult {
        let result = try await single(.verify(address, backendID: backendID), VerifyResult.self)
        if !result.verified {
            provedReads.forget(VerifiedStamps.Key(backendID: result.backendID, address: address))
        }
        return result
    }

    public func delete(_ address: ContentAddress, backendID: String?) async throws(DataPlaneError) -> DeletionResult {
        let result = try await single(.delete(address, backendID: backendID), DeletionResult.self)
        provedReads.forget(VerifiedStamps.Key(backendID: result.backendID, address: address))
        return result
    }

    /// When the daemon cannot be reached, one status named `dataplane` says so.
    public func backendHealth() async -> [BackendStatus] {
        let started = ContinuousClock.now
        do {
            return try await single(.backendHealth, WireHealth.self).backends
        } catch {
            let elapsed = ContinuousClock.now - started
            return [
                BackendStatus(
                    backendID: "dataplane",
                    isDefault: true,
                    reachable: false,
                    writable: false,
                    latencySeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
                    message: "the data plane daemon at \"\(socketPath)\" did not answer: \(error.code): \(error.message)",
                    checkedAt: Date()
                )
            ]
        }
    }

    // MARK: Calls

    private func open(_ request: WireRequest) async throws(DataPlaneError) -> RemoteCall {
        try await pool.open(request)
    }

    func single<T: Decodable & Sendable>(_ request: WireRequest, _ type: T.Type) async throws(DataPlaneError) -> T {
        let call = try await open(request)
        defer { call.release() }
        return try await Self.typed(request.operation) { try await Self.answer(T.self, call: call) }
    }

    /// Waits for the call's `result` (decoded as `T`) or `error`; credit frames are skipped.
    static func answer<T: Decodable>(_ type: T.Type, call: RemoteCall, cancellable: Bool = true) async throws -> T {
        while true {
            let frame = try await call.next(cancellable: cancellable)
            switch frame.kind {
            case .result:
                return try frame.decodeBody(T.self)
            case .error:
                throw try frame.decodeBody(WireFailure.self).dataPlaneError
            case .credit:
                continue
            default:
                throw DataPlaneWireError(.protocolViolation, "the daemon sent \(frame.kind) on call \(call.id) where a result was due")
            }
        }
    }

    /// Sends the stream within credit, then `end`, then waits for the result. A stream that
    /// throws, or a cancelled task, sends `cancel` and waits for the daemon to confirm (so
    /// nothing is stored when this returns).
    static func ingest(_ stream: ByteStream, call: RemoteCall) async throws -> IngestResult {
        let maximumChunk = Int(call.connection.welcome.maximumChunkLength)
        var credit: UInt64 = 0
        var chunks = stream.makeAsyncIterator()
        do {
            while true {
                let next: ByteBuffer?
                do {
                    next = try await chunks.next(isolation: #isolation)
                } catch {
                    let cancelled = error is CancellationError || Task.isCancelled
                    return try await abandon(call, WireCancel(reason: cancelled ? .cancelled : .streamFailed, message: "\(error)"))
                }
                guard var chunk = next else { break }
                while chunk.readableBytes > 0 {
                    while credit == 0 {
                        let frame = try await call.next()
                        switch frame.kind {
                        case .credit:
                            guard case .value(.unsigned(let count)) = frame.body else {
                                throw DataPlaneWireError(.malformedFrame, "credit frame on call \(call.id) without an unsigned count")
                            }
                            credit += count
                        case .error:
                            throw try frame.decodeBody(WireFailure.self).dataPlaneError
                        default:
                            throw DataPlaneWireError(
                                .protocolViolation,
                                "the daemon sent \(frame.kind) on ingest call \(call.id) before the stream ended"
                            )
                        }
                    }
                    credit -= 1
                    let slice = chunk.readSlice(length: min(maximumChunk, chunk.readableBytes))!
                    try await call.send(.data(call: call.id, slice))
                }
            }
            try await call.send(Frame(.end, call: call.id, body: .value(.null)))
            return try await answer(IngestResult.self, call: call)
        } catch is CancellationError {
            return try await abandon(call, WireCancel(reason: .cancelled, message: "the ingesting task was cancelled"))
        }
    }

    /// Tells the daemon to drop the call and returns (throws) its last word.
    static func abandon(_ call: RemoteCall, _ cancel: WireCancel) async throws -> IngestResult {
        if let frame = try? Frame.control(.cancel, call: call.id, cancel) {
            await call.sendUncancellably(frame)
        }
        return try await answer(IngestResult.self, call: call, cancellable: false)
    }

    /// Runs `body`, turning whatever it throws into the `DataPlaneError` the caller sees.
    static func typed<T>(_ operation: String, _ body: () async throws -> T) async throws(DataPlaneError) -> T {
        do {
            return try await body()
        } catch {
            throw dataPlaneError(error, operation: operation)
        }
    }

    static func dataPlaneError(_ error: any Error, operation: String) -> DataPlaneError {
        switch error {
        case let error as DataPlaneError: error
        case let error as DataPlaneWireError: .unavailable(error)
        case is CancellationError: DataPlaneError(.cancelled, "\(operation) through the data plane daemon was cancelled", underlying: error)
        default:
            .unavailable(
                DataPlaneWireError(.connectionFailed, "\(operation) through the data plane daemon failed: \(error)", underlying: error)
            )
        }
    }
}
