import ArtifactControlPlane
import ArtifactIdentity
import ArtifactStoreAPI
import Foundation

/// What a proxy namespace stores of what its upstream sent (docs/oci.md, "Proxy namespaces").
extension OCIRegistry {
    /// Stores a manifest fetched from the upstream under `reference` (its tag, or its digest),
    /// through the same checks, version, referrers facts, tag and audit records as a push: the
    /// bytes must hash to a digest `reference` names. Blobs and child manifests the repository
    /// does not have yet are left out of the version (they are fetched when pulled).
    ///
    /// - Throws: `MANIFEST_INVALID`, `DIGEST_INVALID` (nothing stored).
    public func cacheManifest(
        _ repository: OCIRepositoryName, reference: String, bytes: [UInt8], contentType: String?, context: RequestContext
    ) async throws(OCIError) -> OCIManifest {
        try await storeManifest(repository, reference: reference, bytes: bytes, contentType: contentType, partial: true, context: context)
    }

    /// The proxy store over this registry's control plane.
    public var proxies: OCIProxyStore { OCIProxyStore(controlPlane: controlPlane) }
}
