import ArtifactStoreAPI
import Foundation
import Logging
import NIOCore
import NIOTLS

/// The first handler of every HTTP/1 connection: counts it against
/// ``ConnectionLimits/maxConnections``, enforces the header, keep-alive and body timeouts, and
/// closes a connection after a refusal without waiting for the client.
///
/// Exists because Hummingbird keeps a connection until the client closes it: after a refused
/// head (a 1 MiB header) it only half-closes and waits, so 200 such requests left ~160 sockets
/// in FIN-WAIT-2 with their descriptors; and nothing bounds a request that never completes.
///
/// It sits before the HTTP decoder, so it sees every byte as it arrives, and learns where a
/// request's head, body and response begin and end from ``RequestPhaseObserver`` behind the
/// codec. One timer at a time:
/// - waiting for a head: ``ConnectionLimits/headerReadTimeout`` from acceptance, or from the
///   first byte after a kept-alive response (before that byte, ``ConnectionLimits/idleTimeout``);
/// - reading a body: ``ConnectionLimits/bodyIdleTimeout`` from each time the server asks for
///   bytes (`read`) until some arrive, so time spent not reading under back-pressure never counts;
/// - while the server works on a request: none.
/// When it fires, the connection is closed. A response that ends the connection (or a `503`
/// for one connection too many) is followed by a lingering close: the output is shut, what the
/// client still sends is read and dropped, and the socket is closed at the client's end of input
/// or after ``ConnectionLimits/lingerTimeout``, whichever comes first.
///
/// Under TLS the client may negotiate HTTP/2 (``NegotiatedHTTPChannel``). The gate learns it from
/// the TLS handshake event, and each stream's ``HTTP2StreamGate`` tells it when a stream (a
/// request, whose head has arrived whole) starts and ends. The header timeout runs from acceptance
/// to the first stream; the idle timeout whenever no stream is open. When it fires the connection
/// says `GOAWAY` (HTTP/2's graceful close, through Hummingbird's connection manager) and is closed
/// once it has been without a stream for ``ConnectionLimits/lingerTimeout`` more, so a client that
/// never acknowledges the `GOAWAY` cannot hold it. The body timeout is each stream gate's. One
/// connection too many under TLS is answered once the handshake says in which protocol: the raw
/// `503` for HTTP/1.1, or, for HTTP/2, a `503` on each stream (``HTTP2StreamGate``) and a `GOAWAY`.
/// Event loop only.
final class ConnectionGate: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private enum Phase {
        /// No byte of the next request yet (the timer is the keep-alive one, or the header one
        /// on a new connection).
        case idle
        /// Bytes of a head have arrived; the head is not complete.
        case readingHead
        /// The head is in; its body is not.
        case readingBody
        /// Every request read is waiting for its response.
        case responding
        /// HTTP/2 after its first stream: the connection's streams are timed by their own gates; the
        /// idle timer runs while none is open.
        case multiplexed
        /// HTTP/2 after `GOAWAY` for idleness: closed once without a stream for the linger timeout.
        case draining
        /// One connection too many under TLS, before the handshake said which protocol to refuse in
        /// (and, for HTTP/2, until the client goes): the linger timeout bounds it.
        case refusing
        /// Output shut; reading and discarding until the input ends or the linger time is up.
        case lingering
        case closed
    }

    private let limits: ConnectionLimits
    private let counter: ConnectionCounter
    private let logger: Logger
    /// TLS is before the gate: a refusal waits for the handshake to learn the protocol.
    private let underTLS: Bool
    private var context: ChannelHandlerContext?
    private var phase = Phase.idle
    private var counted = false
    /// Requests whose head was read and whose response has not ended.
    private var outstanding = 0
    /// HTTP/2 streams open now.
    private var streams = 0
    /// When the timer in force runs out, why, and what then happens (by default: the connection
    /// is closed). `nil`: no timer is in force.
    private var deadline: NIODeadline?
    private var deadlineReason = ""
    private var deadlineExpired: (() -> Void)?
    /// The scheduled check of ``deadline``, and when it fires: never after the deadline.
    private var check: Scheduled<Void>?
    private var checkFiresAt: NIODeadline?

    init(limits: ConnectionLimits, counter: ConnectionCounter, logger: Logger, underTLS: Bool = false) {
        self.limits = limits
        self.counter = counter
        self.logger = logger
        self.underTLS = underTLS
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        guard context.channel.isActive else { return }
        admit(context: context)
    }

    func channelActive(context: ChannelHandlerContext) {
        if !counted, phase == .idle, outstanding == 0 { admit(context: context) }
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch phase {
        case .lingering, .closed:
            // Dropped: the connection is being closed; keep reading so the client can finish sending.
            context.read()
            return
        case .idle:
            phase = .readingHead
            arm(limits.headerReadTimeout, "header read timeout")
        case .readingBody:
            cancelTimer()
        case .readingHead, .responding, .multiplexed, .draining, .refusing:
            // HTTP/2 frames (a refused HTTP/2 connection's too: its streams are answered `503`).
            break
        }
        context.fireChannelRead(data)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .lingering = phase, let event = event as? ChannelEvent, event == .inputClosed {
            close("the client finished after a closing response")
            return
        }
        if let event = event as? TLSUserEvent, case .handshakeCompleted(let negotiatedProtocol) = event {
            handshakeCompleted(negotiatedProtocol, context: context)
        }
        // The server is shutting down: Hummingbird's connection manager says GOAWAY; the
        // connection is closed once its last stream has ended, after the linger timeout.
        if event is ChannelShouldQuiesceEvent, phase == .multiplexed { drain() }
        context.fireUserInboundEventTriggered(event)
    }

    func read(context: ChannelHandlerContext) {
        if case .readingBody = phase, deadline == nil {
            arm(limits.bodyIdleTimeout, "body idle timeout")
        }
        context.read()
    }

    // MARK: From RequestPhaseObserver

    func headReceived() {
        guard phase != .lingering, phase != .closed else { return }
        outstanding += 1
        phase = .readingBody
        cancelTimer()
    }

    func requestEnded() {
        guard phase == .readingBody else { return }
        cancelTimer()
        // A response may have ended before its body was read (an early refusal).
        if outstanding > 0 {
            phase = .responding
        } else {
            becomeIdle()
        }
    }

    /// A response's last part has been written; `closing` when the connection ends with it.
    func responseEnded(closing: Bool) {
        outstanding = max(0, outstanding - 1)
        if closing {
            linger()
        } else if outstanding == 0, phase == .responding {
            becomeIdle()
        }
    }

    // MARK: From HTTP2StreamGate

    /// Whether this connection is one too many: each of its HTTP/2 streams is answered `503`.
    var refusesStreams: Bool { phase == .refusing }

    /// An HTTP/2 stream has started: its head has arrived, the head the header timeout waited for,
    /// and the connection is not idle while it is open.
    func streamStarted() {
        streams += 1
        switch phase {
        case .readingHead:
            phase = .multiplexed
            cancelTimer()
        case .multiplexed, .draining:
            cancelTimer()
        default:
            break
        }
    }

    /// An HTTP/2 stream has ended; with none left the idle timer (or, draining, the linger) starts.
    func streamEnded() {
        streams = max(0, streams - 1)
        guard streams == 0 else { return }
        switch phase {
        case .multiplexed: arm(limits.idleTimeout, "idle timeout") { [self] in goAway() }
        case .draining: arm(limits.lingerTimeout, "linger timeout")
        default: break
        }
    }

    /// A stream of a refused HTTP/2 connection was answered `503`: the connection says `GOAWAY`
    /// (HTTP/2's graceful close) so the client opens no further stream on it.
    func streamRefused() {
        context?.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }

    // MARK: States

    /// HTTP/2 idle: `GOAWAY`, then closed after the linger timeout unless a stream started meanwhile.
    private func goAway() {
        guard phase == .multiplexed, let context else { return }
        logger.debug("HTTP/2 connection idle: GOAWAY")
        drain()
        context.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
    }

    /// After `GOAWAY`: closed once no stream has been open for the linger timeout.
    private func drain() {
        phase = .draining
        if streams == 0 { arm(limits.lingerTimeout, "linger timeout") }
    }

    private func handshakeCompleted(_ negotiatedProtocol: String?, context: ChannelHandlerContext) {
        guard phase == .refusing, negotiatedProtocol != "h2" else { return }
        refuseHTTP1(context: context)
    }

    private func admit(context: ChannelHandlerContext) {
        guard counter.acquire(maximum: limits.maxConnections) else {
            logger.debug("connection refused: maxConnections reached", metadata: ["max_connections": "\(limits.maxConnections)"])
            // Under TLS the answer waits for the handshake, which says whether it is HTTP/1.1 or
            // HTTP/2; until then (and for HTTP/2, until the client leaves) the linger timeout bounds it.
            arm(limits.lingerTimeout, "linger timeout")
            if underTLS {
                phase = .refusing
            } else {
                refuseHTTP1(context: context)
            }
            return
        }
        counted = true
        // A new connection has the header timeout from the start: silence is a head that never comes.
        phase = .readingHead
        arm(limits.headerReadTimeout, "header read timeout")
    }

    /// Writes the raw HTTP/1.1 `503`, then lingers. The output is shut once the answer is out:
    /// shutting it first would end a TLS connection with nothing sent.
    private func refuseHTTP1(context: ChannelHandlerContext) {
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(Self.tooManyConnections(limits.maxConnections))), promise: written)
        written.futureResult.assumeIsolated().whenComplete { [self] _ in linger() }
    }

    private func becomeIdle() {
        phase = .idle
        arm(limits.idleTimeout, "idle timeout")
    }

    private func linger() {
        guard let context, phase != .lingering, phase != .closed else { return }
        phase = .lingering
        arm(limits.lingerTimeout, "linger timeout")
        context.close(mode: .output, promise: nil)
        context.read()
    }

    private func close(_ reason: String) {
        guard let context, phase != .closed else { return }
        phase = .closed
        stopTimer()
        logger.debug("closing connection", metadata: ["reason": "\(reason)"])
        context.close(promise: nil)
    }

    private func finish() {
        stopTimer()
        phase = .closed
        if counted {
            counted = false
            counter.release()
        }
    }

    /// Starts the one timer; when it runs out, `expired` runs (by default: the connection is closed).
    ///
    /// Only a deadline is set: the scheduled check is moved only when the new deadline comes before
    /// it, and a check that finds the deadline moved later schedules itself again. Every request
    /// sets three timers and ends two; scheduling and cancelling a task for each cost a small GET
    /// some 15,000 instructions (callgrind), where reading the clock costs a few dozen.
    private func arm(_ duration: Duration, _ reason: String, expired: (() -> Void)? = nil) {
        guard let context else {
            cancelTimer()
            return
        }
        let due = NIODeadline.now() + TimeAmount(duration)
        deadline = due
        deadlineReason = reason
        deadlineExpired = expired
        if let checkFiresAt, checkFiresAt <= due { return }
        scheduleCheck(at: due, context: context)
    }

    private func scheduleCheck(at due: NIODeadline, context: ChannelHandlerContext) {
        check?.cancel()
        checkFiresAt = due
        check = context.eventLoop.assumeIsolated().scheduleTask(deadline: due) { [self] in
            check = nil
            checkFiresAt = nil
            guard let deadline else { return }
            guard NIODeadline.now() >= deadline else {
                if let context = self.context { scheduleCheck(at: deadline, context: context) }
                return
            }
            let (reason, expired) = (deadlineReason, deadlineExpired)
            cancelTimer()
            if let expired { expired() } else { close(reason) }
        }
    }

    /// Ends the timer in force. A check already scheduled stays, finds no deadline and does nothing
    /// (or serves the next timer armed before it fires).
    private func cancelTimer() {
        deadline = nil
        deadlineExpired = nil
    }

    /// Ends the timer and its scheduled check: the connection is done.
    private func stopTimer() {
        cancelTimer()
        check?.cancel()
        check = nil
        checkFiresAt = nil
    }

    /// The body of the `503` for one connection too many, in the API's error shape.
    static func tooManyConnectionsBody(_ maximum: Int) -> Data {
        let refusal = HTTPAPIError(
            .tooManyConnections,
            "the server already has \(maximum) open connection\(maximum == 1 ? "" : "s"), its maximum (maxConnections); "
                + "retry after 1 second"
        )
        return (try? APIJSON.encoder().encode(ErrorBody(code: refusal.code, message: refusal.message))) ?? Data()
    }

    /// The raw HTTP/1.1 `503` for one connection too many.
    static func tooManyConnections(_ maximum: Int) -> ByteBuffer {
        let body = tooManyConnectionsBody(maximum)
        let head =
            "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: application/json\r\n"
            + "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        var buffer = ByteBuffer(string: head)
        buffer.writeBytes(body)
        return buffer
    }
}
