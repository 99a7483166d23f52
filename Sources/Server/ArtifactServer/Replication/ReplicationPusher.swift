import ArtifactControlPlane
import ArtifactIdentity
import ArtifactOCI
import ArtifactStoreAPI
import ArtifactStoreCore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// Copies one queued item of a push rule to its remote: the manifest (an index's manifests
/// first), its blobs, the manifests that refer to it, and for a tag item the tag.
///
/// Exists so a copy is idempotent and cheap to repeat (a retry, or another node after a lease
/// expired): a blob the remote already has (`HEAD` 200) is not sent; one this rule sent to
/// another repository of the remote is mounted from there (`POST …?mount=&from=`, which falls back
/// to an ordinary upload when the remote declines); a manifest is sent as our exact bytes under
/// its digest, so the remote's digest is ours. A manifest that was deleted here before its turn
/// is nothing to copy.
struct ReplicationPusher: Sendable {
    let oci: OCIRegistry
    let remote: ReplicationRemote
    let mounts: ReplicationMounts

    /// Copies `item`. - Throws: ``ReplicationRemote/Failure`` or an ``OCIError`` saying what failed.
    func push(_ item: ReplicationQueue.Item) async throws {
        let repository = try OCIRepositoryName(parsing: item.repository)
        // A manifest deleted here before its turn is nothing to copy.
        guard let stored = try await localManifest(repository, item.reference) else { return }
        let name = repository.name
        if OCIDigest.isDigest(item.reference) {
            try await pushManifest(repository, stored, depth: 0)
            let referrers = try await oci.referrers(repository, subject: stored.digest, artifactType: nil)
            for referrer in referrers {
                let child = try await oci.manifest(repository, reference: referrer.digest)
                let present = try await remote.has(name, "manifests/\(child.digest)")
                if !present { try await pushManifest(repository, child, depth: 1) }
            }
        } else {
            let present = try await remote.has(name, "manifests/\(stored.digest)")
            if !present { try await pushManifest(repository, stored, depth: 0) }
            let bytes = try await manifestBytes(repository, stored)
            try await putManifest(name, reference: item.reference, bytes: bytes, mediaType: stored.mediaType, digest: stored.digest)
        }
    }

    private func localManifest(_ repository: OCIRepositoryName, _ reference: String) async throws -> OCIRegistry.StoredManifest? {
        do {
            return try await oci.manifest(repository, reference: reference)
        } catch {
            if error.kind == .manifestUnknown || error.kind == .nameUnknown { return nil }
            throw error
        }
    }

    /// Sends a manifest under its digest after everything it references.
    private func pushManifest(_ repository: OCIRepositoryName, _ stored: OCIRegistry.StoredManifest, depth: Int) async throws {
        guard depth < 4 else { throw ReplicationRemote.Failure(description: "manifest \(stored.digest) nests indexes too deeply") }
        let bytes = try await manifestBytes(repository, stored)
        let manifest = try OCIManifest(bytes: bytes, contentType: stored.mediaType)
        for child in manifest.manifests {
            let present = try await remote.has(repository.name, "manifests/\(child)")
            if !present {
                let stored = try await oci.manifest(repository, reference: child.description)
                try await pushManifest(repository, stored, depth: depth + 1)
            }
        }
        for blob in manifest.blobs { try await pushBlob(repository, blob) }
        try await putManifest(
            repository.name,
            reference: "\(stored.digest)",
            bytes: bytes,
            mediaType: stored.mediaType,
            digest: stored.digest
        )
    }

    private func putManifest(
        _ name: String,
        reference: String,
        bytes: [UInt8],
        mediaType: String,
        digest: some CustomStringConvertible
    )
        async throws
    {
        let answer = try await remote.call(.PUT, name, "manifests/\(reference)", push: true) {
            (.bytes(ByteBuffer(bytes: bytes)), mediaType)
        }
        if let named = answer.headers.first(name: "Docker-Content-Digest"), named != "\(digest)" {
            try? await OCIUpstreamClient.drain(answer)
            throw ReplicationRemote.Failure(description: "the remote \(remote.remote) stored manifest \(digest) as \(named)")
        }
        try await remote.expectCreated(answer, "PUT \(name) manifest \(reference)")
    }

    /// Sends a blob the remote lacks: mounted where this rule sent it before, else uploaded whole.
    private func pushBlob(_ repository: OCIRepositoryName, _ digest: OCIBlobDigest) async throws {
        let name = repository.name
        if try await remote.has(name, "blobs/\(digest)") { return }
        var start = "blobs/uploads/"
        if let from = mounts.source(of: "\(digest)", other: name) { start += "?mount=\(digest)&from=\(from)" }
        let started = try await remote.call(.POST, name, start, push: true) { (.bytes(ByteBuffer()), "application/octet-stream") }
        try await OCIUpstreamClient.drain(started)
        if started.status.code == 201 {
            mounts.record("\(digest)", in: name)
            return
        }
        guard started.status.code == 202, let location = started.headers.first(name: "Location") else {
            throw ReplicationRemote.Failure(
                description: "the remote \(remote.remote) answered \(started.status.code) to an upload of \(digest)"
            )
        }
        let blob = try await oci.blob(repository, digest: digest)
        let oci = self.oci
        let target = location + (location.contains("?") ? "&" : "?") + "digest=\(digest)"
        let answer = try await remote.call(.PUT, name, "", url: target, push: true, timeout: .hours(6)) {
            let stream = try await oci.openBlob(repository, blob, range: nil)
            return (.stream(stream, length: .known(Int64(blob.size))), "application/octet-stream")
        }
        try await remote.expectCreated(answer, "the upload of blob \(digest) to \(name)")
        mounts.record("\(digest)", in: name)
    }

    /// A stored manifest's bytes (at most ``ReplicationRemote/maximumDocument``).
    private func manifestBytes(_ repository: OCIRepositoryName, _ stored: OCIRegistry.StoredManifest) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in try await oci.openManifest(repository, stored) {
            bytes += chunk.readableBytesView
            guard bytes.count <= ReplicationRemote.maximumDocument else {
                throw ReplicationRemote.Failure(
                    description: "manifest \(stored.digest) is larger than \(ReplicationRemote.maximumDocument) bytes"
                )
            }
        }
        return bytes
    }
}

/// Which repository of a remote each blob was last sent to, per rule: the `from` of a mount.
///
/// Exists so a layer shared by many repositories crosses the network once. In memory, bounded
/// (cleared past 100,000 entries): a miss only costs an ordinary upload.
final class ReplicationMounts: Sendable {
    private let sent = Mutex([String: String]())

    func source(of digest: String, other repository: String) -> String? {
        sent.withLock { $0[digest] }.flatMap { $0 == repository ? nil : $0 }
    }

    func record(_ digest: String, in repository: String) {
        sent.withLock { sent in
            if sent.count > 100_000 { sent.removeAll() }
            sent[digest] = repository
        }
    }
}
