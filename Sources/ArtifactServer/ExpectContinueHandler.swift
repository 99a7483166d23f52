import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Answers a request head carrying `Expect: 100-continue` with `100 Continue` at once, so the
/// client sends its body.
///
/// Exists because curl sends that header with every upload over 1 MiB and then waits a second
/// for the interim answer before sending anything; Hummingbird never gives one, so every large
/// upload from curl stalled for a second. It sits just after the HTTP-types codec, behind NIO's
/// pipelining handler, so the interim answer of a pipelined request never goes out before the
/// previous response has ended. The final answer follows as usual, whatever it is (a refusal
/// included: the client then stops or the server drains what it sends).
final class ExpectContinueHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    init() {}

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head(let request) = unwrapInboundIn(data),
            let expectation = request.headerFields[.expect],
            expectation.lowercased() == "100-continue"
        {
            context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: nil)
        }
        context.fireChannelRead(data)
    }
}
