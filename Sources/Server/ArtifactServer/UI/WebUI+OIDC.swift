import ArtifactControlPlane
import ArtifactStoreAPI
import Foundation
import HTTPTypes
import Hummingbird
import Logging

// Sign-in at the OpenID provider with authorization code + PKCE (docs/identity.md).
extension WebUI {
    /// The cookie that carries a sign-in in progress from `/ui/oidc/start` to the callback:
    /// `state.nonce.verifier`, 43 random base64url characters each. `SameSite=Lax`, because the
    /// provider sends the browser back with a cross-site navigation (a `Strict` cookie would not
    /// come along); `HttpOnly`, path `/ui/oidc`, ten minutes. The callback removes it.
    static let pendingCookie = "artifactstore_oidc"

    var oidcEndpoints: [APIRouter.Endpoint] {
        [
            .init(template: "/ui/oidc", method: .get) { try await self.guarded($0, $1, self.oidcInfo) },
            .init(template: "/ui/oidc/start", method: .get) { try await self.guarded($0, $1, self.oidcStart) },
            .init(template: "/ui/oidc/callback", method: .get) { try await self.oidcCallback($0, $1) },
        ]
    }

    /// `{"providerName": …}` when provider sign-in is offered (the sign-in page shows its button), else 404.
    func oidcInfo(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        guard let oidc, oidc.settings.redirectURI != nil else { throw Self.oidcOff }
        return try JSONResponse.make(["providerName": oidc.settings.providerName])
    }

    /// Sends the browser to the provider with a fresh state, nonce and S256 challenge.
    func oidcStart(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        guard let oidc, let redirectURI = oidc.settings.redirectURI else { throw Self.oidcOff }
        let endpoints = try await oidc.provider.endpoints()
        let (state, nonce, verifier) = (OIDCSecrets.random(), OIDCSecrets.random(), OIDCSecrets.random())
        let query = OIDCHTTP.encode([
            ("response_type", "code"), ("client_id", oidc.settings.clientID), ("redirect_uri", redirectURI),
            ("scope", oidc.settings.scopes.joined(separator: " ")), ("state", state), ("nonce", nonce),
            ("code_challenge", OIDCSecrets.challenge(for: verifier)), ("code_challenge_method", "S256"),
        ])
        let separator = endpoints.authorization.contains("?") ? "&" : "?"
        var response = Response(status: .found, headers: [.location: endpoints.authorization + separator + query, .contentLength: "0"])
        response.headers[.setCookie] = Self.pending("\(state).\(nonce).\(verifier)", maxAge: 600, request: request)
        return response
    }

    /// The provider's redirect: checks `state` against the cookie, redeems the code with the
    /// verifier, verifies the ID token (nonce included), mints the identity's token and opens the
    /// same server-side session a token sign-in opens. Answers a page that moves on to `/ui/`
    /// (a same-site navigation, so the `Strict` session cookie is sent) or an error page.
    func oidcCallback(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        var response: Response
        do {
            response = try await completeSignIn(request, context)
        } catch {
            let (status, message) = Self.describe(error)
            if status.code >= 500 {
                context.logger.error("OpenID sign-in failed", metadata: ["error": "\(message)", "request_id": "\(context.requestID)"])
            }
            response = WebUIHeaders.html(WebUIAssets.messagePage(title: "Sign-in failed", message: message), status: status)
        }
        response.headers[values: .setCookie].append(Self.pending("", maxAge: 0, request: request))
        WebUIHeaders.apply(to: &response.headers)
        return response
    }

    private func completeSignIn(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        guard let oidc, let redirectURI = oidc.settings.redirectURI else { throw Self.oidcOff }
        let audit = context.auditContext(nil)
        let query = request.uri.queryParameters
        let pending = request.headers[.cookie].flatMap { WebUICookie.value(named: Self.pendingCookie, fromCookieHeader: $0) }
        let parts = pending?.split(separator: ".", omittingEmptySubsequences: false) ?? []
        guard parts.count == 3, parts.allSatisfy(OIDCSecrets.isWellFormed), let state = query["state"],
            OIDCSecrets.equal(String(state), String(parts[0]))
        else {
            try await controlPlane.auth.auditIdentityRefusal(
                "anonymous",
                reason: "OpenID callback without this browser's sign-in state",
                context: audit
            )
            throw ControlPlaneError(
                .unauthenticated,
                "this sign-in was not started in this browser, or took over ten minutes; sign in again"
            )
        }
        if let error = query["error"] {
            let reason = "the provider refused the sign-in (\(NameGrammar.printable(String(error.prefix(64)))))"
            try await controlPlane.auth.auditIdentityRefusal("anonymous", reason: reason, context: audit)
            throw ControlPlaneError(.unauthenticated, reason)
        }
        guard let code = query["code"], !code.isEmpty, code.utf8.count <= 2048 else {
            throw ControlPlaneError(.unauthenticated, "the provider sent no authorization code")
        }
        let issued: IssuedToken
        var idToken: String?
        do {
            let tokens = try await oidc.provider.redeem(code: String(code), verifier: String(parts[2]), redirectURI: redirectURI)
            idToken = tokens["id_token"] as? String
            guard let idToken, idToken.utf8.count <= OIDCSignIn.maximumTokenBytes else {
                throw ControlPlaneError(.unauthenticated, "the provider's answer holds no ID token; is \"openid\" in oidcScopes?")
            }
            let claims = try await oidc.provider.verify(idToken: idToken, nonce: String(parts[1]))
            issued = try await oidc.issue(claims: claims, context: audit)
        } catch let error as ControlPlaneError where error.kind == .unauthenticated {
            try await controlPlane.auth.auditIdentityRefusal(OIDCSignIn.claimed(idToken), reason: error.message, context: audit)
            throw error
        }
        let opened = try await sessions.signIn(token: issued.token, context: audit)
        var response = WebUIHeaders.html(WebUIAssets.continuePage)
        let maxAge = Int64(opened.expiresAt.timeIntervalSince(controlPlane.clock()).rounded(.down))
        response.headers[.setCookie] = WebUICookie.opening(opened.id, maxAge: maxAge, secure: WebUICookie.cameOverTLS(request))
        return response
    }

    static func pending(_ value: String, maxAge: Int, request: Request) -> String {
        let secure = WebUICookie.cameOverTLS(request) ? "; Secure" : ""
        return "\(pendingCookie)=\(value); Path=/ui/oidc; Max-Age=\(maxAge); HttpOnly; SameSite=Lax\(secure)"
    }

    static let oidcOff = HTTPAPIError(
        .notFound,
        "sign-in with an OpenID provider is not configured on this server (oidcIssuer, oidcRedirectBase)"
    )

    /// The status and the message a person reads for a failed sign-in.
    static func describe(_ error: any Error) -> (HTTPResponse.Status, String) {
        switch error {
        case let error as ControlPlaneError:
            (HTTPResponse.Status(code: error.kind.httpStatus ?? 500), error.message)
        case let error as HTTPAPIError:
            (.notFound, error.message)
        default:
            (.internalServerError, "the server failed; see its log")
        }
    }
}
