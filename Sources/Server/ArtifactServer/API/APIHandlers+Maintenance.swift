import ArtifactControlPlane
import ArtifactStoreAPI
import Hummingbird

// The last garbage collection and retention runs (docs/api.md, docs/ui.md).
extension APIHandlers {
    func listMaintenanceRuns(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        var kind: MaintenanceRun.Kind?
        if let text = request.query("kind") {
            guard let parsed = MaintenanceRun.Kind(rawValue: text) else {
                throw HTTPAPIError(
                    .badRequest,
                    "query parameter kind must be garbageCollection or retention, not \"\(NameGrammar.printable(text))\""
                )
            }
            kind = parsed
        }
        return try JSONResponse.make(PageBody(try await controlPlane.maintenanceRuns.list(kind: kind, page: try request.pageRequest())))
    }
}
