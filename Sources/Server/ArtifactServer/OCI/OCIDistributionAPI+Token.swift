import ArtifactControlPlane
import ArtifactOCI
import ArtifactStoreAPI
import Foundation
import HTTPTypes
import Hummingbird

// The registry token flow (docs/oci.md, "Token authentication"): the token endpoint and the
// Bearer challenge that sends clients to it.
extension OCIDistributionAPI {
    /// `GET /v2/token?service=…&scope=…`: a JWT for the caller's identity, granting the part of
    /// the requested scopes it may have (possibly nothing, as the spec answers).
    ///
    /// The caller proves its identity as on every route (Basic with a store token as the
    /// password, or Bearer); without credentials it gets pull on the public namespaces it asked
    /// for. A refused identity is 401 (audited by the control plane); a malformed scope or
    /// another service 400. The answer carries the JWT twice (`token`, `access_token`), as
    /// clients read either.
    func issueToken(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        guard controlPlane.configuration.registryTokens != nil else {
            throw OCIError(.unsupported, "registry token authentication is not enabled on this server; use Basic credentials", status: 404)
        }
        let scopes = request.uri.queryParameters.getAll("scope").map { String($0) }
        let requested = try RegistryAccess.parse(scopes: scopes)
        let principal: Principal
        if context.credential?.isEmpty ?? true {
            principal = try await publicPrincipal(for: requested)
        } else {
            principal = try await controlPlane.auth.authenticate(
                token: context.credential,
                user: context.basicUser,
                context: anonymous(context)
            )
        }
        let issued = try await controlPlane.registryTokens.issue(for: principal, service: request.query("service"), requested: requested)
        let body: [String: Any] = [
            "token": issued.token, "access_token": issued.token, "expires_in": issued.expiresIn,
            "issued_at": ISO8601DateFormatter().string(from: issued.issuedAt),
        ]
        var response = Self.json(body, head: false)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// The principal of a token request without credentials: read on each requested
    /// repository's namespace that is public.
    func publicPrincipal(for requested: RegistryAccess) async throws -> Principal {
        var readable: [String] = []
        for entry in requested.entries where entry.type == "repository" {
            let namespace = try RegistryAccess.namespace(ofRepository: entry.name)
            if !readable.contains(namespace), try await controlPlane.auth.isPublic(namespace) { readable.append(namespace) }
        }
        return Principal.anonymous(reading: readable)
    }

    /// The `WWW-Authenticate` of a 401: the Basic challenge, or with token authentication on,
    /// `Bearer realm=…,service=…` and, on a repository's route, the scope that route needs.
    func challenge(for route: OCIRoute?, _ request: Request) -> String {
        guard let settings = controlPlane.configuration.registryTokens else { return OCIErrorResponse.challenge }
        let realm = settings.realm ?? "http://\(Self.safeAuthority(request.head.authority))/v2/token"
        var value = #"Bearer realm="\#(realm)",service="\#(settings.service)""#
        if let (repository, actions) = Self.scope(of: route, request.method) {
            value += #",scope="repository:\#(repository):\#(actions)""#
        }
        return value
    }

    /// The request's `Host` if it is a plain host[:port] (it ends up in a header), else `localhost`.
    static func safeAuthority(_ authority: String?) -> String {
        guard let authority, !authority.isEmpty, authority.utf8.count <= 255,
            authority.utf8.allSatisfy({ byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || Array(".-:[]".utf8).contains(byte)
            })
        else { return "localhost" }
        return authority
    }

    /// The repository and actions a route needs: pull to read, pull and push to write.
    static func scope(of route: OCIRoute?, _ method: HTTPRequest.Method) -> (String, String)? {
        let repository: OCIRepositoryName
        switch route {
        case .tags(let name), .manifest(let name, _), .referrers(let name, _), .blob(let name, _), .uploads(let name), .upload(let name, _):
            repository = name
        case .base, .catalog, .token, nil:
            return nil
        }
        let reads = method == .get || method == .head
        if case .upload = route { return ("\(repository)", "pull,push") }
        if case .uploads = route { return ("\(repository)", "pull,push") }
        if method == .delete { return ("\(repository)", "delete") }
        return ("\(repository)", reads ? "pull" : "pull,push")
    }
}
