import Hummingbird

/// The server's middlewares, outermost first, run as one Hummingbird middleware.
///
/// Exists for speed: Hummingbird wraps each middleware it is given in a responder of its own,
/// and on a connection bound to its event loop every such layer costs a few executor checks
/// per request (each `swift_task_switch` looks up the task's executor preference under a lock).
/// Counted with a uprobe over small GETs, the five middlewares as five layers cost 31 of a
/// request's 75 checks. Here each runs its own `handle`, calling the next directly: the order,
/// and what each does, are unchanged.
struct ServerMiddlewares: RouterMiddleware {
    typealias Context = ServerRequestContext

    let expectContinue = ExpectContinueMiddleware()
    let requestID: RequestIDMiddleware
    let metrics: MetricsMiddleware
    let errors = ErrorMiddleware()
    let credential = CredentialMiddleware()

    /// - Parameter now: the clock access lines are timed with (``RequestIDMiddleware``).
    init(metrics: ServerMetrics, now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.requestID = RequestIDMiddleware(now: now)
        self.metrics = MetricsMiddleware(metrics: metrics)
    }

    func handle(
        _ request: Request,
        context: Context,
        next: @concurrent (Request, Context) async throws -> Response
    ) async throws -> Response {
        try await expectContinue.handle(request, context: context) { request, context in
            try await requestID.handle(request, context: context) { request, context in
                try await metrics.handle(request, context: context) { request, context in
                    try await errors.handle(request, context: context) { request, context in
                        try TransferCoding.check(request)
                        return try await credential.handle(request, context: context, next: next)
                    }
                }
            }
        }
    }
}
