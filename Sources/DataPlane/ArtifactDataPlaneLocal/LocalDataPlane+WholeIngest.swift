import ArtifactDataPlane
import ArtifactIdentity
import ArtifactStorage
import ArtifactStoreCore
import Logging
import NIOCore

extension LocalDataPlane {
    /// The largest promised size that is ingested whole (``ingestWhole(_:size:hints:backendID:backend:)``):
    /// just under 1 MiB, the size from which an object's write is stamped on any stamping
    /// backend (``writeStamping(of:in:)``).
    static let wholeIngestLimit: UInt64 = minimumStampedWriteSize - 1

    /// Ingests a stream whose promised size (`size`, the hints' `expectedSize`) is at most
    /// ``wholeIngestLimit``: it is read into memory and hashed first, then written straight under
    /// its content address.
    ///
    /// Exists because most blobs are small, and for them the general path's steps cost more than
    /// the bytes: writing a temporary, then moving it under its address, is three trips to the
    /// file thread pool and two directories changed on a local disk (a HEAD, COPY and DELETE more
    /// on S3). Knowing the address before writing makes it one write of a named object, and an
    /// object already stored costs no write at all. Promises what ``ingest(_:hints:)`` promises:
    /// nothing is stored unless size and digests match; memory is bounded by the promised size
    /// (a stream that runs past it is stopped, `sizeLimitExceeded`).
    func ingestWhole(
        _ stream: ByteStream,
        size: UInt64,
        hints: IngestHints,
        backendID: String,
        backend: any StorageBackend
    ) async throws(DataPlaneError) -> IngestResult {
        let monitor = IngestMonitor()
        let bytes: ByteBuffer
        let digests: DualDigest
        do {
            bytes = try await Self.collect(stream, limit: size, monitor: monitor)
            (_, digests) = try await DualDigester.withSession(configuration: Self.digester(configuration.digester, for: hints)) { session in
                try await session.update(bytes)
            }
        } catch {
            throw Self.ingestFailure(error, monitor: monitor, backendID: backendID)
        }
        try Self.check(digests, against: hints)

        let primary = digests.digest(for: hints.primaryAlgorithm)
        let address = ContentAddress(primary)
        let destination = Self.path(of: address)
        var deduplicated = false
        var repaired = false
        var info: StorageObjectInfo
        // Stamped where the backend sees every later change: the first whole read is then proved
        // by the stamp of the file written here, since these bytes were hashed on their way in.
        var written: StorageChangeStamp?
        do {
            do {
                // The SHA-256 just computed of these very bytes: S3 signs it rather than hashing them again.
                let options = StorageWriteOptions(overwrite: false, contentSHA256: digests.sha256.hex)
                if let stamping = writeStamping(of: size, in: backend) {
                    let stamped = try await stamping.writeStamped(destination, from: ByteStream(bytes), options: options)
                    (info, written) = (stamped.info, stamped.stamp)
                } else {
                    info = try await backend.write(destination, from: ByteStream(bytes), options: options)
                }
            } catch  where error.kind == .alreadyExists {
                // Stored already (or by a concurrent ingest that just committed). A stored object
                // of the wrong size is damaged: replace it with these bytes. As on the general
                // path, a concurrent collection may delete the object after this; the control
                // plane's link step re-verifies a collected blob.
                if let existing = try await durableStoredCopy(
                    of: address,
                    at: destination,
                    size: digests.size,
                    backendID: backendID,
                    backend: backend
                ) {
                    deduplicated = true
                    info = existing
                } else {
                    // Cut short, or failing its proof: these bytes, proved in line, take its place.
                    info = try await backend.write(destination, from: ByteStream(bytes), options: StorageWriteOptions(overwrite: true))
                    repaired = true
                }
            }
        } catch {
            if Task.isCancelled {
                throw DataPlaneError(
                    .cancelled,
                    "ingest into backend \"\(backendID)\" was cancelled; nothing was stored",
                    backendID: backendID,
                    underlying: error
                )
            }
            throw .storage(error, "store \(address)", backendID: backendID)
        }
        if let written {
            provedReads.recordWritten(VerifiedStamps.Key(backendID: backendID, address: address), written)
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

    /// All of `stream` in one buffer, refusing (and recording in `monitor`) a stream of more
    /// than `limit` bytes or one that fails.
    static func collect(_ stream: ByteStream, limit: UInt64, monitor: IngestMonitor) async throws -> ByteBuffer {
        if let whole = stream.wholeBuffer, UInt64(whole.readableBytes) <= limit { return whole }
        var collected: ByteBuffer?
        var seen: UInt64 = 0
        var iterator = stream.makeAsyncIterator()
        while true {
            let next: ByteBuffer?
            do {
                next = try await iterator.next(isolation: #isolation)
            } catch {
                monitor.record(.sourceFailed(error))
                throw error
            }
            guard var buffer = next else { break }
            try Task.checkCancellation()
            seen += UInt64(buffer.readableBytes)
            guard seen <= limit else {
                monitor.record(.limitExceeded(limit: limit, seen: seen))
                throw DataPlaneError(.sizeLimitExceeded, "the stream ran past its expected size of \(limit) bytes")
            }
            if collected == nil {
                // The first buffer is kept as it is when it turns out to be the only one.
                collected = buffer
            } else {
                collected!.reserveCapacity(minimumWritableBytes: Int(limit) - collected!.readableBytes)
                collected!.writeBuffer(&buffer)
            }
        }
        return collected ?? ByteBuffer()
    }
}
