import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactIdentity
import ArtifactStoreAPI
import ArtifactStoreCore
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

    // MARK: Blobs

    /// The blob `repository`'s namespace sees under `digest`. - Throws: `BLOB_UNKNOWN`, `NAME_UNKNOWN`.
    public func blob(_ repository: OCIRepositoryName, digest: OCIBlobDigest) async throws(OCIError) -> LinkedBlob {
        try await mapped {
            switch digest {
            case .sha256(let sha256): try await registry.blob(namespace: repository.namespace, digest: sha256)
            case .sha512: try await registry.ociBlob(namespace: repository.namespace, alias: Self.alias(digest))
            }
        }
    }

    /// Streams `blob`, whole or a range.
    public func openBlob(_ repository: OCIRepositoryName, _ blob: LinkedBlob, range: ByteRange?) async throws(OCIError) -> ByteStream {
        try await mapped { try await registry.openBlob(namespace: repository.namespace, address: blob.address, range: range) }
    }

    // MARK: Uploads

    /// A whole blob in one request (`POST ?digest=`, or `PUT` of a session without chunks):
    /// streamed into one ingest that checks the digest (and `size` when known). A SHA-256 digest
    /// is checked by the data plane; a SHA-512 one by a ``SHA512VerifyingSequence`` around
    /// `body`, and the blob is then linked with its `sha512` → address mapping.
    ///
    /// - Throws: `DIGEST_INVALID` (nothing stored), `SIZE_INVALID`, `NAME_UNKNOWN`.
    public func ingest(_ repository: OCIRepositoryName, digest: OCIBlobDigest, body: ByteStream, size: UInt64?, context: RequestContext) async throws(OCIError) -> LinkedBlob {
        switch digest {
        case .sha256(let sha256):
            return try await mapped {
                try await registry.ingestBlob(
                    namespace: repository.namespace, body, hints: IngestHints(sizeHint: size, expectedDigest: sha256, expectedSize: size), context: context)
            }
        case .sha512(let hex):
            let verdict = SHA512VerifyingSequence.Verdict()
            let checked = ByteStream(SHA512VerifyingSequence(base: body, expectedHex: hex, verdict: verdict))
            do {
                return try await registry.ociIngestBlob(
                    namespace: repository.namespace, checked, hints: IngestHints(sizeHint: size, expectedSize: size), alias: Self.alias(digest),
                    verified: { verdict.matched }, context: context)
            } catch {
                // The data plane wraps its source's failure; the mismatch is the answer.
                if let mismatch = verdict.mismatch { throw mismatch }
                throw OCIError(mapping: error)
            }
        }
    }

    /// Starts a durable upload session.
    public func startUpload(_ repository: OCIRepositoryName, context: RequestContext) async throws(OCIError) -> Registry.OCIUploadSession {
        try await mapped { try await registry.ociStartUpload(namespace: repository.namespace, artifact: repository.artifact, context: context) }
    }

    /// Links `digest` from repository `source` into `repository` (a cross-repository mount);
    /// `nil` when `source`'s namespace does not have it. The caller checks read access to `source`.
    public func mount(_ repository: OCIRepositoryName, digest: OCIBlobDigest, from source: OCIRepositoryName, context: RequestContext) async throws(OCIError) -> LinkedBlob? {
        let found: Digest
        switch digest {
        case .sha256(let sha256):
            found = sha256
        case .sha512:
            // Resolved to its content address in the source first; the mount then re-checks
            // that the source sees that address, as for SHA-256.
            guard let blob = try await optionalBlob(source.namespace, digest) else { return nil }
            found = blob.address.digest
        }
        return try await mapped { try await registry.ociMountBlob(digest: found, from: source.namespace, into: repository.namespace, context: context) }
    }

    /// The session `id` of `repository`. - Throws: `BLOB_UPLOAD_UNKNOWN`.
    public func upload(_ repository: OCIRepositoryName, id: String) async throws(OCIError) -> Registry.OCIUploadSession {
        guard let session = try await mapped({ try await registry.ociUpload(id: id, namespace: repository.namespace, artifact: repository.artifact) }) else {
            throw OCIError(.blobUploadUnknown, "upload \"\(NameGrammar.printable(id))\" of \(repository) does not exist (finished, cancelled or expired)")
        }
        return session
    }

    /// Appends `body` as the next chunk. `start` is the first byte's offset from
    /// `Content-Range` (`nil`: append at the current offset). The chunk is ingested as a blob of
    /// its own and recorded in the session before this returns, so it survives a restart.
    ///
    /// - Throws: `BLOB_UPLOAD_UNKNOWN`; `RANGE_INVALID` (416, with the bytes held) when `start`
    ///   is not the session's offset, before reading the body; `SIZE_INVALID` when the body
    ///   does not have `size` bytes.
    public func appendChunk(
        _ repository: OCIRepositoryName, id: String, start: UInt64?, body: ByteStream, size: UInt64?, context: RequestContext
    ) async throws(OCIError) -> Registry.OCIUploadSession {
        let session = try await upload(repository, id: id)
        let offset = start ?? session.offset
        guard offset == session.offset else {
            throw Self.outOfOrder(session, start: offset)
        }
        if size == 0 { return session }
        let outcome = try await mapped {
            try await registry.ociAppendChunk(
                uploadID: id, namespace: repository.namespace, artifact: repository.artifact, at: offset, body,
                hints: IngestHints(sizeHint: size, expectedSize: size), context: context)
        }
        switch outcome {
        case .appended(let updated): return updated
        case .offsetMismatch(let current): throw Self.outOfOrder(current, start: offset)
        case .unknownSession:
            throw OCIError(.blobUploadUnknown, "upload \"\(NameGrammar.printable(id))\" of \(repository) ended while the chunk arrived")
        }
    }

    static func outOfOrder(_ session: Registry.OCIUploadSession, start: UInt64) -> OCIError {
        OCIError(
            .rangeInvalid, "chunk starts at byte \(start) but upload \(session.id) holds \(session.offset) bytes; send the chunk starting at \(session.offset)",
            receivedBytes: session.offset)
    }

    /// Closes session `id` as the blob `digest`. A session without chunks and a `finalBody` is
    /// a monolithic upload: the body streams into one ingest that checks the digest. Otherwise,
    /// without a `finalBody`, one chunk whose SHA-256 is `digest` is the result as it is (no
    /// copy); in every other case the chunks and then `finalBody` (if any; it is not recorded
    /// as a chunk) are streamed in order through the data plane into one new ingest, which
    /// re-hashes the whole and checks `digest`. The session ends only on success; on a
    /// mismatch it holds what it held before the close.
    /// A SHA-512 `digest` always takes the re-hash path, also for one chunk: chunks carry only
    /// their SHA-256, so the common SHA-256 PATCH pays for no third hash; the new ingest
    /// deduplicates to the chunk's object, so only the bytes are read once more.
    ///
    /// - Throws: `BLOB_UPLOAD_UNKNOWN`, `DIGEST_INVALID` (nothing linked; the session stays).
    public func finishUpload(
        _ repository: OCIRepositoryName, id: String, digest: OCIBlobDigest, finalBody: ByteStream?, finalSize: UInt64?, context: RequestContext
    ) async throws(OCIError) -> LinkedBlob {
        let session = try await upload(repository, id: id)
        if let finalBody, session.chunkCount == 0 {
            // POST then PUT with the whole body: one ingest that checks the digest, as a
            // monolithic upload (a wrong digest stores nothing).
            let result = try await ingest(repository, digest: digest, body: finalBody, size: finalSize, context: context)
            _ = try await mapped { try await registry.ociFinishUpload(uploadID: id, namespace: repository.namespace, result: result, context: context) }
            return result
        }
        let chunks = try await mapped { try await registry.ociUploadChunks(uploadID: id) }
        let result: LinkedBlob
        if finalBody == nil, chunks.count == 1, case .sha256(let sha256) = digest {
            guard chunks[0].sha256 == sha256 else {
                throw OCIError(.digestInvalid, "upload \(id) has digest \(chunks[0].sha256), not \(digest); nothing was stored")
            }
            // The one chunk is the blob: linked as it is, and the session ends in the same step.
            let linked = try await mapped {
                try await registry.ociFinishUploadWithChunk(
                    uploadID: id, namespace: repository.namespace, artifact: repository.artifact, chunk: chunks[0], context: context)
            }
            guard let linked else {
                throw OCIError(.blobUploadUnknown, "upload \"\(NameGrammar.printable(id))\" of \(repository) ended while it was being closed")
            }
            return linked
        } else {
            // The held chunks, then the closing body (never recorded as a chunk, so a wrong
            // digest leaves the session as it was), through one ingest that checks the digest.
            let held = chunks.reduce(UInt64(0)) { $0 + $1.size }
            let total = finalBody == nil ? held : finalSize.map { held + $0 }
            let stream = ByteStream(ChunkConcatenation(registry: registry, uploadID: id, chunks: chunks, tail: finalBody))
            result = try await ingest(repository, digest: digest, body: stream, size: total, context: context)
        }
        _ = try await mapped { try await registry.ociFinishUpload(uploadID: id, namespace: repository.namespace, result: result, context: context) }
        return result
    }

    /// Cancels session `id`. - Throws: `BLOB_UPLOAD_UNKNOWN`.
    public func cancelUpload(_ repository: OCIRepositoryName, id: String, context: RequestContext) async throws(OCIError) {
        let cancelled = try await mapped {
            try await registry.ociCancelUpload(uploadID: id, namespace: repository.namespace, artifact: repository.artifact, context: context)
        }
        guard cancelled else {
            throw OCIError(.blobUploadUnknown, "upload \"\(NameGrammar.printable(id))\" of \(repository) does not exist")
        }
    }

    // MARK: Manifests

    /// A stored manifest: where its bytes are and what they are.
    public struct StoredManifest: Sendable, Hashable {
        public var digest: Digest
        public var mediaType: String
        public var size: UInt64
        public var version: String
    }

    /// Checks and stores a manifest pushed under `reference` (a tag or its digest): the
    /// manifest's bytes as a blob, a version `sha256-<hex>` whose files are those bytes and every
    /// blob (and, for an index, every manifest) it references, its referrers facts, and the tag.
    ///
    /// - Throws: `MANIFEST_INVALID`, `DIGEST_INVALID` (a digest reference the bytes do not hash
    ///   to), `NAME_UNKNOWN`, `MANIFEST_BLOB_UNKNOWN` naming the first missing reference — all
    ///   before anything is stored.
    public func putManifest(
        _ repository: OCIRepositoryName, reference: String, bytes: [UInt8], contentType: String?, context: RequestContext
    ) async throws(OCIError) -> OCIManifest {
        let manifest = try OCIManifest(bytes: bytes, contentType: contentType)
        var tag: String?
        // The bytes' blob is ingested under their SHA-512 (at most 4 MiB, hashed here and again
        // by the ingest's check), so `blob_digests` maps it and every manifest can be fetched or
        // deleted by either digest.
        let sha512 = OCIBlobDigest.sha512(of: bytes)
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
                throw OCIError(.manifestInvalid, "tag \"\(NameGrammar.printable(reference))\" is invalid: \(error.message)", underlying: error)
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
                    + "nothing was stored")
        }
        let ns = repository.namespace
        _ = try await mapped { try await registry.namespace(ns) }
        var files: [FileEntry] = []
        // The SHA-256 references in batches of indexed lookups (a few statements for thousands
        // of layers, each costing the same whatever the namespace holds); SHA-512 ones one by one.
        let sha256s = manifest.blobs.compactMap { if case .sha256(let digest) = $0 { digest } else { nil } }
        let found = sha256s.isEmpty ? [:] : try await mapped { try await registry.blobs(namespace: ns, digests: sha256s) }
        for digest in manifest.blobs {
            let known: LinkedBlob? = if case .sha256(let sha256) = digest { found[sha256] } else { try await optionalBlob(ns, digest) }
            guard let blob = known else {
                throw OCIError(.manifestBlobUnknown, "the manifest references blob \(digest), which is not in \(repository); push it first")
            }
            files.append(FileEntry(path: "blobs/\(OCIDigest.fileName(digest))", address: blob.address))
        }
        for digest in manifest.manifests {
            guard let child = try await storedManifest(repository, version: OCIDigest.versionName(digest)) else {
                throw OCIError(.manifestBlobUnknown, "the index references manifest \(digest), which is not in \(repository); push it first")
            }
            files.append(FileEntry(path: "manifests/\(OCIDigest.versionName(digest))", address: child.address, mediaType: child.mediaType))
        }
        let stored = try await ingest(repository, digest: sha512, body: ByteStream(ByteBuffer(bytes: bytes)), size: manifest.size, context: context)
        files.append(FileEntry(path: Self.manifestPath, address: stored.address, mediaType: manifest.mediaType))
        let version = OCIDigest.versionName(manifest.digest)
        // The version and the referrers facts in one transaction; the same bytes pushed again
        // (perhaps under another tag) find the version committed.
        try await mapped {
            try await registry.ociCommitManifest(
                VersionManifest(namespace: ns, artifact: repository.artifact, version: version, files: files),
                record: Registry.OCIManifestRecord(
                    namespace: ns, artifact: repository.artifact, digest: manifest.digest.description, mediaType: manifest.mediaType,
                    artifactType: manifest.artifactType, subject: manifest.subject?.description, annotations: manifest.annotations, size: manifest.size),
                context: context)
        }
        if let tag {
            _ = try await mapped { try await registry.setTag(namespace: ns, artifact: repository.artifact, tag: tag, version: version, context: context) }
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
            version = try await mapped { try await registry.tag(namespace: repository.namespace, artifact: repository.artifact, tag: reference).version }
        }
        guard let file = try await storedManifest(repository, version: version) else {
            throw OCIError(.manifestUnknown, "manifest \(NameGrammar.printable(reference)) is not in \(repository)")
        }
        let hex = version.dropFirst("sha256-".count)
        return StoredManifest(digest: try OCIDigest.parse("sha256:\(hex)"), mediaType: file.mediaType, size: file.size, version: version)
    }

    /// Streams a stored manifest's exact bytes.
    public func openManifest(_ repository: OCIRepositoryName, _ manifest: StoredManifest) async throws(OCIError) -> ByteStream {
        try await mapped {
            try await registry.openFile(namespace: repository.namespace, artifact: repository.artifact, version: manifest.version, path: Self.manifestPath)
        }
    }

    /// Deletes a manifest by digest (its version, its tags, its referrers facts) or a tag.
    public func deleteManifest(_ repository: OCIRepositoryName, reference: String, context: RequestContext) async throws(OCIError) {
        if OCIDigest.isDigest(reference) {
            guard let version = try await manifestVersion(repository, try OCIDigest.parseBlob(reference)) else {
                throw OCIError(.manifestUnknown, "manifest \(NameGrammar.printable(reference)) is not in \(repository)")
            }
            let digest = "sha256:" + version.dropFirst("sha256-".count)
            try await mapped {
                try await registry.ociDeleteManifest(
                    namespace: repository.namespace, artifact: repository.artifact, version: version, digest: digest, context: context)
            }
        } else {
            try await mapped { try await registry.deleteTag(namespace: repository.namespace, artifact: repository.artifact, tag: reference, context: context) }
        }
    }

    /// The manifests whose subject is `subject`, optionally of one artifact type.
    public func referrers(_ repository: OCIRepositoryName, subject: Digest, artifactType: String?) async throws(OCIError) -> [Registry.OCIManifestRecord] {
        try await mapped {
            try await registry.ociReferrers(
                namespace: repository.namespace, artifact: repository.artifact, subject: subject.description, artifactType: artifactType)
        }
    }

    // MARK: Listings

    /// At most `limit` tags after `last`, and whether more follow.
    public func tags(_ repository: OCIRepositoryName, limit: Int, last: String?) async throws(OCIError) -> (tags: [String], more: Bool) {
        let fetched = try await mapped {
            try await registry.ociTagNames(namespace: repository.namespace, artifact: repository.artifact, after: last, limit: limit + 1)
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
        let fetched = try await mapped { try await registry.ociRepositories(after: after, limit: limit + 1, namespaces: namespaces) }
        return (fetched.prefix(limit).map { "\($0.namespace)/\($0.artifact)" }, fetched.count > limit)
    }

    // MARK: Helpers

    private func optionalBlob(_ namespace: String, _ digest: OCIBlobDigest) async throws(OCIError) -> LinkedBlob? {
        do {
            switch digest {
            case .sha256(let sha256): return try await registry.blob(namespace: namespace, digest: sha256)
            case .sha512: return try await registry.ociBlob(namespace: namespace, alias: Self.alias(digest))
            }
        } catch where error.kind == .blobNotFound || error.kind == .namespaceNotFound {
            return nil
        } catch {
            throw OCIError(mapping: error)
        }
    }

    /// The version a manifest digest names: `sha256-<hex>` for a sha256 digest (whether or not
    /// it exists); for a sha512 digest, the repository's version whose manifest bytes are the
    /// blob the namespace sees under that digest (`nil` if none).
    private func manifestVersion(_ repository: OCIRepositoryName, _ digest: OCIBlobDigest) async throws(OCIError) -> String? {
        switch digest {
        case .sha256(let sha256):
            return OCIDigest.versionName(sha256)
        case .sha512:
            do {
                let bytes = try await registry.ociBlob(namespace: repository.namespace, alias: Self.alias(digest))
                return try await registry.ociManifestVersion(
                    namespace: repository.namespace, artifact: repository.artifact, path: Self.manifestPath, address: bytes.address)
            } catch where error.kind == .blobNotFound {
                return nil
            } catch {
                throw OCIError(mapping: error)
            }
        }
    }

    static func alias(_ digest: OCIBlobDigest) -> Registry.OCIDigestAlias {
        Registry.OCIDigestAlias(algorithm: digest.algorithm, digest: digest.description)
    }

    private func storedManifest(_ repository: OCIRepositoryName, version: String) async throws(OCIError) -> VersionFile? {
        do {
            let committed = try await registry.version(namespace: repository.namespace, artifact: repository.artifact, version: version)
            return committed.files.first { $0.path == Self.manifestPath }
        } catch where error.kind == .versionNotFound || error.kind == .artifactNotFound {
            return nil
        } catch {
            throw OCIError(mapping: error)
        }
    }

    private func mapped<R>(_ body: () async throws -> R) async throws(OCIError) -> R {
        do {
            return try await body()
        } catch {
            throw OCIError(mapping: error)
        }
    }
}

/// The chunks of an upload session read in order, one blob after the other, then the closing
/// request's body if any, as one stream (what a closing ingest hashes and stores).
struct ChunkConcatenation: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let registry: Registry
    let uploadID: String
    let chunks: [Registry.OCIUploadChunk]
    let tail: ByteStream?

    struct AsyncIterator: AsyncIteratorProtocol {
        let registry: Registry
        let uploadID: String
        let chunks: [Registry.OCIUploadChunk]
        var tail: ByteStream?
        var index = 0
        var current: ByteStream.AsyncIterator?

        mutating func next() async throws -> ByteBuffer? {
            while true {
                if current == nil {
                    if index < chunks.count {
                        current = try await registry.ociOpenChunk(uploadID: uploadID, chunk: chunks[index]).makeAsyncIterator()
                        index += 1
                    } else if let last = tail {
                        current = last.makeAsyncIterator()
                        tail = nil
                    } else {
                        return nil
                    }
                }
                if let buffer = try await current?.next(isolation: #isolation) { return buffer }
                current = nil
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(registry: registry, uploadID: uploadID, chunks: chunks, tail: tail)
    }
}
