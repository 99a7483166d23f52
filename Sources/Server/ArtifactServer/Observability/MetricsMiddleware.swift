import Hummingbird

/// Counts every request by route template, method and status, and times it
/// (``ServerMetrics/recordRequest(route:method:status:duration:)``). Errors are already
/// responses here (it runs outside ``ErrorMiddleware``).
struct MetricsMiddleware: Sendable {
    typealias Context = ServerRequestContext
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        metrics.recordRequest(
            route: context.endpointPath ?? "unmatched",
            method: request.method.rawValue,
            status: Int(response.status.code),
            duration: ContinuousClock.now - start
        )
        return response
    }
}
