import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactIdentity
public import ArtifactStoreCore
import Foundation
import NIOCore

/// Tag and repository listings, paged as OCI pages them.
extension OCIRegistry {
    /// At most `limit` tags after `last`, and whether more follow.
    public func tags(_ repository: OCIRepositoryName, limit: Int, last: String?) async throws(OCIError) -> (tags: [String], more: Bool) {
        let fetched = try await mapped {
            try await store.tagNames(namespace: repository.namespace, artifact: repository.artifact, after: last, limit: limit + 1)
        }
        return (Array(fetched.prefix(limit)), fetched.count > limit)
    }

    /// At most `limit` repositories after `last` in `namespaces` (all when `nil`), and whether more follow.
    public func catalog(limit: Int, last: String?, namespaces: [String]?) async throws(OCIError) -> (repositories: [String], more: Bool) {
        var after: (namespace: String, artifact: String)?
        if let last, let slash = last.firstIndex(of: "/") {
            after = (String(last[..<slash]), String(last[last.index(after: slash)...]))
        } else if let last {
            after = (last, "")
        }
        let fetched = try await mapped { try await store.repositories(after: after, limit: limit + 1, namespaces: namespaces) }
        return (fetched.prefix(limit).map { "\($0.namespace)/\($0.artifact)" }, fetched.count > limit)
    }
}
