import ArtifactCBOR
import ArtifactDataPlane
import ArtifactDataPlaneWire
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// One handshaken connection to the daemon, shared by many calls.
///
/// A reader task takes every frame off the socket and hands it to its call's inbox; calls write
/// their own frames (the outbound writer takes writes from many tasks). When the connection
/// ends, every call in flight gets `connectionFailed` (or the daemon's call-0 error).
final class RemoteConnection: Sendable {
    /// A call the daemon still counts: until its terminal frame (`result`, `end` or `error`;
    /// for a serve, `result` only starts the stream) has arrived.
    private struct Call {
        var inbox: AsyncInbox<Frame>
        var isServe: Bool
        /// The terminal frame has arrived.
        var ended = false
        /// The caller stopped listening before it arrived; frames are dropped, and the slot is
        /// freed when the daemon ends the call too.
        var abandoned = false

        func isTerminal(_ frame: Frame) -> Bool {
            frame.kind == .error || frame.kind == .end || (frame.kind == .result && !isServe)
        }
    }

    private struct State {
        var calls: [UInt64: Call] = [:]
        var nextCall: UInt64 = 1
        var closed: DataPlaneWireError?
    }

    let welcome: Welcome
    /// Called whenever a call slot frees up or the connection ends (the pool's waiters retry).
    let slotFreed: @Sendable () -> Void
    private let channel: any Channel
    private let outbound: NIOAsyncChannelOutboundWriter<Frame>
    private let state: Mutex<State>

    private init(
        welcome: Welcome,
        channel: any Channel,
        outbound: NIOAsyncChannelOutboundWriter<Frame>,
        slotFreed: @escaping @Sendable () -> Void
    ) {
        self.welcome = welcome
        self.slotFreed = slotFreed
        self.channel = channel
        self.outbound = outbound
        self.state = Mutex(State())
    }

    /// Connects to `socketPath`, says hello and waits for the welcome.
    static func connect(
        socketPath: String,
        group: any EventLoopGroup,
        limits: WireLimits,
        logger: Logger,
        slotFreed: @escaping @Sendable () -> Void
    ) async throws(DataPlaneError) -> RemoteConnection {
        let channel: NIOAsyncChannel<Frame, Frame>
        do {
            channel = try await ClientBootstrap(group: group)
                .channelOption(.recvAllocator, value: limits.receiveAllocator)
                .channelOption(.socketOption(.so_sndbuf), value: WireLimits.socketBufferSize)
                .channelOption(.socketOption(.so_rcvbuf), value: WireLimits.socketBufferSize)
                .connect(unixDomainSocketPath: socketPath) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(FrameDecoder(limits: limits, allocator: channel.allocator))
                        )
                        try channel.pipeline.syncOperations.addHandler(FrameEncoder())
                        return try NIOAsyncChannel<Frame, Frame>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(backPressureStrategy: .init(lowWatermark: 2, highWatermark: 8))
                        )
                    }
                }
        } catch {
            throw .unavailable(
                DataPlaneWireError(
                    .connectionFailed,
                    "cannot connect to the data plane daemon at \"\(socketPath)\": \(error)",
                    underlying: error
                )
            )
        }
        let ready = AsyncInbox<Result<RemoteConnection, DataPlaneWireError>>()
        let raw = channel.channel
        Task {
            do {
                try await channel.executeThenClose { inbound, outbound in
                    var frames = inbound.makeAsyncIterator()
                    let connection: RemoteConnection
                    do {
                        // A daemon that refuses this peer answers before reading anything and
                        // ends the stream, which may close this side before hello is written:
                        // its refusal, already received, is then the better answer.
                        let hello = try Frame.control(.hello, call: 0, Hello(client: "artifactstore RemoteDataPlane"))
                        var helloFailure: (any Error)?
                        do {
                            try await outbound.write(hello)
                        } catch {
                            helloFailure = error
                        }
                        guard let first = try await frames.next(isolation: #isolation) else {
                            if let helloFailure {
                                throw DataPlaneWireError(
                                    .connectionFailed,
                                    "cannot send hello to the data plane daemon at \"\(socketPath)\": \(helloFailure)",
                                    underlying: helloFailure
                                )
                            }
                            throw DataPlaneWireError(.connectionFailed, "the daemon closed the connection during the handshake")
                        }
                        if first.kind == .error {
                            let failure = try first.decodeBody(WireFailure.self)
                            throw DataPlaneWireError(
                                DataPlaneWireError.Code(rawValue: failure.code) ?? .connectionFailed,
                                "the daemon refused the connection: \(failure.code): \(failure.message)"
                            )
                        }
                        guard first.kind == .welcome else {
                            throw DataPlaneWireError(.protocolViolation, "the daemon answered hello with \(first.kind)")
                        }
                        let welcome = try first.decodeBody(Welcome.self)
                        guard welcome.version == WireProtocol.version else {
                            throw DataPlaneWireError(.unsupportedVersion, "the daemon chose protocol version \(welcome.version)")
                        }
                        connection = RemoteConnection(welcome: welcome, channel: raw, outbound: outbound, slotFreed: slotFreed)
                    } catch let error as DataPlaneWireError {
                        ready.push(.failure(error))
                        return
                    } catch {
                        ready.push(
                            .failure(
                                DataPlaneWireError(
                                    .connectionFailed,
                                    "handshake with the data plane daemon at \"\(socketPath)\" failed: \(error)",
                                    underlying: error
                                )
                            )
                        )
                        return
                    }
                    ready.push(.success(connection))
                    await connection.dispatch(&frames, logger: logger)
                }
            } catch {
                ready.push(
                    .failure(DataPlaneWireError(.connectionFailed, "connection to \"\(socketPath)\" failed: \(error)", underlying: error))
                )
            }
        }
        let outcome: Result<RemoteConnection, DataPlaneWireError>?
        do { outcome = try await ready.next(cancellable: false) } catch { outcome = nil }
        switch outcome {
        case .success(let connection)?: return connection
        case .failure(let error)?: throw .unavailable(error)
        case nil: throw .unavailable(DataPlaneWireError(.connectionFailed, "connection to \"\(socketPath)\" ended during the handshake"))
        }
    }

    /// Hands each frame to its call until the connection ends, then fails the calls left.
    private func dispatch(_ frames: inout NIOAsyncChannelInboundStream<Frame>.AsyncIterator, logger: Logger) async {
        var ending = DataPlaneWireError(.connectionFailed, "the data plane daemon closed the connection")
        do {
            while let frame = try await frames.next(isolation: #isolation) {
                if frame.call == 0 {
                    if frame.kind == .error, let failure = try? frame.decodeBody(WireFailure.self) {
                        ending = DataPlaneWireError(DataPlaneWireError.Code(rawValue: failure.code) ?? .connectionFailed, failure.message)
                    }
                    continue
                }
                let (inbox, freed) = state.withLock { state -> (AsyncInbox<Frame>?, Bool) in
                    guard var call = state.calls[frame.call] else { return (nil, false) }
                    let terminal = call.isTerminal(frame)
                    if call.abandoned {
                        if terminal { state.calls.removeValue(forKey: frame.call) }
                        return (nil, terminal)
                    }
                    if terminal {
                        call.ended = true
                        state.calls[frame.call] = call
                    }
                    return (call.inbox, false)
                }
                inbox?.push(frame)
                if freed { slotFreed() }
            }
        } catch let error as DataPlaneWireError {
            ending = error
        } catch {
            ending = DataPlaneWireError(.connectionFailed, "the connection to the data plane daemon failed: \(error)", underlying: error)
        }
        logger.debug("data plane connection ended", metadata: ["reason": "\(ending)"])
        let calls = state.withLock { state in
            state.closed = ending
            defer { state.calls = [:] }
            return state.calls.values.map(\.inbox)
        }
        for call in calls { call.finish(throwing: ending) }
        slotFreed()
    }

    var isClosed: Bool { state.withLock { $0.closed != nil } }

    var activeCalls: Int { state.withLock { $0.calls.count } }

    /// Opens a call with `request` if the connection is open and below the daemon's call limit.
    ///
    /// The id is taken and the request frame handed to the channel under one lock, so requests
    /// reach the socket in the order of their ids (the daemon requires ids to grow), and before
    /// any later frame of the same call.
    func open(_ request: WireRequest) throws(DataPlaneWireError) -> RemoteCall? {
        let opened = state.withLock { state -> Result<(UInt64, AsyncInbox<Frame>)?, DataPlaneWireError> in
            guard state.closed == nil, state.calls.count < Int(welcome.maximumConcurrentCalls) else { return .success(nil) }
            let id = state.nextCall
            let frame: Frame
            do {
                frame = try request.frame(call: id)
            } catch {
                return .failure(
                    DataPlaneWireError(.malformedFrame, "cannot encode the \(request.operation) request: \(error)", underlying: error)
                )
            }
            state.nextCall += 1
            let inbox = AsyncInbox<Frame>()
            if case .serve = request {
                state.calls[id] = Call(inbox: inbox, isServe: true)
            } else {
                state.calls[id] = Call(inbox: inbox, isServe: false)
            }
            channel.writeAndFlush(frame, promise: nil)
            return .success((id, inbox))
        }
        return try opened.get().map { RemoteCall(connection: self, id: $0.0, inbox: $0.1) }
    }

    /// Frees the call's slot once the daemon has ended the call too; before that, the call is
    /// only marked abandoned, so this side never has more calls open than the daemon counts.
    func release(_ call: UInt64) {
        let freed = state.withLock { state -> Bool in
            guard var entry = state.calls[call] else { return false }
            if entry.ended {
                state.calls.removeValue(forKey: call)
                return true
            }
            entry.abandoned = true
            state.calls[call] = entry
            return false
        }
        if freed { slotFreed() }
    }

    func write(_ frame: Frame) async throws {
        try await outbound.write(frame)
    }

    func close() {
        channel.close(promise: nil)
    }
}

/// One call on a ``RemoteConnection``: its id and the frames the daemon sent for it.
struct RemoteCall: Sendable {
    let connection: RemoteConnection
    let id: UInt64
    let inbox: AsyncInbox<Frame>

    /// The next frame for this call. Throws `CancellationError` (when `cancellable`) or the
    /// connection's end as a `DataPlaneError`.
    func next(cancellable: Bool = true) async throws -> Frame {
        do {
            guard let frame = try await inbox.next(cancellable: cancellable) else {
                throw DataPlaneError.unavailable(DataPlaneWireError(.connectionFailed, "the call ended without an answer"))
            }
            return frame
        } catch let error as DataPlaneWireError {
            throw DataPlaneError.unavailable(error)
        }
    }

    func send(_ frame: Frame) async throws {
        do {
            try await connection.write(frame)
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw DataPlaneError.unavailable(
                DataPlaneWireError(.connectionFailed, "cannot send to the data plane daemon: \(error)", underlying: error)
            )
        }
    }

    /// Sends from a task of its own, so a cancelled caller can still say it cancelled.
    func sendUncancellably(_ frame: Frame) async {
        let connection = connection
        await Task { try? await connection.write(frame) }.value
    }

    func release() {
        connection.release(id)
    }
}
