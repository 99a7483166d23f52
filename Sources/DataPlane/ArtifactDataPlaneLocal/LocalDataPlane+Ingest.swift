public import ArtifactDataPlane
import ArtifactIdentity
import ArtifactStorage
public import ArtifactStoreCore
import Foundation
import Logging

extension LocalDataPlane {
    public func ingest(_ stream: ByteStream, hints: IngestHints) async throws(DataPlaneError) -> IngestResult {
        let (backendID, backend) = try await backend(for: hints.backendID)
        if let size = hints.expectedSize, size <= Self.wholeIngestLimit {
            return try await ingestWhole(stream, size: size, hints: hints, backendID: backendID, backend: backend)
        }
        let temporary = Self.temporaryPath()
        let monitor = IngestMonitor()
        // BLAKE3-addressed objects keep their tree's interior hashes, for proved ranges; the
        // builder of that tree is the ingest's BLAKE3 (its root is the hash).
        let state = Self.digestState(primary: hints.primaryAlgorithm)

        // One pass: the backend pulls from the tee, the tee feeds the digest session.
        let digests: DualDigest
        let written: StorageObjectInfo
        do {
            written = try await DualDigester.withSession(resuming: state, configuration: Self.digester(configuration.digester, for: hints))
            {
                session in
                // Small network-sized buffers are coalesced first: hashing and writing pay per buffer.
                let tee = IngestTee(
                    base: stream.coalesced(minimum: Self.ingestBufferSize),
                    session: session,
                    expectedSize: hints.expectedSize,
                    monitor: monitor
                )
                // The temporary's bytes are durable when this returns; its name need not be, as
                // only the move below gives the object a name anything relies on.
                return try await backend.write(
                    temporary,
                    from: ByteStream(tee),
                    options: StorageWriteOptions(overwrite: false, durableName: false)
                )
            }
            digests = state.digest()
        } catch {
            await discard(temporary, in: backend, backendID: backendID)
            throw Self.ingestFailure(error, monitor: monitor, backendID: backendID)
        }

        do throws(DataPlaneError) {
            try Self.check(digests, against: hints)
        } catch {
            await discard(temporary, in: backend, backendID: backendID)
            throw error
        }

        let primary = digests.digest(for: hints.primaryAlgorithm)
        let address = ContentAddress(primary)
        let destination = Self.path(of: address)
        // The object's first whole read is proved by the stamp of the file this ingest wrote
        // (``VerifiedStamps/recordWritten(_:_:)``) rather than by hashing it again.
        let stamping = writeStamping(of: digests.size, in: backend)
        let writtenStamp = try? await stamping?.statStamped(temporary).stamp
        var deduplicated = false
        var repaired = false
        // What the receipt reports: the bytes as written (a rename changes neither their size nor
        // their time), or the object already stored.
        var info = StorageObjectInfo(path: destination, size: written.size, modified: written.modified)
        do {
            do {
                try await backend.move(
                    from: temporary,
                    to: destination,
                    options: StorageMoveOptions(overwrite: false, durableSource: false)
                )
            } catch  where error.kind == .alreadyExists {
                // The content is already stored (or another ingest of it just committed).
                // A stored object of the wrong size is damaged: replace it with these bytes.
                if let existing = try await durableStoredCopy(
                    of: address,
                    at: destination,
                    size: digests.size,
                    backendID: backendID,
                    backend: backend
                ) {
                    deduplicated = true
                    info = existing
                    await discard(temporary, in: backend, backendID: backendID)
                } else {
                    // Cut short, or failing its proof: these bytes, proved by this ingest, take its place.
                    try await backend.move(
                        from: temporary,
                        to: destination,
                        options: StorageMoveOptions(overwrite: true, durableSource: false)
                    )
                    repaired = true
                }
            }
        } catch {
            await discard(temporary, in: backend, backendID: backendID)
            if Task.isCancelled {
                throw DataPlaneError(
                    .cancelled,
                    "ingest into backend \"\(backendID)\" was cancelled; nothing was stored",
                    backendID: backendID,
                    underlying: error
                )
            }
            throw .storage(error, "commit \(address)", backendID: backendID)
        }

        // No stat of the destination here: a garbage collection that had already decided to delete
        // these bytes (a blob unreferenced past its grace period, pushed again now) may delete
        // them at any moment after the move; whoever records the result must not acknowledge them
        // without checking (the control plane's link step re-verifies a collected blob and answers
        // `blobCollected`), and a stat now would prove nothing later. The stamp taken after the
        // move is only for the object's first read (above).
        await storeOutboard(
            from: state.blake3Accumulator as? OutboardBuilder,
            of: address,
            size: digests.size,
            backendID: backendID,
            backend: backend
        )
        if let stamping, let writtenStamp, !deduplicated,
            let stamped = try? await stamping.statStamped(destination), stamped.stamp.isSameIncarnation(as: writtenStamp)
        {
            provedReads.recordWritten(VerifiedStamps.Key(backendID: backendID, address: address), stamped.stamp)
        }
        return ingested(
            address,
            digests,
            primary: primary,
            backendID: backendID,
            stored: info,
            deduplicated: deduplicated,
            repaired: repaired
        )
    }

    /// The result of an ingest that stored (or found) `address`, logged.
    func ingested(
        _ address: ContentAddress,
        _ digests: DualDigest,
        primary: Digest,
        backendID: String,
        stored info: StorageObjectInfo,
        deduplicated: Bool,
        repaired: Bool = false
    ) -> IngestResult {
        logger.debug(
            "ingested",
            metadata: [
                "dataplane.address": "\(address)", "dataplane.backend": "\(backendID)",
                "dataplane.size": "\(digests.size)", "dataplane.deduplicated": "\(deduplicated)",
            ]
        )
        return IngestResult(
            primaryDigest: primary,
            sha256Digest: digests.sha256,
            blake3Digest: digests.blake3,
            size: digests.size,
            receipt: StorageReceipt(
                backendID: backendID,
                storageKey: address.storageKey,
                size: info.size,
                storedAt: info.modified,
                deduplicated: deduplicated,
                repaired: repaired
            )
        )
    }

    /// Stores the outboard an ingest built beside the object it committed (or found), for objects
    /// too large to be proved in memory; an outboard that does not prove the address is a bug,
    /// logged and not stored.
    func storeOutboard(
        from builder: OutboardBuilder?,
        of address: ContentAddress,
        size: UInt64,
        backendID: String,
        backend: any StorageBackend
    ) async {
        guard size > Self.provedInMemoryLimit, let (outboard, root) = builder?.finish() else { return }
        guard root == address.digest else {
            logger.error("an ingest's outboard does not prove its address", metadata: ["dataplane.address": "\(address)"])
            return
        }
        await storeOutboard(outboard, of: address, backendID: backendID, backend: backend)
    }

    /// Warns that the object stored under `address` is damaged (cut short, or its bytes fail their
    /// proof) and is being replaced by an ingest of its content: a repair.
    func logReplacingDamaged(_ address: ContentAddress, backendID: String, storedSize: UInt64, size: UInt64) {
        provedReads.forget(VerifiedStamps.Key(backendID: backendID, address: address))
        logger.warning(
            "repairing a damaged stored object with the bytes of a new ingest of its content",
            metadata: [
                "dataplane.address": "\(address)", "dataplane.backend": "\(backendID)",
                "dataplane.storedSize": "\(storedSize)", "dataplane.size": "\(size)",
            ]
        )
    }

    /// The running digests of one ingest (or stage): for a BLAKE3-addressed object its
    /// ``OutboardBuilder`` computes the BLAKE3 hash (the root of the tree it keeps), so the bytes
    /// are hashed with BLAKE3 once, not once for the digest and again for the outboard.
    static func digestState(primary: DigestAlgorithm) -> DualDigestState {
        primary == .blake3 ? DualDigestState(blake3: OutboardBuilder()) : DualDigestState()
    }

    /// The digester for one ingest: in line (no hand-off to a SHA-256 task) when the stream is
    /// known to fit in one coalesced buffer, where a second task would only add a hop each way.
    static func digester(_ configured: DualDigester.Configuration, for hints: IngestHints) -> DualDigester.Configuration {
        guard let size = hints.expectedSize, size <= UInt64(ingestBufferSize) else { return configured }
        var inline = configured
        inline.concurrent = false
        return inline
    }

    /// The backend to stamp an ingest of `size` bytes with, so that its first whole read is proved
    /// by that stamp instead of a second hash; `nil` when the write is not to be stamped.
    ///
    /// Only when whole reads are proved by stamps at all. An object of ``minimumStampedWriteSize``
    /// or more is stamped on any backend that stamps: hashing it again would cost far more than
    /// the `fstat`, which leaves only a foreign write in the same tick of a coarse clock unseen
    /// (``VerifiedStamps/recordWritten(_:_:)``). A smaller one only where every later change
    /// moves the stamp (``StorageChangeStamping/stampsEveryLaterChange``): there trusting the
    /// ingest's own hash costs nothing in safety, and saves its first read the hash.
    func writeStamping(of size: UInt64, in backend: any StorageBackend) -> (any StorageChangeStamping)? {
        guard configuration.verifiesFullReads, provedReads.trustDuration > .zero, let stamping = backend as? any StorageChangeStamping
        else { return nil }
        return size >= Self.minimumStampedWriteSize || stamping.stampsEveryLaterChange ? stamping : nil
    }

    /// 1 MiB.
    static let minimumStampedWriteSize: UInt64 = 1 << 20

    /// Checks the promised size and digest; a mismatch names both values.
    static func check(_ digests: DualDigest, against hints: IngestHints) throws(DataPlaneError) {
        if let expected = hints.expectedSize, expected != digests.size {
            throw DataPlaneError(
                .sizeMismatch,
                "expected \(expected) bytes, the stream had \(digests.size) bytes; nothing was stored",
                backendID: hints.backendID
            )
        }
        if let expected = hints.expectedDigest {
            let actual = digests.digest(for: expected.algorithm)
            if actual != expected {
                throw DataPlaneError(
                    .digestMismatch,
                    "expected digest \(expected), the stream's \(digests.size) bytes have \(actual); nothing was stored",
                    backendID: hints.backendID
                )
            }
        }
    }

    /// Names why the write of the temporary failed: the expected size overrun, cancellation, the
    /// caller's stream, or the backend.
    static func ingestFailure(_ error: any Error, monitor: IngestMonitor, backendID: String) -> DataPlaneError {
        switch monitor.event {
        case .limitExceeded(let limit, let seen):
            return DataPlaneError(
                .sizeLimitExceeded,
                "expected \(limit) bytes, the stream sent at least \(seen) bytes and was stopped; nothing was stored",
                backendID: backendID
            )
        case .sourceFailed(let source) where !(source is CancellationError):
            return DataPlaneError(
                .streamFailed,
                "the byte stream failed after some bytes were received: \(source); nothing was stored",
                backendID: backendID,
                underlying: source
            )
        default:
            break
        }
        if Task.isCancelled || Self.isCancellation(error) {
            return DataPlaneError(
                .cancelled,
                "ingest into backend \"\(backendID)\" was cancelled; nothing was stored",
                backendID: backendID,
                underlying: error
            )
        }
        if let error = error as? StorageError {
            return .storage(error, "write an ingest temporary", backendID: backendID)
        }
        if let error = error as? DataPlaneError { return error }
        return DataPlaneError(
            .storage,
            "ingest into backend \"\(backendID)\" failed: \(error); nothing was stored",
            backendID: backendID,
            underlying: error
        )
    }

    static func isCancellation(_ error: any Error) -> Bool {
        var current: (any Error)? = error
        while let error = current {
            if error is CancellationError { return true }
            current = (error as? any ArtifactStoreError)?.underlying
        }
        return false
    }

    /// Deletes an ingest temporary, even when the calling task has been cancelled (the delete
    /// runs in a detached task, which the caller's cancellation does not reach), and waits for it.
    func discard(_ temporary: StoragePath, in backend: any StorageBackend, backendID: String) async {
        let logger = self.logger
        await Task.detached {
            do {
                try await backend.delete(temporary)
            } catch let error as StorageError where error.kind == .objectNotFound {
                _ = error
                // The write never committed its temporary: nothing to remove.
            } catch {
                logger.warning(
                    "could not remove an ingest temporary",
                    metadata: ["dataplane.backend": "\(backendID)", "dataplane.path": "\(temporary)", "error": "\(error)"]
                )
            }
        }.value
    }
}
