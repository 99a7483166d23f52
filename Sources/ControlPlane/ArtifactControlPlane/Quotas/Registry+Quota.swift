public import ArtifactStoreAPI
import Foundation
import SQLKit

extension Registry {
    /// Sets the most bytes the versions of `name` may reference (`nil`: no quota).
    ///
    /// Exists so one team's namespace cannot fill the store (docs/operations.md, "Quotas"). A
    /// quota below the current usage refuses every push that adds bytes until versions are
    /// deleted; nothing already stored is removed. Audited (`namespace.update`); every process
    /// drops its cached copy of the namespace at once.
    ///
    /// - Throws: `invalidName`, `invalidQuota` (negative), `namespaceNotFound` (nothing changed).
    public func setQuota(_ name: String, _ quotaBytes: Int64?, context: RequestContext) async throws(ControlPlaneError) -> Namespace {
        try NameGrammar.validateNamespace(name)
        if let quotaBytes, quotaBytes < 0 {
            throw ControlPlaneError(
                .invalidQuota,
                "quota \(quotaBytes) of namespace \"\(name)\" is negative; give a number of bytes, 0 or more"
            )
        }
        let now = controlPlane.nowMilliseconds()
        let updated = try await controlPlane.mutate("setting the quota of namespace \"\(name)\"") { db in
            var found = try await Self.requireNamespace(name, in: db)
            guard found.quotaBytes != quotaBytes else { return found }
            try await db.raw("UPDATE namespaces SET quota_bytes = \(bind: quotaBytes) WHERE name = \(bind: name)").run()
            let detail = quotaBytes.map { "quota \($0) bytes (\(ByteSize.describe($0)))" } ?? "no quota"
            try await AuditLog.append(
                AuditEvent(action: "namespace.update", namespace: name, target: name, detail: detail),
                context: context,
                at: now,
                in: db
            )
            try await controlPlane.publish(.namespace(name), in: db)
            found.quotaBytes = quotaBytes
            return found
        }
        controlPlane.caches.apply(.namespace(name))
        return updated
    }
}
