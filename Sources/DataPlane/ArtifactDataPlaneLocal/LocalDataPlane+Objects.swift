public import ArtifactDataPlane
public import ArtifactIdentity
import ArtifactStorage
public import ArtifactStoreCore
import Logging
import NIOCore

extension LocalDataPlane {
    public func serve(_ address: ContentAddress, range: ByteRange?, backendID: String?) async throws(DataPlaneError) -> ByteStream {
        let (backendID, backend) = try await backend(for: backendID)
        let path = Self.path(of: address)
        var storageRange: ClosedRange<UInt64>?
        if let range {
            guard let closed = range.closedRange else {
                throw DataPlaneError(.invalidRange, "byte range \(range) of \(address) ends before it starts", backendID: backendID)
            }
            if configuration.verifiesFullReads {
                return try await serveRange(address, closed, backendID: backendID, backend: backend)
            }
            storageRange = closed
        }
        let whole = range == nil && configuration.verifiesFullReads
        let stamping = whole && provedReads.trustDuration > .zero ? backend as? any StorageChangeStamping : nil
        let openedAt = provedReads.wallClockNanoseconds()
        let stream: ByteStream
        var stamp: StorageChangeStamp?
        var readWhole: ByteBuffer?
        do {
            if let stamping {
                switch try await stamping.readStamped(path, wholeUpTo: Self.provedInMemoryLimit) {
                case .whole(let buffer, let wholeStamp):
                    readWhole = buffer
                    stream = ByteStream(buffer)
                    stamp = wholeStamp
                case .streamed(let read):
                    stream = read.bytes
                    stamp = read.stamp
                }
            } else {
                stream = try await backend.read(path, range: storageRange)
            }
        } catch  where error.kind == .objectNotFound {
            throw .objectNotFound(address, backendID: backendID, underlying: error)
        } catch  where error.kind == .invalidRange {
            let size = (try? await backend.stat(path).size).map { "\($0) bytes" } ?? "size unknown"
            throw DataPlaneError(
                .rangeNotSatisfiable,
                "byte range \(range.map(\.description) ?? "") lies outside \(address) (\(size)) in backend \"\(backendID)\"",
                backendID: backendID,
                underlying: error
            )
        } catch {
            throw .storage(error, "read \(address)", backendID: backendID)
        }
        if let readWhole, let stamp {
            return try provedBuffer(readWhole, stamp: stamp, address: address, backendID: backendID, openedAt: openedAt)
        }
        guard whole else {
            return ServeStream(base: stream, address: address, backendID: backendID, proof: .none).byteStream
        }
        let key = VerifiedStamps.Key(backendID: backendID, address: address)
        let provedReads = self.provedReads
        let trusted = stamp.map { provedReads.trusts(key, $0) } ?? false
        // An object of one buffer is proved before the status line: damage is an error status,
        // never a success cut short.
        if !trusted, try await provedInMemory(stamp: stamp, address: address, backendID: backendID, backend: backend) {
            let whole = try await provedWhole(address, backendID: backendID, backend: backend, opened: stream)
            if let stamp { provedReads.record(key, stamp, openedAt: openedAt) }
            return ByteStream(whole)
        }
        guard let stamp else {
            return ServeStream(base: stream, address: address, backendID: backendID, proof: .hash).byteStream
        }
        return ServeStream(
            base: stream,
            address: address,
            backendID: backendID,
            proof: trusted ? .stamp : .hash,
            proved: { provedReads.record(key, stamp, openedAt: openedAt) },
            failed: { provedReads.forget(key) }
        ).byteStream
    }

    /// A small object read whole with its stamp: served at once when the stamp is trusted, else
    /// hashed first (and its stamp recorded); damage is `objectCorrupt` before any byte is sent.
    func provedBuffer(
        _ buffer: ByteBuffer,
        stamp: StorageChangeStamp,
        address: ContentAddress,
        backendID: String,
        openedAt: Int64
    ) throws(DataPlaneError) -> ByteStream {
        let key = VerifiedStamps.Key(backendID: backendID, address: address)
        if provedReads.trusts(key, stamp) {
            provedReads.record(key, stamp, openedAt: openedAt)
            return ByteStream(buffer)
        }
        try requireProof(of: buffer, address: address, backendID: backendID)
        provedReads.record(key, stamp, openedAt: openedAt)
        return ByteStream(buffer)
    }

    /// Whether a whole read should be proved in memory before it returns: the object (its size
    /// from the stamp, or a `stat` where the backend does not stamp) is at most one buffer.
    func provedInMemory(
        stamp: StorageChangeStamp?,
        address: ContentAddress,
        backendID: String,
        backend: any StorageBackend
    )
        async throws(DataPlaneError) -> Bool
    {
        if let stamp { return stamp.size <= Self.provedInMemoryLimit }
        do {
            return try await backend.stat(Self.path(of: address)).size <= Self.provedInMemoryLimit
        } catch  where error.kind == .objectNotFound {
            throw .objectNotFound(address, backendID: backendID, underlying: error)
        } catch {
            throw .storage(error, "stat \(address)", backendID: backendID)
        }
    }

    public func verify(_ address: ContentAddress, backendID: String?) async throws(DataPlaneError) -> VerifyResult {
        let (backendID, backend) = try await backend(for: backendID)
        let path = Self.path(of: address)
        let key = VerifiedStamps.Key(backendID: backendID, address: address)
        let openedAt = provedReads.wallClockNanoseconds()
        let stream: ByteStream
        var stamp: StorageChangeStamp?
        var readWhole: ByteBuffer?
        do {
            if let stamping = backend as? any StorageChangeStamping {
                let read = try await stamping.readStamped(path, range: nil)
                stream = read.bytes
                stamp = read.stamp
            } else {
                stream = try await backend.read(path, range: nil)
            }
        } catch  where error.kind == .objectNotFound {
            provedReads.forget(key)
            throw .objectNotFound(address, backendID: backendID, underlying: error)
        } catch {
            throw .storage(error, "read \(address)", backendID: backendID)
        }
        let digests: DualDigest
        do {
            let unchecked = ByteStream(ServeStream(base: stream, address: address, backendID: backendID, proof: .none))
            digests = try await DualDigester.digest(unchecked, configuration: configuration.digester)
        } catch {
            provedReads.forget(key)
            throw DataPlaneError.reading(error, address, backendID: backendID)
        }
        let actual = digests.digest(for: address.algorithm)
        let verified = actual == address.digest
        if verified, let stamp {
            provedReads.record(key, stamp, openedAt: openedAt)
        } else {
            provedReads.forget(key)
        }
        if !verified {
            logger.error(
                "stored object does not match its address",
                metadata: ["dataplane.address": "\(address)", "dataplane.backend": "\(backendID)", "dataplane.actual": "\(actual)"]
            )
        }
        return VerifyResult(
            address: address,
            backendID: backendID,
            verified: verified,
            actualPrimaryDigest: actual,
            actualSHA256Digest: digests.sha256,
            actualBLAKE3Digest: digests.blake3,
            actualSize: digests.size,
            mismatch: verified ? nil : "the \(digests.size) stored bytes hash to \(actual), not \(address)"
        )
    }

    public func delete(_ address: ContentAddress, backendID: String?) async throws(DataPlaneError) -> DeletionResult {
        let (backendID, backend) = try await backend(for: backendID)
        let path = Self.path(of: address)
        let gone = DeletionResult(address: address, backendID: backendID, removed: false, bytesRemoved: 0)
        provedReads.forget(VerifiedStamps.Key(backendID: backendID, address: address))
        provedOutboards.forget(ProvedOutboardCache.Key(backendID: backendID, address: address))
        // The outboard first: an outboard without its object is harmless, the reverse is not
        // possible to leave behind.
        do {
            try await backend.delete(Self.outboardPath(of: address))
        } catch  where error.kind == .objectNotFound {
            // Small objects have none.
        } catch {
            throw .storage(error, "delete the outboard of \(address)", backendID: backendID)
        }
        let size: UInt64
        do {
            size = try await backend.stat(path).size
        } catch  where error.kind == .objectNotFound {
            return gone
        } catch {
            throw .storage(error, "stat \(address)", backendID: backendID)
        }
        do {
            try await backend.delete(path)
        } catch  where error.kind == .objectNotFound {
            // Deleted concurrently: this call removed nothing.
            return gone
        } catch {
            throw .storage(error, "delete \(address)", backendID: backendID)
        }
        logger.debug(
            "deleted",
            metadata: ["dataplane.address": "\(address)", "dataplane.backend": "\(backendID)", "dataplane.size": "\(size)"]
        )
        return DeletionResult(address: address, backendID: backendID, removed: true, bytesRemoved: size)
    }
}
