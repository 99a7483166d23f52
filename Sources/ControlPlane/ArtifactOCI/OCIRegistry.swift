public import ArtifactControlPlane
public import ArtifactDataPlane
import ArtifactIdentity
import ArtifactStoreAPI
public import ArtifactStoreCore
import Foundation
import NIOCore

/// The OCI distribution model over the registry: repositories are `namespace/artifact`,
/// manifests are versions named `sha256-<hex>`, tags are tags, blobs are the namespace's blobs
/// found by SHA-256 (or by SHA-512 through the `blob_digests` mapping), and uploads are durable sessions of chunks (docs/oci.md).
///
/// Exists so the HTTP layer only translates: every rule of the mapping, every check before
/// storing and every audit (through the registry's own paths) is here. Every failure is an
/// ``OCIError`` (other errors are mapped by ``OCIError/init(mapping:)``).
public struct OCIRegistry: Sendable {
    public let controlPlane: ControlPlane

    /// The path of the manifest's own bytes inside its version.
    public static let manifestPath = "manifest.json"

    public init(controlPlane: ControlPlane) {
        self.controlPlane = controlPlane
    }

    var registry: Registry { controlPlane.registry }
    var store: OCIStore { OCIStore(registry: registry) }

    // MARK: Blobs

    /// The blob `repository`'s namespace sees under `digest`. - Throws: `BLOB_UNKNOWN`, `NAME_UNKNOWN`.
    public func blob(_ repository: OCIRepositoryName, digest: OCIBlobDigest) async throws(OCIError) -> LinkedBlob {
        try await mapped {
            switch digest {
            case .sha256(let sha256): try await registry.blob(namespace: repository.namespace, digest: sha256)
            case .sha512: try await store.blob(namespace: repository.namespace, alias: Self.alias(digest))
            }
        }
    }

    /// Streams `blob`, whole or a range.
    public func openBlob(_ repository: OCIRepositoryName, _ blob: LinkedBlob, range: ByteRange?) async throws(OCIError) -> ByteStream {
        try await mapped { try await registry.openBlob(namespace: repository.namespace, address: blob.address, range: range) }
    }

    /// Checks in the database, past any cached fact, that `blob` is still linked into the
    /// repository's namespace (``Registry/currentBlob(namespace:address:)``). - Throws: `BLOB_UNKNOWN`.
    public func currentBlob(_ repository: OCIRepositoryName, _ blob: LinkedBlob) async throws(OCIError) {
        _ = try await mapped { try await registry.currentBlob(namespace: repository.namespace, address: blob.address) }
    }

    // MARK: Helpers

    func optionalBlob(_ namespace: String, _ digest: OCIBlobDigest) async throws(OCIError) -> LinkedBlob? {
        do {
            switch digest {
            case .sha256(let sha256): return try await registry.blob(namespace: namespace, digest: sha256)
            case .sha512: return try await store.blob(namespace: namespace, alias: Self.alias(digest))
            }
        } catch  where error.kind == .blobNotFound || error.kind == .namespaceNotFound {
            return nil
        } catch {
            throw OCIError(mapping: error)
        }
    }

    /// The version a manifest digest names: `sha256-<hex>` for a sha256 digest (whether or not
    /// it exists); for a sha512 digest, the repository's version whose manifest bytes are the
    /// blob the namespace sees under that digest (`nil` if none).
    func manifestVersion(_ repository: OCIRepositoryName, _ digest: OCIBlobDigest) async throws(OCIError) -> String? {
        switch digest {
        case .sha256(let sha256):
            return OCIDigest.versionName(sha256)
        case .sha512:
            do {
                let bytes = try await store.blob(namespace: repository.namespace, alias: Self.alias(digest))
                return try await store.manifestVersion(
                    namespace: repository.namespace,
                    artifact: repository.artifact,
                    path: Self.manifestPath,
                    address: bytes.address
                )
            } catch  where error.kind == .blobNotFound {
                return nil
            } catch {
                throw OCIError(mapping: error)
            }
        }
    }

    static func alias(_ digest: OCIBlobDigest) -> OCIDigestAlias {
        OCIDigestAlias(algorithm: digest.algorithm, digest: digest.description)
    }

    /// The manifest file of the version `version`, or `nil` when there is no such version (or it
    /// has no manifest). One prepared read of that file (``Registry/resolveFile(namespace:artifact:version:path:)``):
    /// the version's other files, one per layer, are not read.
    func storedManifest(_ repository: OCIRepositoryName, version: String) async throws(OCIError) -> ResolvedFile? {
        do {
            return try await registry.resolveFile(
                namespace: repository.namespace,
                artifact: repository.artifact,
                version: version,
                path: Self.manifestPath
            )
        } catch  where error.kind == .versionNotFound || error.kind == .artifactNotFound || error.kind == .fileNotFound {
            return nil
        } catch {
            throw OCIError(mapping: error)
        }
    }

    func mapped<R>(_ body: () async throws -> R) async throws(OCIError) -> R {
        do {
            return try await body()
        } catch {
            throw OCIError(mapping: error)
        }
    }
}
