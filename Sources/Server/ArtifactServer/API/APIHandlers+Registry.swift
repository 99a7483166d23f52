import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactIdentity
import ArtifactStoreAPI
import Hummingbird

// Namespaces, versions, files, tags.
extension APIHandlers {
    func listNamespaces(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let page = try await controlPlane.registry.listNamespaces(page: try request.pageRequest())
        // Only the namespaces the token can read; the cursor still walks the whole list.
        let readable = page.items.filter { namespace in principal?.grants.contains { $0.allows(.read, in: namespace.name) } ?? false }
        return try JSONResponse.make(PageBody(items: readable, nextCursor: page.nextCursor))
    }

    func createNamespace(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let body = try await request.decode(as: CreateNamespaceBody.self, context: context)
        let namespace = try await controlPlane.registry.createNamespace(
            body.name,
            immutableTags: body.immutableTags ?? false,
            publicRead: body.publicRead ?? false,
            context: context.auditContext(principal)
        )
        return try JSONResponse.make(namespace, status: .created)
    }

    /// `PUT /v1/namespaces/{ns}/settings`: changes the settings the body names (`publicRead`,
    /// `downloadRedirects`), each audited; answers the namespace as it now is.
    func updateNamespace(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let name = try PathParameter.name(context, "ns")
        let body = try await request.decode(as: UpdateNamespaceBody.self, context: context)
        let registry = controlPlane.registry
        var namespace = try await registry.namespace(name)
        if let publicRead = body.publicRead {
            namespace = try await registry.setPublicRead(name, publicRead, context: context.auditContext(principal))
        }
        if let downloadRedirects = body.downloadRedirects {
            namespace = try await registry.setDownloadRedirects(name, downloadRedirects, context: context.auditContext(principal))
        }
        switch body.quota {
        case .bytes(let bytes): namespace = try await registry.setQuota(name, bytes, context: context.auditContext(principal))
        case .unlimited: namespace = try await registry.setQuota(name, nil, context: context.auditContext(principal))
        case nil: break
        }
        return try JSONResponse.make(namespace)
    }

    func getNamespace(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        try JSONResponse.make(try await controlPlane.registry.namespace(try PathParameter.name(context, "ns")))
    }

    func namespaceUsage(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        try JSONResponse.make(try await controlPlane.registry.usage(namespace: try PathParameter.name(context, "ns")))
    }

    func listArtifacts(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let page = try await controlPlane.registry.listArtifacts(
            namespace: try PathParameter.name(context, "ns"),
            page: try request.pageRequest(),
            prefix: request.query("prefix")
        )
        return try JSONResponse.make(PageBody(page))
    }

    func listVersions(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let page = try await controlPlane.registry.listVersions(
            namespace: try PathParameter.name(context, "ns"),
            artifact: try PathParameter.artifact(context),
            page: try request.pageRequest()
        )
        return try JSONResponse.make(PageBody(page))
    }

    func commitVersion(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let (namespace, artifact, version) = try Self.versionParameters(context)
        let body = try await request.decode(as: CommitVersionBody.self, context: context)
        let manifest = VersionManifest(
            namespace: namespace,
            artifact: artifact,
            version: version,
            files: body.files.map { FileEntry(path: $0.path, address: $0.address, mediaType: $0.mediaType ?? "application/octet-stream") },
            labels: body.labels ?? [:]
        )
        let committed = try await controlPlane.registry.commitVersion(manifest, context: context.auditContext(principal))
        return try JSONResponse.make(committed, status: .created)
    }

    func getVersion(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let (namespace, artifact, version) = try Self.versionParameters(context)
        return try JSONResponse.make(try await controlPlane.registry.version(namespace: namespace, artifact: artifact, version: version))
    }

    func deleteVersion(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let (namespace, artifact, version) = try Self.versionParameters(context)
        try await controlPlane.registry.deleteVersion(
            namespace: namespace,
            artifact: artifact,
            version: version,
            context: context.auditContext(principal)
        )
        return JSONResponse.noContent()
    }

    func listFiles(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let (namespace, artifact, version) = try Self.versionParameters(context)
        let page = try await controlPlane.registry.listFiles(
            namespace: namespace,
            artifact: artifact,
            version: version,
            page: try request.pageRequest()
        )
        return try JSONResponse.make(PageBody(page))
    }

    func verifyVersion(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let (namespace, artifact, version) = try Self.versionParameters(context)
        var files: [VersionVerifyBody.File] = []
        var page = PageRequest(limit: PageRequest.maximumLimit)
        while true {
            let listed = try await controlPlane.registry.listFiles(namespace: namespace, artifact: artifact, version: version, page: page)
            for file in listed.items {
                let result = try await controlPlane.registry.verifyBlob(namespace: namespace, address: file.address)
                files.append(.init(path: file.path, address: file.address, verified: result.verified, mismatch: result.mismatch))
            }
            guard let next = listed.nextCursor else { break }
            page.cursor = next
        }
        return try JSONResponse.make(VersionVerifyBody(verified: files.allSatisfy(\.verified), files: files))
    }

    func listTags(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let page = try await controlPlane.registry.listTags(
            namespace: try PathParameter.name(context, "ns"),
            artifact: try PathParameter.artifact(context),
            page: try request.pageRequest()
        )
        return try JSONResponse.make(PageBody(page))
    }

    func getTag(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let tag = try await controlPlane.registry.tag(
            namespace: try PathParameter.name(context, "ns"),
            artifact: try PathParameter.artifact(context),
            tag: try PathParameter.name(context, "tag")
        )
        return try JSONResponse.make(tag)
    }

    func setTag(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        let namespace = try PathParameter.name(context, "ns")
        let artifact = try PathParameter.artifact(context)
        let tag = try PathParameter.name(context, "tag")
        let body = try await request.decode(as: SetTagBody.self, context: context)
        let set = try await controlPlane.registry.setTag(
            namespace: namespace,
            artifact: artifact,
            tag: tag,
            version: body.version,
            context: context.auditContext(principal)
        )
        return try JSONResponse.make(set)
    }

    func deleteTag(_ request: Request, _ context: ServerRequestContext, _ principal: Principal?) async throws -> Response {
        try await controlPlane.registry.deleteTag(
            namespace: try PathParameter.name(context, "ns"),
            artifact: try PathParameter.artifact(context),
            tag: try PathParameter.name(context, "tag"),
            context: context.auditContext(principal)
        )
        return JSONResponse.noContent()
    }

    /// `{ns}`, `{artifact}`, `{version}`, decoded.
    static func versionParameters(_ context: ServerRequestContext) throws -> (String, String, String) {
        (try PathParameter.name(context, "ns"), try PathParameter.artifact(context), try PathParameter.name(context, "version"))
    }
}
