public import ArtifactControlPlane
import ArtifactStoreAPI

/// How OCI names meet the registry's namespaces (docs/oci.md, "Mapping onto the registry").
///
/// Exists because OCI clients know nothing of namespaces: `docker push host/app:v1` names one
/// component, and a push into `team/app` expects `team` to exist or be made. The policy says
/// where single-component names go and who may create a namespace by pushing into it.
public struct OCINamingPolicy: Sendable, Hashable {
    /// Who may create a missing namespace by pushing into it.
    public enum NamespaceCreation: String, Sendable, Hashable, CaseIterable {
        /// A token with `write` (or `admin`) on every namespace (the default).
        case globalWrite = "global-write"
        /// Also a token whose grant names that namespace (`write:NS`), existing or not.
        case namespaceWrite = "namespace-write"
        /// Nobody: namespaces are created through `/v1` or the CLI only.
        case never
    }

    /// The namespace single-component repository names (`app`) map into; `nil`: refused.
    public var defaultNamespace: String?
    public var namespaceCreation: NamespaceCreation

    public init(defaultNamespace: String? = nil, namespaceCreation: NamespaceCreation = .globalWrite) {
        self.defaultNamespace = defaultNamespace
        self.namespaceCreation = namespaceCreation
    }

    /// Whether `principal` may create `namespace` by pushing into it.
    public func mayCreate(_ namespace: String, principal: Principal) -> Bool {
        switch namespaceCreation {
        case .never: false
        case .globalWrite: principal.grants.contains { $0.namespace == nil && $0.allows(.write, in: nil) }
        case .namespaceWrite: principal.grants.contains { $0.allows(.write, in: namespace) }
        }
    }
}

extension OCIRegistry {
    /// Makes sure `repository`'s namespace exists before a push: creates it (audited
    /// `namespace.create`) when `policy` lets `principal` do so.
    ///
    /// - Throws: `NAME_UNKNOWN` saying how to create the namespace when it is missing and may not
    ///   be created here.
    public func preparePush(
        _ repository: OCIRepositoryName,
        principal: Principal,
        policy: OCINamingPolicy,
        context: RequestContext
    ) async throws(OCIError) {
        do {
            _ = try await registry.namespace(repository.namespace)
            return
        } catch  where error.kind == .namespaceNotFound {
            guard policy.mayCreate(repository.namespace, principal: principal) else {
                throw OCIError(
                    .nameUnknown,
                    "namespace \"\(repository.namespace)\" does not exist and this token may not create it: create it first "
                        + "with an admin token (POST /v1/namespaces {\"name\":\"\(repository.namespace)\"}, or artifactstore push "
                        + "\(repository.namespace)/…), or push with a token holding write on every namespace",
                    underlying: error
                )
            }
        } catch {
            throw OCIError(mapping: error)
        }
        do {
            _ = try await registry.createNamespace(repository.namespace, context: context)
        } catch  where error.kind == .namespaceExists {
            return  // created by a concurrent push
        } catch {
            throw OCIError(mapping: error)
        }
    }
}
