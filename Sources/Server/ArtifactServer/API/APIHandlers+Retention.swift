import ArtifactControlPlane
import ArtifactStoreAPI
import Hummingbird

// Holds, retention policies and their evaluation.
extension APIHandlers {
    func placeHold(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let (namespace, artifact, version) = try Self.versionParameters(context)
        let body = try await request.decode(as: PlaceHoldBody.self, context: context)
        let hold = try await controlPlane.retention.placeHold(
            namespace: namespace,
            artifact: artifact,
            version: version,
            reason: body.reason,
            context: context.auditContext(principal)
        )
        return try JSONResponse.make(hold, status: .created)
    }

    func releaseHold(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let (namespace, artifact, version) = try Self.versionParameters(context)
        try await controlPlane.retention.releaseHold(
            namespace: namespace,
            artifact: artifact,
            version: version,
            context: context.auditContext(principal)
        )
        return JSONResponse.noContent()
    }

    func listHolds(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let page = try await controlPlane.retention.listHolds(
            namespace: try PathParameter.name(context, "ns"),
            page: try request.pageRequest()
        )
        return try JSONResponse.make(PageBody(page))
    }

    func listPolicies(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let page = try await controlPlane.retention.listPolicies(
            namespace: try PathParameter.name(context, "ns"),
            page: try request.pageRequest()
        )
        return try JSONResponse.make(PageBody(page))
    }

    func setPolicy(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let namespace = try PathParameter.name(context, "ns")
        let name = try PathParameter.name(context, "name")
        let body = try await request.decode(as: SetPolicyBody.self, context: context)
        let policy = RetentionPolicy(
            namespace: namespace,
            name: name,
            artifactGlob: body.artifactGlob ?? "**",
            keepLast: body.keepLast,
            maxAgeSeconds: body.maxAgeSeconds,
            protectTagged: body.protectTagged ?? true
        )
        try await controlPlane.retention.setPolicy(policy, context: context.auditContext(principal))
        return try JSONResponse.make(policy)
    }

    func deletePolicy(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        try await controlPlane.retention.deletePolicy(
            namespace: try PathParameter.name(context, "ns"),
            name: try PathParameter.name(context, "name"),
            context: context.auditContext(principal)
        )
        return JSONResponse.noContent()
    }

    func evaluateRetention(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let report = try await controlPlane.retention.evaluate(
            namespace: try PathParameter.name(context, "ns"),
            dryRun: try request.flag("dryRun", default: true),
            context: context.auditContext(principal)
        )
        return try JSONResponse.make(report)
    }
}
