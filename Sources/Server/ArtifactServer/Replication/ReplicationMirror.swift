import ArtifactControlPlane
import ArtifactIdentity
import ArtifactOCI
import ArtifactStoreAPI
import ArtifactStoreCore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One run of a pull rule: the remote's repositories the glob covers (its `_catalog`, or the
/// glob itself when it has no wildcard), each one's tags, their manifests and blobs, stored here
/// under the same repository names.
///
/// Exists so a mirror stores only proved bytes: a manifest fetched by digest must hash to it, a
/// manifest fetched by tag must hash to the remote's `Docker-Content-Digest` when it sends one,
/// and a blob streams into the data plane through ``OCIProxyVerifyingSequence`` (SHA-256 and
/// size, refused and not stored on a mismatch) while the ingest computes our BLAKE3. A tag whose
/// digest we already hold under that tag costs one `HEAD`.
struct ReplicationMirror: Sendable {
    struct Catalog: Decodable { var repositories: [String]? }
    struct Tags: Decodable { var tags: [String]? }

    let oci: OCIRegistry
    let remote: ReplicationRemote
    let context: RequestContext

    /// Mirrors every covered repository; returns how many manifests were stored. Stops at the
    /// first failure (the next run starts again; what was stored stays).
    func run() async throws -> Int {
        var stored = 0
        for name in try await repositories() {
            let repository = try OCIRepositoryName(parsing: name)
            for tag in try await tags(name) {
                let head = try await remote.call(.HEAD, name, "manifests/\(tag)", accept: OCIUpstreamClient.manifestAccept)
                try await OCIUpstreamClient.drain(head)
                if let digest = head.headers.first(name: "Docker-Content-Digest"),
                    let local = try? await oci.manifest(repository, reference: tag), local.digest.description == digest
                {
                    continue
                }
                stored += try await mirrorManifest(repository, reference: tag, depth: 0)
            }
        }
        return stored
    }

    /// The remote repositories the rule covers.
    private func repositories() async throws -> [String] {
        let glob = remote.rule.repositories
        if !glob.contains("*"), !glob.contains("?") { return [glob] }
        let answer = try await remote.call(.GET, "", "", url: "\(remote.remote)/v2/_catalog?n=1000", scope: "registry:catalog:*")
        let bytes = try await remote.document(answer, "the repository catalog")
        guard let catalog = try? JSONDecoder().decode(Catalog.self, from: Data(bytes)) else {
            throw ReplicationRemote.Failure(description: "the remote \(remote.remote) sent a catalog that is not JSON")
        }
        return (catalog.repositories ?? []).filter(remote.rule.covers).sorted()
    }

    private func tags(_ name: String) async throws -> [String] {
        let answer = try await remote.call(.GET, name, "tags/list?n=1000")
        let bytes = try await remote.document(answer, "the tags of \(name)")
        guard let list = try? JSONDecoder().decode(Tags.self, from: Data(bytes)) else {
            throw ReplicationRemote.Failure(description: "the remote \(remote.remote) sent a tag list of \(name) that is not JSON")
        }
        return (list.tags ?? []).sorted()
    }

    /// Fetches, checks and stores one manifest after what it references; returns the count stored.
    private func mirrorManifest(_ repository: OCIRepositoryName, reference: String, depth: Int) async throws -> Int {
        guard depth < 4 else { throw ReplicationRemote.Failure(description: "\(repository) \(reference) nests indexes too deeply") }
        let name = repository.name
        let answer = try await remote.call(.GET, name, "manifests/\(reference)", accept: OCIUpstreamClient.manifestAccept)
        let contentType = answer.headers.first(name: "Content-Type")
        let named = answer.headers.first(name: "Docker-Content-Digest")
        let bytes = try await remote.document(answer, "manifest \(reference) of \(name)")
        let manifest = try OCIManifest(bytes: bytes, contentType: contentType)
        let expected = OCIDigest.isDigest(reference) ? reference : named
        if let expected, expected.hasPrefix("sha256:"), manifest.digest.description != expected {
            throw ReplicationRemote.Failure(
                description: "the remote \(remote.remote) sent manifest \(reference) of \(name) whose bytes do not hash to \(expected)"
            )
        }
        var stored = 0
        for child in manifest.manifests {
            let local = try? await oci.manifest(repository, reference: child.description)
            if local == nil { stored += try await mirrorManifest(repository, reference: child.description, depth: depth + 1) }
        }
        for blob in manifest.blobs { try await mirrorBlob(repository, blob) }
        _ = try await oci.putManifest(repository, reference: reference, bytes: bytes, contentType: contentType, context: context)
        return stored + 1
    }

    private func mirrorBlob(_ repository: OCIRepositoryName, _ digest: OCIBlobDigest) async throws {
        if (try? await oci.blob(repository, digest: digest)) != nil { return }
        guard case .sha256(let sha256) = digest else {
            throw ReplicationRemote.Failure(description: "blob \(digest) of \(repository) is not SHA-256; mirrors fetch SHA-256 blobs only")
        }
        let answer = try await remote.call(.GET, repository.name, "blobs/\(digest)", timeout: .hours(6))
        guard answer.status.code == 200, let text = answer.headers.first(name: "Content-Length"), let size = UInt64(text),
            size <= ReplicationRemote.maximumBlob
        else {
            try? await OCIUpstreamClient.drain(answer)
            throw ReplicationRemote.Failure(
                description: "the remote \(remote.remote) answered \(answer.status.code) for blob \(digest) of \(repository) "
                    + "(or sent no Content-Length of at most \(ReplicationRemote.maximumBlob) bytes)"
            )
        }
        let verified = OCIProxyVerifyingSequence(
            base: ByteStream(answer.body),
            expected: sha256,
            size: size,
            relay: nil,
            upstream: remote.remote
        )
        _ = try await oci.ingest(repository, digest: digest, body: ByteStream(verified), size: size, context: context)
    }
}
