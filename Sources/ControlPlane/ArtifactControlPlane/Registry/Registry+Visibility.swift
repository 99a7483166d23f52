public import ArtifactStoreAPI
import Foundation
import SQLKit

extension Registry {
    /// Makes `name` readable by anyone without a token (`true`) or by token holders only
    /// (`false`, every namespace's default).
    ///
    /// Exists for public namespaces (docs/api.md): open-source artifacts or base images pulled
    /// anonymously while pushes still need a token. The change is audited (`namespace.update`)
    /// and ends every process's cached copy of the namespace at once.
    ///
    /// - Throws: `invalidName`, `namespaceNotFound` (nothing changed).
    public func setPublicRead(_ name: String, _ publicRead: Bool, context: RequestContext) async throws(ControlPlaneError) -> Namespace {
        try await setFlag(
            name,
            \.publicRead,
            publicRead,
            column: "public_read",
            detail: publicRead ? "public read on" : "public read off",
            context: context
        )
    }

    /// Lets downloads of `name` be redirected to a backend's presigned URL when the backend
    /// offers one (`true`, the default), or serves every one through the server (`false`).
    ///
    /// Exists for namespaces whose clients cannot reach the object store, or whose reads must
    /// all show in this server's access log and metrics (docs/operations.md, "Presigned download
    /// redirects"). Audited (`namespace.update`); every process drops its cached copy at once.
    ///
    /// - Throws: `invalidName`, `namespaceNotFound` (nothing changed).
    public func setDownloadRedirects(_ name: String, _ allowed: Bool, context: RequestContext) async throws(ControlPlaneError) -> Namespace
    {
        try await setFlag(
            name,
            \.downloadRedirects,
            allowed,
            column: "download_redirects",
            detail: allowed ? "download redirects on" : "download redirects off",
            context: context
        )
    }

    /// Sets one boolean column of a namespace, audits it and invalidates the namespace's caches;
    /// changes nothing (and audits nothing) when it already has `value`.
    private func setFlag(
        _ name: String,
        _ flag: any WritableKeyPath<Namespace, Bool> & Sendable,
        _ value: Bool,
        column: StaticString,
        detail: String,
        context: RequestContext
    ) async throws(ControlPlaneError) -> Namespace {
        try NameGrammar.validateNamespace(name)
        let now = controlPlane.nowMilliseconds()
        let columnName = "\(column)"
        let updated = try await controlPlane.mutate("updating namespace \"\(name)\"") { db in
            var found = try await Self.requireNamespace(name, in: db)
            guard found[keyPath: flag] != value else { return found }
            try await db.raw("UPDATE namespaces SET \(unsafeRaw: columnName) = \(bind: Int64(value ? 1 : 0)) WHERE name = \(bind: name)")
                .run()
            try await AuditLog.append(
                AuditEvent(action: "namespace.update", namespace: name, target: name, detail: detail),
                context: context,
                at: now,
                in: db
            )
            try await controlPlane.publish(.namespace(name), in: db)
            found[keyPath: flag] = value
            return found
        }
        controlPlane.caches.apply(.namespace(name))
        return updated
    }
}
