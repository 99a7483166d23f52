import ArtifactControlPlane
import ArtifactIdentity
import ArtifactOCI
import ArtifactStoreAPI
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The OCI distribution API (`/v2`, distribution-spec v1.1) over the same control and data
/// plane as `/v1` (docs/oci.md).
///
/// Exists to translate OCI requests into ``OCIRegistry`` calls and back. Repository names
/// contain `/`, so every method is routed on `/v2/**` and the path is parsed by ``OCIRoute``.
/// Authorisation uses the same tokens (Bearer, or Basic with the token as password): pull needs
/// `read` on the namespace, push and delete `write`. Every failure is answered here with the
/// spec's error body (``OCIErrorResponse``), never by the `/v1` error middleware.
struct OCIDistributionAPI: Sendable {
    let controlPlane: ControlPlane
    let metrics: ServerMetrics
    /// Where single-component names go and who may create a namespace by pushing (docs/oci.md).
    var naming = OCINamingPolicy()
    /// Pull-through state shared by this router's requests (proxy namespaces).
    let proxyPuller = OCIProxyPuller()
    /// One large manifest PUT's body in memory at a time (``OCIManifestAdmission``).
    let largeManifests = OCIManifestAdmission()
    /// The fields of stored blobs' answers, kept per blob (``BlobAnswerFields``).
    let blobAnswerFields = BlobAnswerFields<OCIBlobDigest, BlobFields>()
    var oci: OCIRegistry { OCIRegistry(controlPlane: controlPlane) }

    /// Answers every `/v2` request (``APIRouter`` routes them all here).
    func handle(_ request: Request, _ context: ServerRequestContext) async -> Response {
        var uploadID: String?
        var parsed: OCIRoute?
        do {
            guard let route = try OCIRoute.parse(path: request.uri.path, defaultNamespace: naming.defaultNamespace) else {
                throw OCIError(.nameUnknown, "no distribution API endpoint at \(NameGrammar.printable(request.uri.path))", status: 404)
            }
            parsed = route
            if case .upload(_, let id) = route { uploadID = id }
            var response = try await dispatch(route, request, context)
            response.headers[OCIHeader.apiVersion] = "registry/2.0"
            return response
        } catch {
            let refusal = OCIError(mapping: error)
            if refusal.status >= 500 {
                context.logger.error("OCI request failed", metadata: ["error": "\(error)", "request_id": "\(context.requestID)"])
            } else {
                context.logger.debug("OCI request refused", metadata: ["error": "\(error)"])
            }
            var response = OCIErrorResponse.response(
                for: refusal,
                method: request.method,
                uploadID: uploadID,
                requestID: context.requestID,
                challenge: challenge(for: parsed, request)
            )
            if refusal.status == 403, let credential = context.credential, RegistryTokens.looksLikeJWT(credential),
                controlPlane.configuration.registryTokens != nil
            {
                // A JWT without the scope: the challenge names the scope to ask for (oras-py and
                // others fetch a new token on it).
                response.headers[.wwwAuthenticate] = challenge(for: parsed, request) + #",error="insufficient_scope""#
            }
            return response
        }
    }

    func dispatch(_ route: OCIRoute, _ request: Request, _ context: ServerRequestContext) async throws -> Response {
        let method = request.method
        switch (route, method) {
        case (.uploads(let repository), .post), (.manifest(let repository, _), .put), (.manifest(let repository, _), .delete):
            try await refuseWriteToProxy(repository, context)
        default:
            break
        }
        switch (route, method) {
        case (.base, .get), (.base, .head):
            _ = try await controlPlane.auth.authenticate(token: context.credential, user: context.basicUser, context: anonymous(context))
            return Self.json([String: String](), head: method == .head)
        case (.catalog, .get):
            return try await catalog(request, context)
        case (.token, .get):
            return try await issueToken(request, context)
        case (.tags(let repository), .get):
            return try await tags(repository, request, context)
        case (.manifest(let repository, let reference), .get), (.manifest(let repository, let reference), .head):
            return try await getManifest(repository, reference: reference, request, context, head: method == .head)
        case (.manifest(let repository, let reference), .put):
            return try await putManifest(repository, reference: reference, request, context)
        case (.manifest(let repository, let reference), .delete):
            return try await deleteManifest(repository, reference: reference, request, context)
        case (.referrers(let repository, let digest), .get):
            return try await referrers(repository, digest: digest, request, context)
        case (.blob(let repository, let digest), .get), (.blob(let repository, let digest), .head):
            return try await getBlob(repository, digest: digest, request, context, head: method == .head)
        case (.blob(let repository, _), .delete):
            _ = try await authorize(.write, repository, context)
            throw OCIError(.unsupported, "blobs are deleted by garbage collection once no manifest references them", status: 405)
        case (.uploads(let repository), .post):
            return try await startUpload(repository, request, context)
        case (.upload(let repository, let id), .get):
            return try await uploadStatus(repository, id: id, request, context)
        case (.upload(let repository, let id), .patch):
            return try await patchUpload(repository, id: id, request, context)
        case (.upload(let repository, let id), .put):
            return try await finishUpload(repository, id: id, request, context)
        case (.upload(let repository, let id), .delete):
            return try await cancelUpload(repository, id: id, request, context)
        default:
            throw OCIError(.unsupported, "\(method.rawValue) is not supported on this endpoint", status: 405)
        }
    }

    // MARK: Authorisation

    func anonymous(_ context: ServerRequestContext) -> ArtifactControlPlane.RequestContext {
        ArtifactControlPlane.RequestContext(actor: "anonymous", requestID: context.requestID, clientAddress: context.clientAddress)
    }

    /// The caller, if it holds `scope` on `repository`'s namespace (401/403 otherwise, audited).
    func authorize(_ scope: Scope, _ repository: OCIRepositoryName, _ context: ServerRequestContext) async throws -> Principal {
        try await controlPlane.auth.require(
            token: context.credential,
            user: context.basicUser,
            scope: scope,
            namespace: repository.namespace,
            repository: repository.name,
            context: anonymous(context)
        )
    }

    /// Before a push: the caller holds `write` on `repository`'s namespace, and the namespace
    /// exists (created here when ``naming`` lets the caller; `NAME_UNKNOWN` otherwise).
    func authorizePush(_ repository: OCIRepositoryName, _ context: ServerRequestContext) async throws -> Principal {
        let principal = try await authorize(.write, repository, context)
        try await oci.preparePush(repository, principal: principal, policy: naming, context: context.auditContext(principal))
        return principal
    }

    // MARK: Listings

    /// `_catalog`: the repositories of the namespaces the caller may read, `n`/`last` paged.
    func catalog(_ request: Request, _ context: ServerRequestContext) async throws -> Response {
        let principal = try await controlPlane.auth.authenticate(
            token: context.credential,
            user: context.basicUser,
            context: anonymous(context)
        )
        let readable: [String]? =
            principal.grants.contains { $0.namespace == nil && $0.allows(.read, in: nil) }
            ? nil
            : Array(Set(principal.grants.compactMap { grant in grant.namespace.flatMap { grant.allows(.read, in: $0) ? $0 : nil } }))
                .sorted()
        let limit = try Self.pageSize(request)
        let last = request.query("last")
        let page = try await oci.catalog(limit: limit, last: last, namespaces: readable)
        var response = Self.json(["repositories": page.repositories], head: false)
        if page.more, let next = page.repositories.last {
            response.headers[OCIHeader.link] = "</v2/_catalog?n=\(limit)&last=\(next)>; rel=\"next\""
        }
        return response
    }

    /// `tags/list`, `n`/`last` paged with a `Link` to the next page.
    func tags(_ repository: OCIRepositoryName, _ request: Request, _ context: ServerRequestContext) async throws -> Response {
        _ = try await authorize(.read, repository, context)
        let limit = try Self.pageSize(request)
        let page = try await oci.tags(repository, limit: limit, last: request.query("last"))
        var response = Self.json(["name": "\(repository)", "tags": page.tags] as [String: Any], head: false)
        if page.more, let next = page.tags.last {
            response.headers[OCIHeader.link] = "</v2/\(repository)/tags/list?n=\(limit)&last=\(next)>; rel=\"next\""
        }
        return response
    }

    /// Most entries one listing page holds, and the default when `n` is absent.
    static let maximumPageSize = 1000

    static func pageSize(_ request: Request) throws -> Int {
        guard let text = request.query("n") else { return maximumPageSize }
        guard let n = Int(text), n >= 0 else {
            throw OCIError(.paginationNumberInvalid, "n must be a non-negative number, not \"\(NameGrammar.printable(text))\"")
        }
        return min(n, maximumPageSize)
    }

    // MARK: Responses

    static func json(_ object: Any, head: Bool, contentType: String = "application/json") -> Response {
        let data =
            (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        let headers: HTTPFields = [.contentType: contentType, .contentLength: "\(data.count)"]
        if head { return Response(status: .ok, headers: headers) }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
