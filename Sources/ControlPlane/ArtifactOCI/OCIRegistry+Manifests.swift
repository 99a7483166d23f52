public import ArtifactControlPlane
import ArtifactDataPlane
public import ArtifactIdentity
import ArtifactStoreAPI
public import ArtifactStoreCore
import Foundation
public import NIOCore

/// Manifests: checked, stored as versions with their referrers facts, read, deleted.
extension OCIRegistry {
    /// A stored manifest: where its bytes are and what they are.
    public struct StoredManifest: Sendable, Hashable {
        public var digest: Digest
        public var mediaType: String
        public var size: UInt64
        public var version: String
        /// The manifest's file as the lookup found it, so opening it needs no second lookup.
        var file: ResolvedFile
    }

    /// How many of a manifest's references are looked up at a time (each batch is a few
    /// indexed statements; see ``storeManifest(_:reference:body:contentType:partial:context:)``).
    static let referenceBatch = 1_000

    /// Checks and stores a manifest pushed under `reference` (a tag or its digest): the
    /// manifest's bytes as a blob, a version `sha256-<hex>` whose files are those bytes and every
    /// blob (and, for an index, every manifest) it references, its referrers facts, and the tag.
    ///
    /// - Throws: `MANIFEST_INVALID`, `DIGEST_INVALID` (a digest reference the bytes do not hash
    ///   to), `NAME_UNKNOWN`, `MANIFEST_BLOB_UNKNOWN` naming the first missing reference — all
    ///   before anything is stored.
    public func putManifest(
        _ repository: OCIRepositoryName,
        reference: String,
        bytes: [UInt8],
        contentType: String?,
        context: RequestContext
    ) async throws(OCIError) -> OCIManifest {
        try await putManifest(repository, reference: reference, body: ByteBuffer(bytes: bytes), contentType: contentType, context: context)
    }

    /// As ``putManifest(_:reference:bytes:contentType:context:)`` with the body as received:
    /// it is decoded, hashed and stored from this one buffer, never copied.
    public func putManifest(
        _ repository: OCIRepositoryName,
        reference: String,
        body: ByteBuffer,
        contentType: String?,
        context: RequestContext
    ) async throws(OCIError) -> OCIManifest {
        try await storeManifest(repository, reference: reference, body: body, contentType: contentType, partial: false, context: context)
    }

    /// As ``putManifest(_:reference:bytes:contentType:context:)``; with `partial` (a manifest a
    /// proxy namespace fetched from its upstream, whose blobs come later) the references the
    /// repository does not have yet are left out of the version instead of refused.
    func storeManifest(
        _ repository: OCIRepositoryName,
        reference: String,
        body: ByteBuffer,
        contentType: String?,
        partial: Bool,
        context: RequestContext
    ) async throws(OCIError) -> OCIManifest {
        let manifest = try OCIManifest(buffer: body, contentType: contentType)
        var tag: String?
        // The bytes' blob is ingested under their SHA-512 (at most 4 MiB, hashed here and again
        // by the ingest's check), so `blob_digests` maps it and every manifest can be fetched or
        // deleted by either digest.
        let sha512 = OCIBlobDigest.sha512(of: body)
        if OCIDigest.isDigest(reference) {
            let expected = try OCIDigest.parseBlob(reference)
            guard expected == .sha256(manifest.digest) || expected == sha512 else {
                let actual = if case .sha512 = expected { sha512.description } else { manifest.digest.description }
                throw OCIError(.digestInvalid, "the manifest's bytes hash to \(actual), not to \(expected); nothing was stored")
            }
        } else {
            do {
                try NameGrammar.validateTag(reference)
            } catch {
                throw OCIError(
                    .manifestInvalid,
                    "tag \"\(NameGrammar.printable(reference))\" is invalid: \(error.message)",
                    underlying: error
                )
            }
            tag = reference
        }
        // A version holds at most `Registry.maximumFiles` files (every reference and the
        // manifest's own bytes): a larger manifest is refused before any lookup or ingest.
        let references = manifest.blobs.count + manifest.manifests.count
        guard references < Registry.maximumFiles else {
            throw OCIError(
                .manifestInvalid,
                "the manifest references \(references) blobs and manifests; at most \(Registry.maximumFiles - 1) are allowed; "
                    + "nothing was stored"
            )
        }
        let ns = repository.namespace
        _ = try await mapped { try await registry.namespace(ns) }
        var files: [FileEntry] = []
        files.reserveCapacity(references + 1)
        // The SHA-256 references in batches of indexed lookups (a few statements for thousands
        // of layers, each costing the same whatever the namespace holds); SHA-512 ones one by one.
        // A batch's blobs are dropped once its files are listed, so a manifest of thousands of
        // layers never holds thousands of blob rows at once.
        for start in stride(from: 0, to: manifest.blobs.count, by: Self.referenceBatch) {
            let batch = manifest.blobs[start..<min(start + Self.referenceBatch, manifest.blobs.count)]
            let sha256s = batch.compactMap { if case .sha256(let digest) = $0 { digest } else { nil } }
            let found = sha256s.isEmpty ? [:] : try await mapped { try await registry.blobs(namespace: ns, digests: sha256s) }
            for digest in batch {
                let known: LinkedBlob? =
                    if case .sha256(let sha256) = digest { found[sha256] } else { try await optionalBlob(ns, digest) }
                guard let blob = known else {
                    if partial { continue }
                    throw OCIError(
                        .manifestBlobUnknown,
                        "the manifest references blob \(digest), which is not in \(repository); push it first"
                    )
                }
                files.append(FileEntry(path: "blobs/\(OCIDigest.fileName(digest))", address: blob.address))
            }
        }
        for digest in manifest.manifests {
            guard let child = try await storedManifest(repository, version: OCIDigest.versionName(digest)) else {
                if partial { continue }
                throw OCIError(
                    .manifestBlobUnknown,
                    "the index references manifest \(digest), which is not in \(repository); push it first"
                )
            }
            files.append(
                FileEntry(path: "manifests/\(OCIDigest.versionName(digest))", address: child.file.address, mediaType: child.file.mediaType)
            )
        }
        let stored = try await ingest(repository, digest: sha512, body: ByteStream(body), size: manifest.size, context: context)
        files.append(FileEntry(path: Self.manifestPath, address: stored.address, mediaType: manifest.mediaType))
        let version = OCIDigest.versionName(manifest.digest)
        // The version and the referrers facts in one transaction; the same bytes pushed again
        // (perhaps under another tag) find the version committed.
        try await mapped {
            try await store.commitManifest(
                VersionManifest(namespace: ns, artifact: repository.artifact, version: version, files: files),
                record: OCIManifestRecord(
                    namespace: ns,
                    artifact: repository.artifact,
                    digest: manifest.digest.description,
                    mediaType: manifest.mediaType,
                    artifactType: manifest.artifactType,
                    subject: manifest.subject?.description,
                    annotations: manifest.annotations,
                    size: manifest.size
                ),
                context: context
            )
        }
        if let tag {
            _ = try await mapped {
                try await registry.setTag(namespace: ns, artifact: repository.artifact, tag: tag, version: version, context: context)
            }
        }
        return manifest
    }

    /// The manifest `reference` (a tag or a digest) names. - Throws: `MANIFEST_UNKNOWN`, `NAME_UNKNOWN`.
    public func manifest(_ repository: OCIRepositoryName, reference: String) async throws(OCIError) -> StoredManifest {
        let version: String
        if OCIDigest.isDigest(reference) {
            guard let found = try await manifestVersion(repository, try OCIDigest.parseBlob(reference)) else {
                throw OCIError(.manifestUnknown, "manifest \(NameGrammar.printable(reference)) is not in \(repository)")
            }
            version = found
        } else {
            guard (try? NameGrammar.validateTag(reference)) != nil else {
                throw OCIError(.manifestUnknown, "no manifest is tagged \"\(NameGrammar.printable(reference))\" in \(repository)")
            }
            version = try await mapped {
                try await registry.taggedVersion(namespace: repository.namespace, artifact: repository.artifact, tag: reference)
            }
        }
        guard let found = try await storedManifest(repository, version: version) else {
            throw OCIError(.manifestUnknown, "manifest \(NameGrammar.printable(reference)) is not in \(repository)")
        }
        let hex = version.dropFirst("sha256-".count)
        return StoredManifest(
            digest: try OCIDigest.parse("sha256:\(hex)"),
            mediaType: found.file.mediaType,
            size: found.file.size,
            version: version,
            file: found
        )
    }

    /// Streams a stored manifest's exact bytes (the file ``manifest(_:reference:)`` found; the
    /// data plane proves them against its address as on every read).
    public func openManifest(_ repository: OCIRepositoryName, _ manifest: StoredManifest) async throws(OCIError) -> ByteStream {
        try await mapped { try await registry.open(manifest.file) }
    }

    /// Deletes a manifest by digest (its version, its tags, its referrers facts) or a tag.
    public func deleteManifest(_ repository: OCIRepositoryName, reference: String, context: RequestContext) async throws(OCIError) {
        if OCIDigest.isDigest(reference) {
            guard let version = try await manifestVersion(repository, try OCIDigest.parseBlob(reference)) else {
                throw OCIError(.manifestUnknown, "manifest \(NameGrammar.printable(reference)) is not in \(repository)")
            }
            let digest = "sha256:" + version.dropFirst("sha256-".count)
            try await mapped {
                try await store.deleteManifest(
                    namespace: repository.namespace,
                    artifact: repository.artifact,
                    version: version,
                    digest: digest,
                    context: context
                )
            }
        } else {
            try await mapped {
                try await registry.deleteTag(
                    namespace: repository.namespace,
                    artifact: repository.artifact,
                    tag: reference,
                    context: context
                )
            }
        }
    }

    /// The manifests whose subject is `subject`, optionally of one artifact type.
    public func referrers(
        _ repository: OCIRepositoryName,
        subject: Digest,
        artifactType: String?
    ) async throws(OCIError) -> [OCIManifestRecord] {
        try await mapped {
            try await store.referrers(
                namespace: repository.namespace,
                artifact: repository.artifact,
                subject: subject.description,
                artifactType: artifactType
            )
        }
    }
}
