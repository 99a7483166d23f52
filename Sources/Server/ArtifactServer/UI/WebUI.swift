import ArtifactControlPlane
import ArtifactStoreAPI
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The web UI (docs/ui.md): `/` redirects to `/ui/`, the pages are one HTML shell with a script
/// and a style sheet embedded in the binary (``WebUIAssets``), and `/ui/session` signs in and out.
///
/// Exists so people can browse, download, verify and administer the store in a browser with the
/// same API, tokens and scopes as every other client: the page's script calls `/v1` with the
/// session cookie, which ``APIHandlers`` accepts as the session's token (and, for a method that
/// changes state, only with the session's CSRF token). It promises:
/// - every answer under `/ui` carries ``WebUIHeaders`` (a CSP with no inline script and
///   `frame-ancestors 'none'`, `nosniff`, `Referrer-Policy: same-origin`, `no-store`);
/// - a page asked for without a live session redirects to the sign-in page (never a 500); an
///   unknown page gets the 404 page;
/// - the token is only ever sent in the sign-in request's JSON body, never put in a URL or
///   stored by the page.
struct WebUI: Sendable {
    let controlPlane: ControlPlane
    let sessions: WebSessions
    /// Sign-in at an OpenID provider (``oidcEndpoints``); `nil` when not configured.
    let oidc: OIDCSignIn?

    init(controlPlane: ControlPlane, sessionLifetime: Duration = WebSessions.defaultLifetime, oidc: OIDCSignIn? = nil) {
        self.controlPlane = controlPlane
        self.sessions = WebSessions(controlPlane: controlPlane, lifetime: sessionLifetime)
        self.oidc = oidc
    }

    /// The UI's routes, tried after the `/v1` ones (none of them overlap, and the API stays first).
    var endpoints: [APIRouter.Endpoint] {
        [
            .init(template: "/", method: .get) { _, _ in WebUIHeaders.redirect(to: "/ui/") },
            .init(template: "/ui/session", method: .get) { try await self.guarded($0, $1, self.currentSession) },
            .init(template: "/ui/session", method: .post) { try await self.guarded($0, $1, self.signIn) },
            .init(template: "/ui/session", method: .delete) { try await self.guarded($0, $1, self.signOut) },
            .init(template: "/ui/assets/:name", method: .get) { try await self.guarded($0, $1, self.asset) },
        ] + oidcEndpoints + [
            .init(template: "/ui", method: .get) { try await self.guarded($0, $1, self.page) },
            .init(template: "/ui/**", method: .get) { try await self.guarded($0, $1, self.page) },
        ]
    }

    /// Runs `handler` and puts the UI's headers on whatever it answers, errors included.
    func guarded(
        _ request: Request,
        _ context: ServerRequestContext,
        _ handler: (Request, ServerRequestContext) async throws -> Response
    ) async throws -> Response {
        var response: Response
        do {
            response = try await handler(request, context)
        } catch {
            response = ErrorResponse.response(for: error, method: request.method, requestID: context.requestID)
            if response.status.code >= 500 {
                context.logger.error("web UI request failed", metadata: ["error": "\(error)", "request_id": "\(context.requestID)"])
            }
        }
        WebUIHeaders.apply(to: &response.headers)
        return response
    }

    // MARK: Pages and assets

    /// The shell for a known page with a live session; the sign-in page; a redirect to it; or
    /// the 404 page.
    func page(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        let path = request.uri.path
        guard let page = WebUIPage(path: path) else { return WebUIHeaders.html(WebUIAssets.notFoundHTML, status: .notFound) }
        if page == .signIn { return WebUIHeaders.html(WebUIAssets.shellHTML) }
        guard try await liveSession(context) != nil else { return WebUIHeaders.redirect(to: "/ui/signin") }
        return WebUIHeaders.html(WebUIAssets.shellHTML)
    }

    func asset(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        switch context.parameters.get("name") {
        case "app.js": WebUIHeaders.text(WebUIAssets.script, contentType: "text/javascript; charset=utf-8")
        case "app.css": WebUIHeaders.text(WebUIAssets.style, contentType: "text/css; charset=utf-8")
        default: WebUIHeaders.html(WebUIAssets.notFoundHTML, status: .notFound)
        }
    }

    // MARK: Session

    /// The session's token and its grants, the CSRF token the page sends back, and the expiry;
    /// 401 when there is no live session.
    func currentSession(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        guard let (id, found) = try await liveSession(context) else {
            throw ControlPlaneError(.unauthenticated, "no web UI session; sign in with a token at /ui/signin")
        }
        let principal = try await controlPlane.auth.authenticate(tokenHash: found.tokenHash, context: context.auditContext(nil))
        return try JSONResponse.make(WebUISessionBody(principal, sessionID: id, expiresAt: found.expiresAt))
    }

    /// Signs in with `{"token": "ast_…"}` (JSON only, and from this origin when the browser
    /// says where it comes from), then sets the session cookie.
    func signIn(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/json") == true else {
            throw HTTPAPIError(
                .unsupportedMediaType,
                "sign-in takes a JSON body {\"token\": \"ast_…\"} with Content-Type application/json"
            )
        }
        try Self.requireSameOrigin(request)
        let body = try await request.decode(as: WebUISignInBody.self, context: context)
        let opened = try await sessions.signIn(token: body.token, context: context.auditContext(nil))
        var response = try JSONResponse.make(
            WebUISessionBody(opened.principal, sessionID: opened.id, expiresAt: opened.expiresAt),
            status: .created
        )
        let maxAge = Int64(opened.expiresAt.timeIntervalSince(controlPlane.clock()).rounded(.down))
        response.headers[.setCookie] = WebUICookie.opening(opened.id, maxAge: maxAge, secure: WebUICookie.cameOverTLS(request))
        return response
    }

    /// Signs out: the session row is deleted and the cookie removed. Needs the CSRF token.
    func signOut(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        if let id = context.sessionID {
            guard WebSessions.checkCSRF(request.headers[WebUICookie.csrfHeader], sessionID: id) else {
                if let found = try await sessions.find(id) {
                    try await sessions.auditCSRFRefusal(found, method: "DELETE", path: request.uri.path, context: context.auditContext(nil))
                }
                throw Self.csrfRefusal
            }
            try await sessions.signOut(id, context: context.auditContext(nil))
        }
        var response = JSONResponse.noContent()
        response.headers[.setCookie] = WebUICookie.ending(secure: WebUICookie.cameOverTLS(request))
        return response
    }

    /// The request's session id and its live session; `nil` without a cookie, or for an
    /// unknown, expired or malformed one, or when the session's token no longer works.
    func liveSession(_ context: ServerRequestContext) async throws -> (String, WebSessions.Found)? {
        guard let id = context.sessionID, let found = try await sessions.find(id) else { return nil }
        do {
            _ = try await controlPlane.auth.authenticate(tokenHash: found.tokenHash, context: context.auditContext(nil))
        } catch  where [.unauthenticated, .tokenExpired, .tokenRevoked].contains(error.kind) {
            return nil
        }
        return (id, found)
    }

    /// The refusal of a state-changing session request without its CSRF token.
    static let csrfRefusal = ControlPlaneError(
        .forbidden,
        "a request made with the web UI's session cookie that changes something must carry the session's X-CSRF-Token header"
    )

    /// Refuses a request whose `Origin` (when the browser sends one) is not this server.
    static func requireSameOrigin(_ request: Request) throws {
        guard let origin = request.headers[.origin] else { return }
        let host = request.head.authority ?? request.headers[HTTPField.Name("Host")!] ?? ""
        guard let url = URL(string: origin), let originHost = url.host(percentEncoded: false) else {
            throw ControlPlaneError(.forbidden, "sign-in from origin \"\(NameGrammar.printable(origin))\" is refused")
        }
        let originAuthority = url.port.map { "\(originHost):\($0)" } ?? originHost
        guard originAuthority.lowercased() == host.lowercased() else {
            throw ControlPlaneError(.forbidden, "sign-in from another site (\(NameGrammar.printable(origin))) is refused")
        }
    }
}

/// The body of `POST /ui/session`.
struct WebUISignInBody: Codable, Sendable {
    var token: String
}

/// What `GET /ui/session` and a sign-in answer: never the token itself.
struct WebUISessionBody: Codable, Sendable {
    var tokenID: String
    var name: String
    var grants: [Grant]
    var csrfToken: String
    var expiresAt: Date

    init(_ principal: Principal, sessionID: String, expiresAt: Date) {
        self.tokenID = principal.tokenID
        self.name = principal.name
        self.grants = principal.grants
        self.csrfToken = WebSessions.csrfToken(for: sessionID)
        self.expiresAt = expiresAt
    }
}
