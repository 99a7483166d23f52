import ArtifactControlPlane
import ArtifactOCI
import ArtifactStoreAPI
import Hummingbird

// Proxy namespaces (docs/oci.md, "Proxy namespaces"): their configuration; the pull-through
// itself is in the OCI routes.
extension APIHandlers {
    func listProxies(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let proxies = try await OCIProxyStore(controlPlane: controlPlane).list()
        return try JSONResponse.make(PageBody(items: proxies.map(\.answer), nextCursor: nil))
    }

    func setProxy(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let namespace = try PathParameter.name(context, "ns")
        let body = try await request.decode(as: SetProxyBody.self, context: context)
        let configuration = try OCIProxyConfiguration(namespace: namespace, body: body)
        try await OCIProxyStore(controlPlane: controlPlane).set(configuration, context: context.auditContext(principal))
        return try JSONResponse.make(configuration.answer)
    }

    func deleteProxy(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        try await OCIProxyStore(controlPlane: controlPlane).delete(
            try PathParameter.name(context, "ns"),
            context: context.auditContext(principal)
        )
        return JSONResponse.noContent()
    }
}
