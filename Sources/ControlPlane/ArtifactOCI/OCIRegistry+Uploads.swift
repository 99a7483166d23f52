public import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactIdentity
import ArtifactStoreAPI
public import ArtifactStoreCore
import Foundation
import NIOCore
import SQLKit

/// Blob uploads: monolithic, and durable sessions of chunks (docs/oci.md, "Uploads").
extension OCIRegistry {
    /// A whole blob in one request (`POST ?digest=`, or `PUT` of a session without chunks):
    /// streamed into one ingest that checks the digest (and `size` when known). A SHA-256 digest
    /// is checked by the data plane; a SHA-512 one by a ``SHA512VerifyingSequence`` around
    /// `body`, and the blob is then linked with its `sha512` → address mapping.
    ///
    /// - Throws: `DIGEST_INVALID` (nothing stored), `SIZE_INVALID`, `NAME_UNKNOWN`.
    public func ingest(
        _ repository: OCIRepositoryName,
        digest: OCIBlobDigest,
        body: ByteStream,
        size: UInt64?,
        context: RequestContext
    ) async throws(OCIError) -> LinkedBlob {
        try await ingest(repository, digest: digest, body: body, size: size, context: context, finishing: nil)
    }

    /// ``ingest(_:digest:body:size:context:)`` that, when `uploadID` is given, ends that session
    /// with the blob in the transaction that links it (``OCIStore/recordFinish(_:namespace:result:context:at:in:)``):
    /// one transaction for a monolithic `PUT`, not two.
    func ingest(
        _ repository: OCIRepositoryName,
        digest: OCIBlobDigest,
        body: ByteStream,
        size: UInt64?,
        context: RequestContext,
        finishing uploadID: String?
    ) async throws(OCIError) -> LinkedBlob {
        let finish = uploadID.map { id -> @Sendable (any SQLDatabase, LinkedBlob, Int64) async throws -> Void in
            { db, blob, now in
                _ = try await OCIStore.recordFinish(id, namespace: repository.namespace, result: blob, context: context, at: now, in: db)
            }
        }
        switch digest {
        case .sha256(let sha256):
            return try await mapped {
                try await registry.ingestBlob(
                    namespace: repository.namespace,
                    body,
                    hints: IngestHints(sizeHint: size, expectedDigest: sha256, expectedSize: size),
                    context: context,
                    thenRecording: finish
                )
            }
        case .sha512(let hex):
            let verdict = SHA512VerifyingSequence.Verdict()
            let checked = ByteStream(SHA512VerifyingSequence(base: body, expectedHex: hex, verdict: verdict))
            do {
                return try await store.ingestBlob(
                    namespace: repository.namespace,
                    checked,
                    hints: IngestHints(sizeHint: size, expectedSize: size),
                    alias: Self.alias(digest),
                    verified: { verdict.matched },
                    context: context,
                    thenRecording: finish
                )
            } catch {
                // The data plane wraps its source's failure; the mismatch is the answer.
                if let mismatch = verdict.mismatch { throw mismatch }
                throw OCIError(mapping: error)
            }
        }
    }

    /// Starts a durable upload session.
    public func startUpload(_ repository: OCIRepositoryName, context: RequestContext) async throws(OCIError) -> OCIUploadSession {
        try await mapped { try await store.startUpload(namespace: repository.namespace, artifact: repository.artifact, context: context) }
    }

    /// Links `digest` from repository `source` into `repository` (a cross-repository mount);
    /// `nil` when `source`'s namespace does not have it. The caller checks read access to `source`.
    public func mount(
        _ repository: OCIRepositoryName,
        digest: OCIBlobDigest,
        from source: OCIRepositoryName,
        context: RequestContext
    ) async throws(OCIError) -> LinkedBlob? {
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
        return try await mapped {
            try await store.mountBlob(digest: found, from: source.namespace, into: repository.namespace, context: context)
        }
    }

    /// The session `id` of `repository`. - Throws: `BLOB_UPLOAD_UNKNOWN`.
    public func upload(_ repository: OCIRepositoryName, id: String) async throws(OCIError) -> OCIUploadSession {
        guard
            let session = try await mapped({
                try await store.upload(id: id, namespace: repository.namespace, artifact: repository.artifact)
            })
        else {
            throw OCIError(
                .blobUploadUnknown,
                "upload \"\(NameGrammar.printable(id))\" of \(repository) does not exist (finished, cancelled or expired)"
            )
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
        _ repository: OCIRepositoryName,
        id: String,
        start: UInt64?,
        body: ByteStream,
        size: UInt64?,
        context: RequestContext
    ) async throws(OCIError) -> OCIUploadSession {
        let session = try await upload(repository, id: id)
        let offset = start ?? session.offset
        guard offset == session.offset else {
            throw Self.outOfOrder(session, start: offset)
        }
        if size == 0 { return session }
        if session.chunkCount == 0, let staging = store.stagingDataPlane {
            return try await appendStaged(repository, session: session, body: body, size: size, staging: staging, context: context)
        }
        let outcome = try await mapped {
            try await store.appendChunk(
                uploadID: id,
                namespace: repository.namespace,
                artifact: repository.artifact,
                at: offset,
                body,
                hints: IngestHints(sizeHint: size, expectedSize: size),
                context: context
            )
        }
        switch outcome {
        case .appended(let updated): return updated
        case .offsetMismatch(let current): throw Self.outOfOrder(current, start: offset)
        case .unknownSession:
            throw OCIError(.blobUploadUnknown, "upload \"\(NameGrammar.printable(id))\" of \(repository) ended while the chunk arrived")
        }
    }

    static func outOfOrder(_ session: OCIUploadSession, start: UInt64) -> OCIError {
        OCIError(
            .rangeInvalid,
            "chunk starts at byte \(start) but upload \(session.id) holds \(session.offset) bytes; send the chunk starting at \(session.offset)",
            receivedBytes: session.offset
        )
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
        _ repository: OCIRepositoryName,
        id: String,
        digest: OCIBlobDigest,
        finalBody: ByteStream?,
        finalSize: UInt64?,
        context: RequestContext
    ) async throws(OCIError) -> LinkedBlob {
        let session = try await upload(repository, id: id)
        if session.chunkCount == 0, session.offset > 0, let staging = store.stagingDataPlane {
            return try await finishStaged(
                repository,
                session: session,
                digest: digest,
                finalBody: finalBody,
                finalSize: finalSize,
                staging: staging,
                context: context
            )
        }
        if let finalBody, session.chunkCount == 0 {
            // POST then PUT with the whole body: one ingest that checks the digest, as a
            // monolithic upload (a wrong digest stores nothing), and the session ends in the
            // transaction that links the blob.
            return try await ingest(repository, digest: digest, body: finalBody, size: finalSize, context: context, finishing: id)
        }
        let chunks = try await mapped { try await store.uploadChunks(uploadID: id) }
        let result: LinkedBlob
        if finalBody == nil, chunks.count == 1, case .sha256(let sha256) = digest {
            guard chunks[0].sha256 == sha256 else {
                throw OCIError(.digestInvalid, "upload \(id) has digest \(chunks[0].sha256), not \(digest); nothing was stored")
            }
            // The one chunk is the blob: linked as it is, and the session ends in the same step.
            let linked = try await mapped {
                try await store.finishUploadWithChunk(
                    uploadID: id,
                    namespace: repository.namespace,
                    artifact: repository.artifact,
                    chunk: chunks[0],
                    context: context
                )
            }
            guard let linked else {
                throw OCIError(
                    .blobUploadUnknown,
                    "upload \"\(NameGrammar.printable(id))\" of \(repository) ended while it was being closed"
                )
            }
            return linked
        } else {
            // The held chunks, then the closing body (never recorded as a chunk, so a wrong
            // digest leaves the session as it was), through one ingest that checks the digest.
            let held = chunks.reduce(UInt64(0)) { $0 + $1.size }
            let total = finalBody == nil ? held : finalSize.map { held + $0 }
            let stream = ByteStream(ChunkConcatenation(store: store, uploadID: id, chunks: chunks, tail: finalBody))
            result = try await ingest(repository, digest: digest, body: stream, size: total, context: context)
        }
        _ = try await mapped {
            try await store.finishUpload(uploadID: id, namespace: repository.namespace, result: result, context: context)
        }
        return result
    }

    /// Cancels session `id`. - Throws: `BLOB_UPLOAD_UNKNOWN`.
    public func cancelUpload(_ repository: OCIRepositoryName, id: String, context: RequestContext) async throws(OCIError) {
        let cancelled = try await mapped {
            try await store.cancelUpload(uploadID: id, namespace: repository.namespace, artifact: repository.artifact, context: context)
        }
        guard cancelled else {
            throw OCIError(.blobUploadUnknown, "upload \"\(NameGrammar.printable(id))\" of \(repository) does not exist")
        }
    }
}
