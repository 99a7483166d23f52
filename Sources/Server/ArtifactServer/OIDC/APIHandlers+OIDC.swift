import ArtifactControlPlane
import ArtifactStoreAPI
import Hummingbird

// `/v1/auth/oidc` (docs/identity.md): the provider for the CLI's device grant, and the exchange.
extension APIHandlers {
    func oidcConfiguration(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        guard let oidc else { throw WebUI.oidcOff }
        return try JSONResponse.make(try await oidc.clientConfiguration())
    }

    /// The provider's proof of identity for a store token scoped by the claim rules (201).
    func oidcToken(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        guard let oidc else { throw WebUI.oidcOff }
        let body = try await request.decode(as: OIDCTokenExchangeBody.self, context: context)
        let issued = try await oidc.exchange(body, context: context.auditContext(nil))
        return try JSONResponse.make(IssuedTokenBody(token: issued.token, info: issued.info), status: .created)
    }
}
