import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactStoreAPI
import Hummingbird
import NIOCore

// Health, readiness, metrics and the OpenAPI document: no credentials.
extension APIHandlers {
    func healthz(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        try JSONResponse.make(HealthBody(status: "ok"))
    }

    /// Ready when the database answers and every backend is reachable and writable.
    func readyz(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let database: ReadinessBody.Database
        do {
            try await controlPlane.checkDatabase()
            database = .init(ok: true, message: "ok")
        } catch {
            database = .init(ok: false, message: "\(error.code): \(error.message)")
        }
        let backends = await controlPlane.dataPlane.backendHealth()
        metrics.recordBackendHealth(backends)
        let ready = database.ok && backends.allSatisfy(\.isHealthy)
        return try JSONResponse.make(
            ReadinessBody(status: ready ? "ready" : "unready", database: database, backends: backends),
            status: ready ? .ok : .serviceUnavailable
        )
    }

    func metricsExposition(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        metrics.recordBackendHealth(await controlPlane.dataPlane.backendHealth())
        let bytes = metrics.exposition() + Array(await metrics.namespaceUsage.exposition(controlPlane.registry).utf8)
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .contentLength: "\(bytes.count)"],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }

    /// Exactly `openapi.yaml` of ArtifactStoreAPI, embedded at build time.
    func openAPIDocument(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let buffer = ByteBuffer(string: OpenAPIDocument.yaml)
        return Response(
            status: .ok,
            headers: [.contentType: "application/yaml", .contentLength: "\(buffer.readableBytes)"],
            body: .init(byteBuffer: buffer)
        )
    }
}
