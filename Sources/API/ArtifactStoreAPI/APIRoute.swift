/// The HTTP methods the API's routes use, spelled as on the wire.
public enum APIMethod: String, Sendable, Hashable, CaseIterable {
    case get = "GET"
    case head = "HEAD"
    case put = "PUT"
    case post = "POST"
    case delete = "DELETE"
}

/// Who may call a route.
public enum RouteAccess: Sendable, Hashable {
    /// No credential needed (operations endpoints).
    case open
    /// Any valid token (whoami, the namespace list, which is filtered by the token's grants).
    case anyToken
    /// `scope` in the namespace named by the `{ns}` path parameter.
    case namespace(Scope)
    /// `scope` on the whole store.
    case global(Scope)
}

/// One route of the API: method, path template, who may call it.
///
/// Exists as the single table of the contract: the server's router binds a handler to each route
/// (a route added here without a handler does not compile, since ``APIRouteID`` is switched over
/// exhaustively), the auth-matrix test iterates over it, and the contract test compares it with
/// `openapi.yaml` in both directions.
public struct APIRoute: Sendable, Hashable {
    public var id: APIRouteID
    public var method: APIMethod
    /// `:name` captures one segment, `**` the rest (a file path): the syntax of Hummingbird's router,
    /// which the server's `RouteTemplate` matches by.
    public var path: String
    public var access: RouteAccess

    /// The path as OpenAPI writes it: `{name}` for captures, `{path}` for the rest.
    public var openAPIPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            if segment == "**" { return "{path}" }
            if segment.hasPrefix(":") { return "{\(segment.dropFirst())}" }
            return String(segment)
        }.joined(separator: "/")
    }
}

/// Every route's name, so handlers are chosen by an exhaustive switch.
public enum APIRouteID: String, Sendable, Hashable, CaseIterable {
    case healthz, readyz, metrics, openAPI
    case listNamespaces, createNamespace, getNamespace, updateNamespace, namespaceUsage
    case uploadBlob, headBlob, getBlob, verifyBlob
    case listArtifacts, listVersions, commitVersion, getVersion, deleteVersion, listFiles, getFile, headFile, verifyVersion
    case listTags, getTag, setTag, deleteTag
    case placeHold, releaseHold, listHolds
    case listPolicies, setPolicy, deletePolicy, evaluateRetention
    case collectGarbage, scrub, exportAudit, verifyAudit, listMaintenanceRuns
    case createToken, listTokens, revokeToken, whoami
    case oidcConfiguration, oidcToken
    case createWebhook, listWebhooks, deleteWebhook, listWebhookDeliveries
    case listProxies, setProxy, deleteProxy
    case listReplications, createReplication, getReplication, deleteReplication
}

extension APIRoute {
    static let namespacePath = "/v1/namespaces/:ns"
    static let versionPath = "/v1/namespaces/:ns/artifacts/:artifact/versions/:version"

    /// The whole API, in the order docs/api.md lists it.
    public static let all: [APIRoute] = [
        APIRoute(id: .healthz, method: .get, path: "/healthz", access: .open),
        APIRoute(id: .readyz, method: .get, path: "/readyz", access: .open),
        APIRoute(id: .metrics, method: .get, path: "/metrics", access: .open),
        APIRoute(id: .openAPI, method: .get, path: "/v1/openapi.yaml", access: .open),

        APIRoute(id: .listNamespaces, method: .get, path: "/v1/namespaces", access: .anyToken),
        APIRoute(id: .createNamespace, method: .post, path: "/v1/namespaces", access: .global(.admin)),
        APIRoute(id: .getNamespace, method: .get, path: namespacePath, access: .namespace(.read)),
        APIRoute(id: .updateNamespace, method: .put, path: "\(namespacePath)/settings", access: .namespace(.admin)),
        APIRoute(id: .namespaceUsage, method: .get, path: "\(namespacePath)/usage", access: .namespace(.read)),

        APIRoute(id: .uploadBlob, method: .post, path: "\(namespacePath)/blobs", access: .namespace(.write)),
        APIRoute(id: .headBlob, method: .head, path: "\(namespacePath)/blobs/:digest", access: .namespace(.read)),
        APIRoute(id: .getBlob, method: .get, path: "\(namespacePath)/blobs/:digest", access: .namespace(.read)),
        APIRoute(id: .verifyBlob, method: .post, path: "\(namespacePath)/blobs/:digest/verify", access: .namespace(.write)),

        APIRoute(id: .listArtifacts, method: .get, path: "\(namespacePath)/artifacts", access: .namespace(.read)),
        APIRoute(id: .listVersions, method: .get, path: "\(namespacePath)/artifacts/:artifact/versions", access: .namespace(.read)),
        APIRoute(id: .commitVersion, method: .put, path: versionPath, access: .namespace(.write)),
        APIRoute(id: .getVersion, method: .get, path: versionPath, access: .namespace(.read)),
        APIRoute(id: .deleteVersion, method: .delete, path: versionPath, access: .namespace(.write)),
        APIRoute(id: .listFiles, method: .get, path: "\(versionPath)/files", access: .namespace(.read)),
        APIRoute(id: .getFile, method: .get, path: "\(versionPath)/files/**", access: .namespace(.read)),
        APIRoute(id: .headFile, method: .head, path: "\(versionPath)/files/**", access: .namespace(.read)),
        APIRoute(id: .verifyVersion, method: .post, path: "\(versionPath)/verify", access: .namespace(.write)),

        APIRoute(id: .listTags, method: .get, path: "\(namespacePath)/artifacts/:artifact/tags", access: .namespace(.read)),
        APIRoute(id: .getTag, method: .get, path: "\(namespacePath)/artifacts/:artifact/tags/:tag", access: .namespace(.read)),
        APIRoute(id: .setTag, method: .put, path: "\(namespacePath)/artifacts/:artifact/tags/:tag", access: .namespace(.write)),
        APIRoute(id: .deleteTag, method: .delete, path: "\(namespacePath)/artifacts/:artifact/tags/:tag", access: .namespace(.write)),

        APIRoute(id: .placeHold, method: .put, path: "\(versionPath)/hold", access: .namespace(.admin)),
        APIRoute(id: .releaseHold, method: .delete, path: "\(versionPath)/hold", access: .namespace(.admin)),
        APIRoute(id: .listHolds, method: .get, path: "\(namespacePath)/holds", access: .namespace(.read)),

        APIRoute(id: .listPolicies, method: .get, path: "\(namespacePath)/retention-policies", access: .namespace(.read)),
        APIRoute(id: .setPolicy, method: .put, path: "\(namespacePath)/retention-policies/:name", access: .namespace(.admin)),
        APIRoute(id: .deletePolicy, method: .delete, path: "\(namespacePath)/retention-policies/:name", access: .namespace(.admin)),
        APIRoute(id: .evaluateRetention, method: .post, path: "\(namespacePath)/retention/evaluate", access: .namespace(.admin)),

        APIRoute(id: .collectGarbage, method: .post, path: "/v1/gc", access: .global(.admin)),
        APIRoute(id: .scrub, method: .post, path: "/v1/scrub", access: .global(.admin)),
        APIRoute(id: .listMaintenanceRuns, method: .get, path: "/v1/maintenance/runs", access: .global(.admin)),
        APIRoute(id: .exportAudit, method: .get, path: "/v1/audit", access: .global(.admin)),
        APIRoute(id: .verifyAudit, method: .get, path: "/v1/audit/verify", access: .global(.admin)),
        APIRoute(id: .createToken, method: .post, path: "/v1/tokens", access: .global(.admin)),
        APIRoute(id: .listTokens, method: .get, path: "/v1/tokens", access: .global(.admin)),
        APIRoute(id: .revokeToken, method: .delete, path: "/v1/tokens/:id", access: .global(.admin)),
        APIRoute(id: .whoami, method: .get, path: "/v1/whoami", access: .anyToken),
        // OpenID sign-in (docs/identity.md): what a client needs for the device grant, and the
        // exchange of the provider's proof of identity for a store token (the proof is the credential).
        APIRoute(id: .oidcConfiguration, method: .get, path: "/v1/auth/oidc", access: .open),
        APIRoute(id: .oidcToken, method: .post, path: "/v1/auth/oidc/token", access: .open),

        APIRoute(id: .createWebhook, method: .post, path: "\(namespacePath)/webhooks", access: .namespace(.admin)),
        APIRoute(id: .listWebhooks, method: .get, path: "\(namespacePath)/webhooks", access: .namespace(.admin)),
        APIRoute(id: .deleteWebhook, method: .delete, path: "\(namespacePath)/webhooks/:id", access: .namespace(.admin)),
        APIRoute(
            id: .listWebhookDeliveries,
            method: .get,
            path: "\(namespacePath)/webhooks/:id/deliveries",
            access: .namespace(.admin)
        ),
        APIRoute(id: .listProxies, method: .get, path: "/v1/proxies", access: .global(.admin)),
        APIRoute(id: .setProxy, method: .put, path: "/v1/proxies/:ns", access: .global(.admin)),
        APIRoute(id: .deleteProxy, method: .delete, path: "/v1/proxies/:ns", access: .global(.admin)),
        APIRoute(id: .listReplications, method: .get, path: "/v1/replications", access: .global(.admin)),
        APIRoute(id: .createReplication, method: .post, path: "/v1/replications", access: .global(.admin)),
        APIRoute(id: .getReplication, method: .get, path: "/v1/replications/:name", access: .global(.admin)),
        APIRoute(id: .deleteReplication, method: .delete, path: "/v1/replications/:name", access: .global(.admin)),
    ]
}
