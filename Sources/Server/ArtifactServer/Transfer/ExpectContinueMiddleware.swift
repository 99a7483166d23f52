import Hummingbird
import NIOCore

/// Lets ``ExpectContinueHandler`` send `100 Continue` when a handler first reads the body of a
/// request that asked for it, and not before: the request's body is wrapped so that its first
/// pull asks the connection's handler to send the interim answer.
///
/// Outermost of the middlewares, so a request refused by any of them (or by the route before it
/// reads) never invites its body.
struct ExpectContinueMiddleware: Sendable {
    typealias Context = ServerRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard ExpectContinueHandler.expectsContinue(request.head) else {
            return try await next(request, context)
        }
        var request = request
        request.body = RequestBody(asyncSequence: ContinueOnFirstRead(base: request.body, channel: context.channel))
        return try await next(request, context)
    }
}

/// A request body that, when first pulled, has the connection send `100 Continue`.
struct ContinueOnFirstRead: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let base: RequestBody
    let channel: any Channel

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RequestBody.AsyncIterator
        let channel: any Channel
        var invited = false

        mutating func next() async throws -> ByteBuffer? {
            if !invited {
                invited = true
                let channel = self.channel
                // Enqueued before the pull, so the interim answer precedes any wait for the body.
                channel.eventLoop.execute {
                    (try? channel.pipeline.syncOperations.handler(type: ExpectContinueHandler.self))?.sendContinue()
                }
            }
            return try await base.next(isolation: #isolation)
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), channel: channel)
    }
}
