import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Answers `Expect: 100-continue` with `100 Continue` only once a handler starts reading the
/// body (``ExpectContinueMiddleware`` calls ``sendContinue()``), and otherwise closes the
/// connection after the final answer.
///
/// Exists for two reasons. curl sends that header with every upload over 1 MiB and waits a second
/// for the interim answer before sending anything, and Hummingbird never gives one: every large
/// upload stalled for a second. And the point of the header is that a client need not send a body
/// the server will refuse: a request refused before its body is read (no or a wrong token, a
/// missing namespace, …) gets its refusal without `100 Continue`, so an unauthenticated client
/// cannot make the server take in a gigabyte. Such a refusal carries `Connection: close`, and
/// ``ConnectionGate`` closes the connection once it is written, because the client, told not to,
/// may never send the body the connection's framing still owes.
///
/// It sits just after the HTTP-types codec, behind NIO's pipelining handler, so the interim answer
/// of a pipelined request never goes out before the previous response has ended. Event loop only.
final class ExpectContinueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private enum State {
        /// No request waiting for an interim answer.
        case idle
        /// The current request expects `100 Continue` and has a body nobody has asked for yet.
        case awaitingContinue
    }

    private var state = State.idle
    private var context: ChannelHandlerContext?

    init() {}

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let request) = unwrapInboundIn(data) {
            state = Self.expectsContinue(request) ? .awaitingContinue : .idle
        }
        context.fireChannelRead(data)
    }

    /// Sends `100 Continue` if the current request is waiting for it; otherwise does nothing.
    func sendContinue() {
        guard case .awaitingContinue = state, let context else { return }
        state = .idle
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch (state, unwrapOutboundIn(data)) {
        case (.awaitingContinue, .head(var response)) where response.status.kind != .informational:
            state = .idle
            response.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(response)), promise: promise)
        default:
            context.write(data, promise: promise)
        }
    }

    /// Whether `request` asks for `100 Continue` and has a body to wait for.
    static func expectsContinue(_ request: HTTPRequest) -> Bool {
        guard let expectation = request.headerFields[.expect], expectation.lowercased() == "100-continue" else { return false }
        if request.headerFields[.transferEncoding] != nil { return true }
        guard let length = request.headerFields[.contentLength] else { return false }
        return length != "0"
    }
}
