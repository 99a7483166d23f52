public import ArtifactControlPlane
import ArtifactIdentity
import ArtifactStoreAPI
import Foundation
import NIOCore

/// What a proxy namespace stores of what its upstream sent (docs/oci.md, "Proxy namespaces").
extension OCIRegistry {
    /// Stores a manifest fetched from the upstream under `reference` (its tag, or its digest),
    /// through the same checks, version, referrers facts, tag and audit records as a push: the
    /// bytes must hash to a digest `reference` names. Blobs and child manifests the repository
    /// does not have yet are left out of the version and recorded as pending
    /// (``OCIProxyStore/recordPending(namespace:artifact:version:references:)``): each is added
    /// to the version when it is stored. The manifest itself is added to the cached indexes of
    /// the namespace waiting for it.
    ///
    /// - Throws: `MANIFEST_INVALID`, `DIGEST_INVALID` (nothing stored).
    public func cacheManifest(
        _ repository: OCIRepositoryName,
        reference: String,
        bytes: [UInt8],
        contentType: String?,
        context: RequestContext
    ) async throws(OCIError) -> OCIManifest {
        let manifest = try await storeManifest(
            repository,
            reference: reference,
            body: ByteBuffer(bytes: bytes),
            contentType: contentType,
            partial: true,
            context: context
        )
        let version = OCIDigest.versionName(manifest.digest)
        let proxies = self.proxies
        let registry = self.registry
        try await mapped {
            let committed = try await registry.version(namespace: repository.namespace, artifact: repository.artifact, version: version)
            let present = Set(committed.files.map(\.path))
            let wanted =
                manifest.blobs.map { ("blobs/\(OCIDigest.fileName($0))", $0.description) }
                + manifest.manifests.map { ("manifests/\(OCIDigest.versionName($0))", $0.description) }
            try await proxies.recordPending(
                namespace: repository.namespace,
                artifact: repository.artifact,
                version: version,
                references: wanted.filter { !present.contains($0.0) }.map { (path: $0.0, digest: $0.1) }
            )
            if let own = committed.files.first(where: { $0.path == Self.manifestPath }) {
                try await proxies.resolvePending(
                    namespace: repository.namespace,
                    digest: manifest.digest.description,
                    address: own.address,
                    size: own.size,
                    mediaType: own.mediaType
                )
            }
        }
        return manifest
    }

    /// Adds a blob just stored in a proxy namespace to the cached manifests waiting for it.
    public func resolvePendingBlob(_ repository: OCIRepositoryName, digest: OCIBlobDigest, blob: LinkedBlob) async throws(OCIError) {
        let proxies = self.proxies
        try await mapped {
            try await proxies.resolvePending(
                namespace: repository.namespace,
                digest: digest.description,
                address: blob.address,
                size: blob.size,
                mediaType: "application/octet-stream"
            )
        }
    }

    /// The proxy store over this registry's control plane.
    public var proxies: OCIProxyStore { OCIProxyStore(controlPlane: controlPlane) }
}
