import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactStoreAPI
import ArtifactStoreCore

/// Upload sessions stored as one stage of the data plane (``OCIStore``'s staged sessions): a
/// `PATCH` is appended and hashed as it arrives, and the close commits the stage, so a chunked
/// upload writes every byte once, as a monolithic one does.
extension OCIRegistry {
    /// Appends `body` to the stage of `session` (whose offset the caller has checked) and records
    /// the new offset. The piece is durable before the offset is recorded, and the offset before
    /// this returns.
    ///
    /// - Throws: `RANGE_INVALID` (416, with the bytes held) when another piece of the session got
    ///   there first; `SIZE_INVALID`; `BLOB_UPLOAD_UNKNOWN`; `DENIED` when the piece with the
    ///   earlier ones does not fit the namespace's quota (nothing appended).
    func appendStaged(
        _ repository: OCIRepositoryName,
        session: OCIUploadSession,
        body: ByteStream,
        size: UInt64?,
        staging: any StagedIngesting,
        context: RequestContext
    ) async throws(OCIError) -> OCIUploadSession {
        let length: UInt64
        let namespace = try await mapped { try await registry.namespace(repository.namespace) }
        do {
            // The stage's earlier pieces count against the room the namespace's quota leaves.
            length = try await registry.withinQuota(body, namespace: namespace, declared: size, holding: session.offset) { limited in
                try await staging.appendStaged(
                    OCIStore.stageName(session.id),
                    at: session.offset,
                    limited,
                    hints: IngestHints(sizeHint: size, expectedSize: size)
                )
            }
        } catch let error as DataPlaneError where error.kind == .rangeNotSatisfiable {
            let current = try await upload(repository, id: session.id)
            throw Self.outOfOrder(current, start: session.offset)
        } catch {
            throw OCIError(mapping: ControlPlaneError.wrapping(error, "appending a chunk to upload \(session.id)"))
        }
        let outcome = try await mapped {
            try await store.recordStagedAppend(
                uploadID: session.id,
                namespace: repository.namespace,
                artifact: repository.artifact,
                from: session.offset,
                to: length,
                context: context
            )
        }
        switch outcome {
        case .appended(let updated): return updated
        case .offsetMismatch(let current): throw Self.outOfOrder(current, start: session.offset)
        case .unknownSession:
            throw OCIError(
                .blobUploadUnknown,
                "upload \"\(NameGrammar.printable(session.id))\" of \(repository) ended while the chunk arrived"
            )
        }
    }

    /// Closes a staged session as the blob `digest`: `finalBody` (if any) is appended to the stage
    /// without being recorded, then the stage is committed with the digest checked (SHA-256 by the
    /// digests kept while the pieces arrived; SHA-512 by one read of the stage, which this data
    /// plane does not hash), linked, and the session ends. A mismatch stores nothing and leaves
    /// the session as it was before the close.
    func finishStaged(
        _ repository: OCIRepositoryName,
        session: OCIUploadSession,
        digest: OCIBlobDigest,
        finalBody: ByteStream?,
        finalSize: UInt64?,
        staging: any StagedIngesting,
        context: RequestContext
    ) async throws(OCIError) -> LinkedBlob {
        let name = OCIStore.stageName(session.id)
        _ = try await mapped { try await registry.namespace(repository.namespace) }
        let result: LinkedBlob
        do {
            var length = session.offset
            if let finalBody {
                length = try await staging.appendStaged(
                    name,
                    at: session.offset,
                    finalBody,
                    hints: IngestHints(sizeHint: finalSize, expectedSize: finalSize)
                )
            }
            switch digest {
            case .sha256(let sha256):
                let ingested = try await staging.commitStaged(name, length: length, hints: IngestHints(expectedDigest: sha256))
                result = try await store.linkStaged(ingested, namespace: repository.namespace, context: context)
            case .sha512:
                let bytes = try await staging.readStaged(name, length: length, backendID: nil)
                result = try await ingest(repository, digest: digest, body: bytes, size: length, context: context)
                try await staging.discardStaged(name, backendID: nil)
            }
        } catch let error as OCIError {
            throw error
        } catch let error as DataPlaneError where error.kind == .rangeNotSatisfiable {
            throw Self.outOfOrder(try await upload(repository, id: session.id), start: session.offset)
        } catch {
            throw OCIError(mapping: ControlPlaneError.wrapping(error, "closing upload \(session.id)"))
        }
        _ = try await mapped {
            try await store.finishUpload(uploadID: session.id, namespace: repository.namespace, result: result, context: context)
        }
        return result
    }
}
