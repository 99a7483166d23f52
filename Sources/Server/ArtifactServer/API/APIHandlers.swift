public import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactIdentity
public import ArtifactOCI
import ArtifactStoreAPI
import HTTPTypes
import Hummingbird
import Logging

/// The handlers of the `/v1` HTTP API and the operations endpoints over one control plane.
///
/// Exists to turn HTTP requests into control-plane calls and back, and nothing more: routes and
/// bodies are the contract's (ArtifactStoreAPI); names, rules and audit live in the control
/// plane; bytes stream through it from and to the data plane without being buffered here. Every route comes from ``APIRoute/all``; each is
/// authorised (401 without a valid token, 403 without the scope, both audited by the control
/// plane) before its handler runs.
public struct APIHandlers: Sendable {
    public let controlPlane: ControlPlane
    public let metrics: ServerMetrics
    /// How `/v2` names map onto namespaces (``OCINamingPolicy``); `serve` sets it from its configuration.
    public var ociNaming = OCINamingPolicy()
    /// Sign-in at an OpenID provider (docs/identity.md); `serve` sets it when `oidcIssuer` is.
    public var oidc: OIDCSignIn?
    /// The fields of `/v1` blob answers, kept per blob (``BlobAnswerFields``).
    let blobAnswerFields = BlobAnswerFields<ContentAddress, BlobFields>()

    public init(controlPlane: ControlPlane, metrics: ServerMetrics) {
        self.controlPlane = controlPlane
        self.metrics = metrics
    }

    /// What a route does once the caller is allowed: the principal is `nil` for open routes.
    typealias Handler = @Sendable (Request, ServerRequestContext, Principal?) async throws -> Response

    /// A router with every route of ``APIRoute/all`` and the `/v2` API behind the middlewares.
    public func makeRouter() -> APIRouter {
        let endpoints =
            APIRoute.all.map { route in
                let handler = self.handler(for: route.id)
                return APIRouter.Endpoint(template: route.path, method: route.method.http) { request, context in
                    let principal = try await self.authorize(route.access, request: request, context: context)
                    return try await handler(request, context, principal)
                }
            } + WebUI(controlPlane: controlPlane, oidc: oidc).endpoints  // after /v1: the API's routes are tried first
        return APIRouter(
            endpoints: endpoints,
            oci: OCIDistributionAPI(controlPlane: controlPlane, metrics: metrics, naming: ociNaming),
            middlewares: ServerMiddlewares(metrics: metrics)
        )
    }

    /// Checks the caller against `access`; throws the control plane's refusal.
    func authorize(_ access: RouteAccess, request: Request, context: ServerRequestContext) async throws -> Principal? {
        let anonymous = ArtifactControlPlane.RequestContext(
            actor: "anonymous",
            requestID: context.requestID,
            clientAddress: context.clientAddress
        )
        let auth = controlPlane.auth
        if context.credential == nil, let sessionID = context.sessionID, access != .open {
            return try await authorizeSession(sessionID, access, request: request, context: context)
        }
        switch access {
        case .open:
            return nil
        case .anyToken:
            return try await auth.authenticate(token: context.credential, context: anonymous)
        case .namespace(let scope):
            let namespace = try PathParameter.name(context, "ns")
            return try await auth.require(token: context.credential, scope: scope, namespace: namespace, context: anonymous)
        case .global(let scope):
            return try await auth.require(token: context.credential, scope: scope, namespace: nil, context: anonymous)
        }
    }

    func handler(for id: APIRouteID) -> Handler {
        switch id {
        case .healthz: healthz
        case .readyz: readyz
        case .metrics: metricsExposition
        case .openAPI: openAPIDocument
        case .listNamespaces: listNamespaces
        case .createNamespace: createNamespace
        case .getNamespace: getNamespace
        case .updateNamespace: updateNamespace
        case .namespaceUsage: namespaceUsage
        case .uploadBlob: uploadBlob
        case .headBlob: { try await serveBlob($0, $1, $2, head: true) }
        case .getBlob: { try await serveBlob($0, $1, $2, head: false) }
        case .verifyBlob: verifyBlob
        case .listArtifacts: listArtifacts
        case .listVersions: listVersions
        case .commitVersion: commitVersion
        case .getVersion: getVersion
        case .deleteVersion: deleteVersion
        case .listFiles: listFiles
        case .getFile: { try await serveFile($0, $1, $2, head: false) }
        case .headFile: { try await serveFile($0, $1, $2, head: true) }
        case .verifyVersion: verifyVersion
        case .listTags: listTags
        case .getTag: getTag
        case .setTag: setTag
        case .deleteTag: deleteTag
        case .placeHold: placeHold
        case .releaseHold: releaseHold
        case .listHolds: listHolds
        case .listPolicies: listPolicies
        case .setPolicy: setPolicy
        case .deletePolicy: deletePolicy
        case .listProxies: listProxies
        case .setProxy: setProxy
        case .deleteProxy: deleteProxy
        case .listReplications: listReplications
        case .createReplication: createReplication
        case .getReplication: getReplication
        case .deleteReplication: deleteReplication
        case .evaluateRetention: evaluateRetention
        case .collectGarbage: collectGarbage
        case .scrub: scrub
        case .listMaintenanceRuns: listMaintenanceRuns
        case .exportAudit: exportAudit
        case .verifyAudit: verifyAudit
        case .createToken: createToken
        case .listTokens: listTokens
        case .revokeToken: revokeToken
        case .whoami: whoami
        case .oidcConfiguration: oidcConfiguration
        case .oidcToken: oidcToken
        case .createWebhook: createWebhook
        case .listWebhooks: listWebhooks
        case .deleteWebhook: deleteWebhook
        case .listWebhookDeliveries: listWebhookDeliveries
        }
    }
}
