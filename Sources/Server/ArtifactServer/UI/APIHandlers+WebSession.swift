import ArtifactControlPlane
import ArtifactStoreAPI
import Hummingbird

// The web UI's session cookie as a credential for /v1 (docs/ui.md, "Sessions and CSRF").
extension APIHandlers {
    /// Authorises a `/v1` request that carries the web UI's session cookie instead of a token:
    /// as the session's token, with the same scopes and the same audited refusals. A method that
    /// changes state (anything but GET and HEAD) must also carry the session's CSRF token in
    /// `X-CSRF-Token`, or it is refused with `forbidden` before anything runs. An unknown or
    /// expired session is no credential (401).
    func authorizeSession(
        _ sessionID: String,
        _ access: RouteAccess,
        request: Request,
        context: ServerRequestContext
    ) async throws -> Principal? {
        let anonymous = ArtifactControlPlane.RequestContext(
            actor: "anonymous",
            requestID: context.requestID,
            clientAddress: context.clientAddress
        )
        let sessions = WebSessions(controlPlane: controlPlane)
        let session = try await sessions.find(sessionID)
        if let session, request.method != .get, request.method != .head,
            !WebSessions.checkCSRF(request.headers[WebUICookie.csrfHeader], sessionID: sessionID)
        {
            try await sessions.auditCSRFRefusal(session, method: request.method.rawValue, path: request.uri.path, context: anonymous)
            throw WebUI.csrfRefusal
        }
        let auth = controlPlane.auth
        switch access {
        case .open:
            return nil
        case .anyToken:
            return try await auth.authenticate(tokenHash: session?.tokenHash, context: anonymous)
        case .namespace(let scope):
            let namespace = try PathParameter.name(context, "ns")
            return try await auth.require(tokenHash: session?.tokenHash, scope: scope, namespace: namespace, context: anonymous)
        case .global(let scope):
            return try await auth.require(tokenHash: session?.tokenHash, scope: scope, namespace: nil, context: anonymous)
        }
    }
}
