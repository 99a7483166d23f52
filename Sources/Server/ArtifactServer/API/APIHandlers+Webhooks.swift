import ArtifactControlPlane
import ArtifactStoreAPI
import Hummingbird

// Webhook endpoints of a namespace and their deliveries (docs/webhooks.md).
extension APIHandlers {
    func createWebhook(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let namespace = try PathParameter.name(context, "ns")
        let body = try await request.decode(as: WebhookCreateBody.self, context: context)
        let endpoint = try await controlPlane.webhooks.create(
            namespace: namespace,
            url: body.url,
            secret: Array(body.secret.utf8),
            events: body.events ?? [],
            context: context.auditContext(principal)
        )
        return try JSONResponse.make(endpoint, status: .created)
    }

    func listWebhooks(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let page = try await controlPlane.webhooks.list(namespace: try PathParameter.name(context, "ns"), page: try request.pageRequest())
        return try JSONResponse.make(PageBody(page))
    }

    func deleteWebhook(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        try await controlPlane.webhooks.delete(
            namespace: try PathParameter.name(context, "ns"),
            id: try PathParameter.name(context, "id"),
            context: context.auditContext(principal)
        )
        return JSONResponse.noContent()
    }

    func listWebhookDeliveries(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        var state: WebhookDeliveryState?
        if let text = request.query("state") {
            guard let parsed = WebhookDeliveryState(rawValue: text) else {
                throw HTTPAPIError(.badRequest, "state must be pending, delivered or dead, not \"\(NameGrammar.printable(text))\"")
            }
            state = parsed
        }
        let page = try await controlPlane.webhooks.deliveries(
            namespace: try PathParameter.name(context, "ns"),
            endpoint: try PathParameter.name(context, "id"),
            state: state,
            page: try request.pageRequest()
        )
        return try JSONResponse.make(PageBody(page))
    }
}
