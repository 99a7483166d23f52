import ArtifactCBOR
import ArtifactDataPlane
import ArtifactDataPlaneLocal
import ArtifactDataPlaneWire
import ArtifactIdentity
import ArtifactStorage
import ArtifactStoreCore
import Logging
import NIOCore
import Synchronization

/// One client connection of a ``DataPlaneDaemon``: the handshake, then frames routed to calls,
/// each call on its own task.
///
/// Exists to keep the per-connection rules in one place: peers are checked before anything is
/// read (what a refused peer then sends is discarded, never acted on); call ids only grow; data
/// frames are accepted only within the credit this side granted; every protocol error is
/// answered with an error frame on call 0 and ends the connection; when the connection ends,
/// calls still running are cancelled (an ingest then stores nothing).
final class DaemonConnection: Sendable {
    typealias Writer = NIOAsyncChannelOutboundWriter<Frame>

    /// Where frames for one call go.
    enum Route: Sendable {
        /// Data frames and `end` feed the ingest's byte stream; `credit` counts what the client
        /// may still send.
        case ingest(IngestRoute)
        /// `credit` frames open the gate the serving loop waits on.
        case serve(CreditGate)
        /// Verify, delete, health: no frames after the request except `cancel`, which is ignored.
        case single
    }

    private struct State {
        var routes: [UInt64: Route] = [:]
        var lastCall: UInt64 = 0
        var draining = false
    }

    private struct Progress {
        var waiting = 0
        var lastProgress = ContinuousClock.now
    }

    let channel: NIOAsyncChannel<Frame, Frame>
    let peer: PeerCredentials?
    let dataPlane: any DataPlane
    /// Where descriptors for whole serves wait for their client; `nil` without a side channel.
    let tickets: DescriptorTickets?
    let configuration: DataPlaneDaemon.Configuration
    let logger: Logger
    private let state = Mutex(State())
    private let progress = Mutex(Progress())

    init(
        channel: NIOAsyncChannel<Frame, Frame>,
        peer: PeerCredentials?,
        dataPlane: any DataPlane,
        tickets: DescriptorTickets? = nil,
        configuration: DataPlaneDaemon.Configuration,
        logger: Logger
    ) {
        self.channel = channel
        self.peer = peer
        self.dataPlane = dataPlane
        self.tickets = tickets
        self.configuration = configuration
        var logger = logger
        logger[metadataKey: "peer"] = "\(peer.map(\.description) ?? "unknown")"
        self.logger = logger
    }

    var limits: WireLimits { configuration.limits }

    /// How many data frames of one serve may be handed to the channel and not yet written.
    static let serveWritesInFlight = 2

    var activeCallCount: Int { state.withLock { $0.routes.count } }

    // MARK: Life cycle

    func run() async {
        do {
            try await channel.executeThenClose { inbound, outbound in
                guard configuration.allowList.allows(peer) else {
                    logger.warning("refused a peer that is not on the allow-list")
                    await send(
                        .error(
                            DataPlaneWireError(
                                .peerNotAllowed,
                                "peer \(peer.map(\.description) ?? "with unknown credentials") is not allowed to use this data plane"
                            )
                        ),
                        call: 0,
                        outbound
                    )
                    await lingerAfterRefusal(inbound)
                    return
                }
                var frames = inbound.makeAsyncIterator()
                // A peer that connects and never finishes the handshake is closed after the
                // stall timeout, like one that stops mid-call.
                let deadline = closing(after: configuration.stallTimeout)
                let handshaken = try await handshake(&frames, outbound)
                deadline.cancel()
                guard handshaken else { return }
                await withTaskGroup(of: Void.self) { calls in
                    calls.addTask { await self.watchStalls() }
                    do {
                        while let frame = try await frames.next(isolation: #isolation) {
                            try await handle(frame, calls: &calls, outbound)
                        }
                    } catch let error as DataPlaneWireError {
                        logger.notice(
                            "closing the connection after a protocol error",
                            metadata: ["code": "\(error.code)", "error": "\(error.message)"]
                        )
                        await send(.error(error), call: 0, outbound)
                    } catch {
                        logger.debug("connection ended", metadata: ["error": "\(error)"])
                    }
                    abandonCalls()
                    calls.cancelAll()
                }
            }
        } catch {
            logger.debug("connection closed with an error", metadata: ["error": "\(error)"])
        }
    }

    /// Answers a connection accepted after shutdown began, and closes it.
    func refuseShuttingDown() async {
        try? await channel.executeThenClose { _, outbound in
            await send(.error(DataPlaneWireError(.shuttingDown, "the data plane daemon is shutting down")), call: 0, outbound)
        }
    }

    /// Takes no new calls; closes once the calls in flight are done.
    func drain() {
        let idle = state.withLock { state in
            state.draining = true
            return state.routes.isEmpty
        }
        if idle { channel.channel.close(promise: nil) }
    }

    /// `hello` → `welcome`, or an error frame and `false`.
    private func handshake(_ frames: inout NIOAsyncChannelInboundStream<Frame>.AsyncIterator, _ outbound: Writer) async throws -> Bool {
        do {
            guard let first = try await frames.next(isolation: #isolation) else { return false }
            guard first.kind == .hello, first.call == 0 else {
                throw DataPlaneWireError(
                    .handshakeRequired,
                    "the first frame must be hello on call 0; got \(first.kind) on call \(first.call)"
                )
            }
            let hello = try first.decodeBody(Hello.self)
            guard let version = hello.versions.filter({ WireProtocol.supportedVersions.contains($0) }).max() else {
                throw DataPlaneWireError(
                    .unsupportedVersion,
                    "the client speaks protocol versions \(hello.versions.map(String.init).joined(separator: ", ")); this daemon speaks \(WireProtocol.supportedVersions.map(String.init).joined(separator: ", "))"
                )
            }
            logger.debug("handshake", metadata: ["client": "\(hello.client.prefix(100))", "version": "\(version)"])
            try await outbound.write(try Frame.control(.welcome, call: 0, Welcome(version: version, limits: limits)))
            return true
        } catch let error as DataPlaneWireError {
            logger.notice("refused a handshake", metadata: ["code": "\(error.code)", "error": "\(error.message)"])
            await send(.error(error), call: 0, outbound)
            return false
        }
    }

    // MARK: Routing

    private func handle(_ frame: Frame, calls: inout TaskGroup<Void>, _ outbound: Writer) async throws {
        switch frame.kind {
        case .request:
            try await open(frame, calls: &calls, outbound)
        case .data, .end:
            guard let route = try route(for: frame) else { return }
            guard case .ingest(let ingest) = route else {
                throw DataPlaneWireError(.protocolViolation, "\(frame.kind) frame on call \(frame.call), which is not an ingest")
            }
            if case .bytes(let payload) = frame.body {
                guard payload.readableBytes <= limits.maximumChunkLength else {
                    throw DataPlaneWireError(
                        .protocolViolation,
                        "data frame on call \(frame.call) carries \(payload.readableBytes) bytes; the limit is \(limits.maximumChunkLength)"
                    )
                }
                guard ingest.received() else {
                    throw DataPlaneWireError(.protocolViolation, "data frame on call \(frame.call) sent without credit")
                }
                ingest.chunks.push(payload)
            } else {
                ingest.chunks.finish()
            }
        case .credit:
            guard let route = try route(for: frame) else { return }
            guard case .serve(let gate) = route else {
                throw DataPlaneWireError(.protocolViolation, "credit frame on call \(frame.call), which is not a serve")
            }
            guard case .value(.unsigned(let count)) = frame.body, WireProtocol.creditRange.contains(count) else {
                let range = WireProtocol.creditRange
                throw DataPlaneWireError(
                    .malformedFrame,
                    "credit frame on call \(frame.call) must carry an unsigned count from \(range.lowerBound) to \(range.upperBound)"
                )
            }
            gate.grant(count)
        case .cancel:
            guard let route = try route(for: frame) else { return }
            let cancel = try frame.decodeBody(WireCancel.self)
            switch route {
            case .ingest(let ingest):
                ingest.chunks.finish(
                    throwing: cancel.reason == .cancelled ? CancellationError() as any Error : RemoteStreamFailure(cancel.message)
                )
            case .serve(let gate):
                gate.close(CancellationError())
            case .single:
                break
            }
        case .hello, .welcome, .result, .error:
            throw DataPlaneWireError(
                .protocolViolation,
                "a client may not send a \(frame.kind) frame after the handshake (call \(frame.call))"
            )
        }
    }

    /// The route of a call in flight; `nil` for a call that already ended (its late frames are
    /// dropped); a call never opened is a protocol violation.
    private func route(for frame: Frame) throws(DataPlaneWireError) -> Route? {
        let (route, lastCall) = state.withLock { ($0.routes[frame.call], $0.lastCall) }
        if let route { return route }
        guard frame.call != 0, frame.call <= lastCall else {
            throw DataPlaneWireError(.protocolViolation, "\(frame.kind) frame on call \(frame.call), which was never opened")
        }
        return nil
    }

    private func open(_ frame: Frame, calls: inout TaskGroup<Void>, _ outbound: Writer) async throws {
        let call = frame.call
        let lastCall = state.withLock { $0.lastCall }
        guard call > lastCall else {
            throw DataPlaneWireError(.protocolViolation, "request on call \(call): call ids must grow, the last was \(lastCall)")
        }
        let request = try WireRequest(frame: frame)
        let route: Route
        switch request {
        case .ingest: route = .ingest(IngestRoute(window: limits.ingestWindow))
        case .serve(_, _, _, let window, _): route = .serve(CreditGate(initialCredit: window))
        default: route = .single
        }
        enum Admission { case admitted, draining, full }
        let admission = state.withLock { state -> Admission in
            state.lastCall = call
            if state.draining { return .draining }
            if state.routes.count >= limits.maximumConcurrentCalls { return .full }
            state.routes[call] = route
            return .admitted
        }
        switch admission {
        case .draining:
            await send(
                .error(DataPlaneWireError(.shuttingDown, "the data plane daemon is shutting down and takes no new calls")),
                call: call,
                outbound
            )
            return
        case .full:
            throw DataPlaneWireError(
                .tooManyCalls,
                "request on call \(call) would exceed \(limits.maximumConcurrentCalls) concurrent calls on one connection"
            )
        case .admitted:
            break
        }
        calls.addTask {
            await self.perform(request, call: call, route: route, outbound)
            self.finish(call)
        }
    }

    private func finish(_ call: UInt64) {
        let close = state.withLock { state in
            state.routes.removeValue(forKey: call)
            return state.draining && state.routes.isEmpty
        }
        if close { channel.channel.close(promise: nil) }
    }

    /// Ends every call's inputs: the connection is gone, nothing more will arrive.
    private func abandonCalls() {
        let routes = state.withLock { Array($0.routes.values) }
        let gone = DataPlaneWireError(.connectionFailed, "the client connection closed during the call")
        for route in routes {
            switch route {
            case .ingest(let ingest): ingest.chunks.finish(throwing: CancellationError())
            case .serve(let gate): gate.close(gone)
            case .single: break
            }
        }
    }

    // MARK: Operations

    private func perform(_ request: WireRequest, call: UInt64, route: Route, _ outbound: Writer) async {
        do {
            switch (request, route) {
            case (.ingest(let hints), .ingest(let ingest)):
                try await outbound.write(Frame(.credit, call: call, body: .value(.unsigned(UInt64(limits.ingestWindow)))))
                let stream = ByteStream(IngestChunks(route: ingest, call: call, connection: self, outbound: outbound))
                let result = try await dataPlane.ingest(stream, hints: hints)
                try await outbound.write(try Frame.control(.result, call: call, result))
            case (.serve(let address, let range, let backendID, _, let descriptor), .serve(let gate)):
                if descriptor, range == nil, try await passDescriptor(address, backendID: backendID, call: call, outbound) {
                    return
                }
                try await serve(address, range: range, backendID: backendID, gate: gate, call: call, outbound)
            case (.verify(let address, let backendID), _):
                try await outbound.write(try Frame.control(.result, call: call, try await dataPlane.verify(address, backendID: backendID)))
            case (.delete(let address, let backendID), _):
                try await outbound.write(try Frame.control(.result, call: call, try await dataPlane.delete(address, backendID: backendID)))
            case (.backendHealth, _):
                try await outbound.write(try Frame.control(.result, call: call, WireHealth(backends: await dataPlane.backendHealth())))
            case (.inventoryBackends, _):
                let ids = try await inventory(request).inventoryBackendIDs()
                try await outbound.write(try Frame.control(.result, call: call, WireInventoryBackends(backendIDs: ids)))
            case (.listObjects(let kind, let backendID, let cursor, let limit), _):
                let page = try await inventory(request).storedObjects(kind, backendID: backendID, cursor: cursor, limit: Int(limit))
                try await outbound.write(try Frame.control(.result, call: call, page))
            case (.containsObject(let address, let backendID), _):
                let present = try await inventory(request).contains(address, backendID: backendID)
                try await outbound.write(try Frame.control(.result, call: call, WirePresence(present: present)))
            case (.deleteOutboard(let address, let backendID), _):
                let removed = try await inventory(request).deleteOutboard(of: address, backendID: backendID)
                try await outbound.write(try Frame.control(.result, call: call, WireRemoval(removed: removed)))
            default:
                preconditionFailure("route \(route) does not match request \(request.operation)")
            }
        } catch let error as DataPlaneError {
            await send(.failure(WireFailure(error)), call: call, outbound)
        } catch is CancellationError {
            await send(
                .failure(WireFailure(DataPlaneError(.cancelled, "\(request.operation) on call \(call) was cancelled"))),
                call: call,
                outbound
            )
        } catch {
            logger.debug("call ended without an answer", metadata: ["call": "\(call)", "error": "\(error)"])
        }
    }

    /// The served data plane's inventory, for the operations that list or probe a backend.
    /// - Throws: `invalidConfiguration` when the daemon serves a data plane that cannot list.
    private func inventory(_ request: WireRequest) throws(DataPlaneError) -> any StoredObjectInventory {
        guard let inventory = dataPlane as? any StoredObjectInventory else {
            throw DataPlaneError(
                .invalidConfiguration,
                "\(request.operation): this daemon's data plane cannot list what its backends hold"
            )
        }
        return inventory
    }

    /// Answers a whole serve with a ticket for the object's descriptor and ends the call, when
    /// the data plane is a `LocalDataPlane` whose backend keeps the object in a local file;
    /// `false` (stream it instead) otherwise, or when the ticket book is full.
    private func passDescriptor(_ address: ContentAddress, backendID: String?, call: UInt64, _ outbound: Writer) async throws -> Bool {
        guard let tickets, let peer, let local = dataPlane as? LocalDataPlane else { return false }
        guard let opened = try await local.openDescriptor(address, backendID: backendID) else { return false }
        guard let ticket = tickets.issue(opened, to: peer) else {
            logger.notice("descriptor tickets exhausted; streaming the serve", metadata: ["call": "\(call)"])
            return false
        }
        let stamp = opened.file.stamp
        let granted = WireDescriptorTicket(
            ticket: ticket,
            size: stamp.size,
            backendID: opened.backendID,
            proves: opened.provesReads,
            stamp: opened.provedByStamp
                ? WireStamp(size: stamp.size, changeTime: stamp.changeTimeNanoseconds, identity: stamp.identity) : nil
        )
        try await outbound.write(try Frame.control(.result, call: call, WireServeStart(descriptor: granted)))
        try await outbound.write(Frame(.end, call: call, body: .value(.null)))
        return true
    }

    private func serve(
        _ address: ContentAddress,
        range: ByteRange?,
        backendID: String?,
        gate: CreditGate,
        call: UInt64,
        _ outbound: Writer
    ) async throws {
        let stream = try await dataPlane.serve(address, range: range, backendID: backendID)
        try await outbound.write(try Frame.control(.result, call: call, WireServeStart()))
        // Data frames go to the channel directly, each with the future of its write, and at most
        // `Self.serveWritesInFlight` are unwritten at once: the next chunk is read from storage
        // only when the socket has taken all but those. (The async writer's own back-pressure
        // reacts to writability only after the event loop has run, so a busy machine could
        // queue many chunks before it did.)
        let maximum = limits.maximumChunkLength
        var inFlight = CircularBuffer<EventLoopFuture<Void>>()
        for try await chunk in stream {
            var chunk = chunk
            while chunk.readableBytes > 0 {
                let slice = chunk.readSlice(length: min(maximum, chunk.readableBytes))!
                try await waitingOnPeer { try await gate.acquire() }
                if inFlight.count >= Self.serveWritesInFlight, let oldest = inFlight.popFirst() {
                    try await waitingOnPeer { try await oldest.get() }
                }
                inFlight.append(channel.channel.writeAndFlush(Frame.data(call: call, slice)))
            }
        }
        while let write = inFlight.popFirst() {
            try await waitingOnPeer { try await write.get() }
        }
        try await outbound.write(Frame(.end, call: call, body: .value(.null)))
    }

    // MARK: Stalls

    /// Runs `body`, which waits on the peer; a wait longer than the stall timeout closes the
    /// connection (``watchStalls()``).
    func waitingOnPeer<T>(_ body: () async throws -> T) async throws -> T {
        progress.withLock {
            $0.waiting += 1
            $0.lastProgress = .now
        }
        defer {
            progress.withLock {
                $0.waiting -= 1
                $0.lastProgress = .now
            }
        }
        return try await body()
    }

    private func watchStalls() async {
        let timeout = configuration.stallTimeout
        while !Task.isCancelled {
            do { try await Task.sleep(for: timeout / 4) } catch { return }
            let stalled = progress.withLock { $0.waiting > 0 && ContinuousClock.now - $0.lastProgress > timeout }
            if stalled {
                logger.warning("closing a connection whose calls made no progress", metadata: ["timeout": "\(timeout)"])
                channel.channel.close(promise: nil)
                return
            }
        }
    }

    /// Closes the connection after `duration` unless the returned task is cancelled first.
    private func closing(after duration: Duration) -> Task<Void, any Error> {
        let raw = channel.channel
        return Task {
            try await Task.sleep(for: duration)
            raw.close(promise: nil)
        }
    }

    /// After a refusal: shuts the output (the refusal, then end of stream) and discards what
    /// the peer sends until it closes, for at most a second, before closing.
    ///
    /// Closing at once raced with the peer's first write: a client that connects and writes its
    /// hello before reading got EPIPE (and NIO closed its side) instead of the refusal already
    /// waiting in its receive buffer. Nothing the peer sends is acted on.
    private func lingerAfterRefusal(_ inbound: NIOAsyncChannelInboundStream<Frame>) async {
        do {
            try await channel.channel.close(mode: .output)
        } catch {
            return
        }
        let deadline = closing(after: .seconds(1))
        defer { deadline.cancel() }
        do {
            for try await _ in inbound {}
        } catch {}
    }

    // MARK: Writing errors

    enum Failure {
        case error(DataPlaneWireError)
        case failure(WireFailure)
    }

    /// Writes an error frame, ignoring a connection that is already gone.
    func send(_ failure: Failure, call: UInt64, _ outbound: Writer) async {
        let body: WireFailure
        switch failure {
        case .error(let error): body = WireFailure(error)
        case .failure(let failure): body = failure
        }
        guard let frame = try? Frame.control(.error, call: call, body) else { return }
        try? await outbound.write(frame)
    }
}

/// The daemon's side of one ingest: the chunks received and the credit the client still has.
///
/// The initial credit is one grant of `window` (the `ingestWindow` of `welcome`), counted from
/// the moment the request is accepted; the `credit` frame the daemon then sends announces that
/// same grant, it does not add to it. Only the credit frames that follow return credit.
final class IngestRoute: Sendable {
    let chunks = AsyncInbox<ByteBuffer>()
    let window: Int
    /// Data frames the client may still send.
    private let credit: Mutex<Int>

    init(window: Int) {
        self.window = window
        self.credit = Mutex(window)
    }

    /// Counts one data frame against the credit; `false` when there was none.
    func received() -> Bool {
        credit.withLock { credit in
            guard credit > 0 else { return false }
            credit -= 1
            return true
        }
    }

    /// Returns `count` credit to the client's account (sent in a credit frame).
    func granted(_ count: Int) {
        credit.withLock { $0 += count }
    }
}

/// The byte stream an ingest reads in the daemon: the client's data frames, in order. Grants
/// credit back in batches of half the window as chunks are taken.
struct IngestChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let route: IngestRoute
    let call: UInt64
    let connection: DaemonConnection
    let outbound: DaemonConnection.Writer

    struct AsyncIterator: AsyncIteratorProtocol {
        let source: IngestChunks
        var taken = 0

        mutating func next() async throws -> ByteBuffer? {
            let chunks = source.route.chunks
            guard let chunk = try await source.connection.waitingOnPeer({ try await chunks.next() }) else { return nil }
            taken += 1
            if taken >= Swift.max(1, source.route.window / 2) {
                source.route.granted(taken)
                try await source.outbound.write(Frame(.credit, call: source.call, body: .value(.unsigned(UInt64(taken)))))
                taken = 0
            }
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(source: self) }
}
