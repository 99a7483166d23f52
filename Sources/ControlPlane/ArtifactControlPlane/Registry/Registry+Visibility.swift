import ArtifactStoreAPI
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
        try NameGrammar.validateNamespace(name)
        let now = controlPlane.nowMilliseconds()
        let updated = try await controlPlane.mutate("updating namespace \"\(name)\"") { db in
            var found = try await Self.requireNamespace(name, in: db)
            guard found.publicRead != publicRead else { return found }
            try await db.raw("UPDATE namespaces SET public_read = \(bind: Int64(publicRead ? 1 : 0)) WHERE name = \(bind: name)").run()
            try await AuditLog.append(
                AuditEvent(action: "namespace.update", namespace: name, target: name, detail: publicRead ? "public read on" : "public read off"),
                context: context, at: now, in: db)
            try await controlPlane.publish(.namespace(name), in: db)
            found.publicRead = publicRead
            return found
        }
        controlPlane.caches.apply(.namespace(name))
        return updated
    }
}
