import Foundation
import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Tells the connection's ``ConnectionGate`` where each request's head, body and response
/// begin and end, and whether a response ends the connection.
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

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let response) where response.status.kind != .informational:
            responseAsksClose = Self.asksClose(response.headerFields)
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
