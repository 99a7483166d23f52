import ArtifactControlPlane
import ArtifactStoreAPI
import Hummingbird

// Replication rules (docs/replication.md): their configuration and status; the copying is
// ReplicationService's.
extension APIHandlers {
    func listReplications(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let rules = try await Replication(controlPlane: controlPlane).list()
        return try JSONResponse.make(PageBody(items: rules, nextCursor: nil))
    }

    func createReplication(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let body = try await request.decode(as: CreateReplicationBody.self, context: context)
        let rule = try ReplicationRuleConfiguration(body: body, networks: controlPlane.configuration.webhookNetworks)
        let created = try await Replication(controlPlane: controlPlane).create(rule, context: context.auditContext(principal))
        return try JSONResponse.make(created, status: .created)
    }

    func getReplication(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        try JSONResponse.make(try await Replication(controlPlane: controlPlane).rule(try PathParameter.name(context, "name")))
    }

    func deleteReplication(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        try await Replication(controlPlane: controlPlane).delete(
            try PathParameter.name(context, "name"),
            context: context.auditContext(principal)
        )
        return JSONResponse.noContent()
    }
}
