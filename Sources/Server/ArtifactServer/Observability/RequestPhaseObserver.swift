import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Tells the connection's ``ConnectionGate`` where each request's head, body and response
/// begin and end, and whether a response ends the connection; and makes Hummingbird's `400` for
/// a head over the decoder's limits the `431 Request Header Fields Too Large` it is (RFC 6585).
///
/// Exists because the gate sits before the HTTP decoder (it must see raw bytes) and so cannot
/// see messages. It sits just after the HTTP-types codec, before ``ExpectContinueHandler``, so
/// it sees the `Connection: close` that handler adds to a refusal. Event loop only.
final class RequestPhaseObserver: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private var gate: ConnectionGate?
    /// A request asked for the connection to end after its response.
    private var requestAskedClose = false
    /// The response being written says `Connection: close`.
    private var responseAsksClose = false
    /// The HTTP decoder refused a head as too large; the `400` Hummingbird answers it with is a `431`.
    private var headTooLarge = false

    init() {}

    func handlerAdded(context: ChannelHandlerContext) {
        gate = try? context.pipeline.syncOperations.handler(type: ConnectionGate.self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        gate = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            if Self.asksClose(request.headerFields) { requestAskedClose = true }
            gate?.headReceived()
        case .body:
            break
        case .end:
            gate?.requestEnded()
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? HTTPParserError, error == .headerOverflow { headTooLarge = true }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var response) where response.status.kind != .informational:
            responseAsksClose = Self.asksClose(response.headerFields)
            if headTooLarge, response.status == .badRequest {
                response.status = HTTPResponse.Status(code: 431, reasonPhrase: "Request Header Fields Too Large")
                return context.write(wrapOutboundOut(.head(response)), promise: promise)
            }
            context.write(data, promise: promise)
        case .end:
            guard let gate else { return context.write(data, promise: promise) }
            let closing = responseAsksClose || requestAskedClose
            responseAsksClose = false
            let written = promise ?? context.eventLoop.makePromise()
            let bound = NIOLoopBound(gate, eventLoop: context.eventLoop)
            written.futureResult.whenComplete { _ in bound.value.responseEnded(closing: closing) }
            context.write(data, promise: written)
        default:
            context.write(data, promise: promise)
        }
    }

    static func asksClose(_ fields: HTTPFields) -> Bool {
        fields[values: .connection].contains { value in
            value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == "close" }
        }
    }
}
