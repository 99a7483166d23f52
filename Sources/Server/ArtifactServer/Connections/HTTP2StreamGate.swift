import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP2
import NIOHTTPTypes
import NIOHTTPTypesHTTP2

/// The first handler of every HTTP/2 stream: what ``ConnectionGate`` does for an HTTP/1
/// connection, for one request of a multiplexed connection.
///
/// Exists because the connection's gate sees only HTTP/2 frames, and a stream can stall on its
/// own: a client that opens an upload and stops sending would hold the handler, its temporary
/// file and the stream for ever. It promises:
/// - the body idle timeout: from each time the server asks for bytes (`read`) until some arrive,
///   at most ``ConnectionLimits/bodyIdleTimeout``, then the stream is reset (`RST_STREAM`); time
///   spent not reading under back-pressure never counts;
/// - a response that ends before the request's body was read (a refusal) is followed by
///   `RST_STREAM` with `NO_ERROR` (RFC 9113, 8.1), so the client stops sending a body nobody
///   reads, where HTTP/1 would close the connection;
/// - response fields HTTP/2 forbids (`Connection: close` on a refusal, RFC 9113, 8.2.2) are
///   dropped, so such a response is sent rather than reset by NIO's header validation;
/// - the connection gate learns when the stream starts and ends (its header and idle timeouts),
///   and on a connection that is one too many every stream is answered the `503` itself.
///
/// The handler list of HTTP/1.1 connections is the same (Hummingbird configures both protocols
/// with one list), so on an HTTP/1 connection it passes everything through untouched. It sits just
/// after the HTTP/2-to-HTTP-types codec. Event loop only.
final class HTTP2StreamGate: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let limits: ConnectionLimits
    private var context: ChannelHandlerContext?
    /// The stream's connection gate; `nil` on an HTTP/1 connection, where this handler does nothing.
    private var connectionGate: ConnectionGate?
    private var isStream = false
    /// The connection gate counts this stream as open.
    private var counted = false
    private var headReceived = false
    private var requestEnded = false
    private var refused = false
    private var timer: Scheduled<Void>?

    init(limits: ConnectionLimits) {
        self.limits = limits
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // An HTTP/2 stream channel has the codec before this handler and the connection as parent
        // (on the same event loop). An HTTP/1 connection's parent is the listening socket.
        guard (try? context.pipeline.syncOperations.handler(type: HTTP2FramePayloadToHTTPServerCodec.self)) != nil,
            let connection = context.channel.parent
        else { return }
        self.context = context
        isStream = true
        connectionGate = try? connection.pipeline.syncOperations.handler(type: ConnectionGate.self)
        // A stream channel exists once its head has arrived whole.
        connectionGate?.streamStarted()
        counted = connectionGate != nil
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        streamEnded()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        streamEnded()
        context.fireChannelInactive()
    }

    /// Once per stream, at its channel's end.
    private func streamEnded() {
        cancelTimer()
        guard counted else { return }
        counted = false
        connectionGate?.streamEnded()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard isStream else { return context.fireChannelRead(data) }
        cancelTimer()
        switch unwrapInboundIn(data) {
        case .head:
            headReceived = true
            if connectionGate?.refusesStreams == true { refuse(context: context) }
        case .body:
            break
        case .end:
            requestEnded = true
        }
        // A refused stream's parts reach no handler.
        if !refused { context.fireChannelRead(data) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // A refused stream's handler never saw a head: the end of the input, or the connection's
        // GOAWAY after a refusal, would make it close the stream, resetting it before the `503` is
        // out. The stream closes by itself once both sides have ended (or after `responseEnded`).
        if refused, (event as? ChannelEvent) == .inputClosed || event is ChannelShouldQuiesceEvent { return }
        context.fireUserInboundEventTriggered(event)
    }

    func read(context: ChannelHandlerContext) {
        if isStream, headReceived, !requestEnded, timer == nil {
            armBodyIdleTimeout()
        }
        context.read()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard isStream else { return context.write(data, promise: promise) }
        switch unwrapOutboundIn(data) {
        case .head(var response):
            for name in Self.connectionSpecificFields { response.headerFields[name] = nil }
            context.write(wrapOutboundOut(.head(response)), promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            let written = promise ?? context.eventLoop.makePromise()
            written.futureResult.assumeIsolated().whenSuccess { [self] in responseEnded() }
            context.write(data, promise: written)
        }
    }

    /// Fields that name a connection, not a message; an HTTP/2 header block must not carry them.
    static let connectionSpecificFields: [HTTPField.Name] = [
        .connection, .transferEncoding, .upgrade, HTTPField.Name("keep-alive")!, HTTPField.Name("proxy-connection")!,
    ]

    /// The stream of a connection that is one too many: the `503` the HTTP/1 gate writes raw.
    private func refuse(context: ChannelHandlerContext) {
        refused = true
        let body = ConnectionGate.tooManyConnectionsBody(limits.maxConnections)
        var response = HTTPResponse(status: .serviceUnavailable)
        response.headerFields[.retryAfter] = "1"
        response.headerFields[.contentType] = "application/json"
        response.headerFields[.contentLength] = "\(body.count)"
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: body))), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenSuccess { [self] in
            responseEnded()
            connectionGate?.streamRefused()
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
    }

    /// The response's last frame is out; a body still coming is not wanted.
    private func responseEnded() {
        cancelTimer()
        guard !requestEnded, let context,
            let codec = try? context.pipeline.syncOperations.context(handlerType: HTTP2FramePayloadToHTTPServerCodec.self)
        else { return }
        // Written below the codec, which takes HTTP parts only: the frame goes to the stream itself.
        codec.writeAndFlush(NIOAny(HTTP2Frame.FramePayload.rstStream(.noError)), promise: nil)
    }

    private func armBodyIdleTimeout() {
        guard let context else { return }
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(limits.bodyIdleTimeout)) { [self] in
            timer = nil
            // Closing an open stream resets it (RST_STREAM CANCEL); the handler's body read fails.
            self.context?.close(promise: nil)
        }
    }

    private func cancelTimer() {
        timer?.cancel()
        timer = nil
    }
}
