import ArtifactBLAKE3
import ArtifactDataPlane
import ArtifactIdentity
import ArtifactStorage
import ArtifactStoreCore
import Logging
import NIOCore

extension LocalDataPlane {
    /// The largest object proved whole, in memory, before `serve` returns: its status line
    /// is then sent only for bytes already proved (1 MiB, the size of the small ingest path).
    static let provedInMemoryLimit: UInt64 = minimumStampedWriteSize

    /// Where the outboard of `address` lives: `outboards/<algorithm>/<hex 0-2>/<hex 2-4>/<hex>`.
    static func outboardPath(of address: ContentAddress) -> StoragePath {
        // The object's segments (`blobs/…`) under `outboards/` instead: always a valid path.
        var segments = address.storageKeySegments
        segments[0] = "outboards"
        return try! StoragePath(segments: segments)
    }

    /// A ranged read, proved before any byte leaves: an object of at most
    /// ``provedInMemoryLimit`` is read and hashed whole first; a larger one is proved group by
    /// group with its outboard (built by a whole proof when it has none, or one that does not
    /// prove). The range's first group is proved before this returns, so damage there is an
    /// error status, not a cut connection.
    ///
    /// The outboard entries proved are kept (``ProvedOutboardCache``): a range of an object read
    /// before costs one open of the object and the hash of the groups that cover it.
    func serveRange(
        _ address: ContentAddress,
        _ range: ClosedRange<UInt64>,
        backendID: String,
        backend: any StorageBackend
    ) async throws(DataPlaneError) -> ByteStream {
        let key = ProvedOutboardCache.Key(backendID: backendID, address: address)
        let kept = provedOutboards.entries(key)
        var proof: OutboardProof
        if let kept {
            proof = OutboardProof(entries: kept, read: Self.outboardReader(address, backend: backend))
            if range.upperBound >= kept.layout.size {
                // A refusal is not served from memory: another process may have deleted the
                // object since its proof was kept, and a deleted object is objectNotFound
                // whatever the range. Only this failure path pays for the `stat`.
                _ = try await storedSize(address, key: key, backendID: backendID, backend: backend)
            }
            try Self.checkRange(range, address, size: kept.layout.size, backendID: backendID)
        } else {
            let size = try await storedSize(address, key: key, backendID: backendID, backend: backend)
            try Self.checkRange(range, address, size: size, backendID: backendID)
            if size <= Self.provedInMemoryLimit {
                let whole = try await provedWhole(address, backendID: backendID, backend: backend)
                return ByteStream(whole.getSlice(at: whole.readerIndex + Int(range.lowerBound), length: range.count)!)
            }
            guard address.algorithm == .blake3 else {
                throw DataPlaneError(
                    .rangeUnverifiable,
                    "a range of \(address) (\(size) bytes) cannot be proved without reading it whole, as its address is not a BLAKE3 "
                        + "tree; read it whole or by its BLAKE3 address",
                    backendID: backendID
                )
            }
            proof = try await outboardProof(address, size: size, backendID: backendID, backend: backend)
        }
        let first = Int(range.lowerBound / UInt64(OutboardLayout.groupSize))
        let last = Int(range.upperBound / UInt64(OutboardLayout.groupSize))
        do {
            // Every block of CVs the range needs is proved now, one per 16 MiB of range, so a
            // damaged outboard is rebuilt before the status line rather than cutting the stream.
            try await Self.proveBlocks(&proof, groups: first...last)
        } catch {
            logger.warning(
                "rebuilding a damaged outboard",
                metadata: ["dataplane.address": "\(address)", "dataplane.backend": "\(backendID)"]
            )
            proof = try await rebuildOutboard(address, backendID: backendID, backend: backend)
            do {
                try await Self.proveBlocks(&proof, groups: first...last)
            } catch {
                throw DataPlaneError(
                    .objectCorrupt,
                    "the outboard just built for \(address) does not prove it: \(error)",
                    backendID: backendID
                )
            }
        }
        if kept?.blocks.count != proof.entries.blocks.count { provedOutboards.store(key, proof.entries) }
        let groups = proof.layout.group(first).lowerBound...(proof.layout.group(last).upperBound - 1)
        let stream: ByteStream
        do {
            stream = try await backend.read(Self.path(of: address), range: groups)
        } catch  where error.kind == .invalidRange {
            // The address says how long the object is: a shorter copy is damaged.
            throw Self.corrupt(address, shorterThan: proof.layout.size, backendID: backendID)
        } catch {
            if error.kind == .objectNotFound { provedOutboards.forget(key) }
            throw DataPlaneError.reading(error, address, backendID: backendID)
        }
        // One read: its first group is proved before the status line, the rest as it is sent.
        var reader = ProvedRangeReader(base: stream, proof: proof, range: range, address: address, backendID: backendID)
        guard let head = try await reader.next(maximumGroups: 1) else {
            throw reader.corrupt("ends before byte \(proof.layout.group(first).upperBound)")
        }
        return ByteStream(ProvedRangeStream(head: head, reader: reader))
    }

    /// The size of the stored object of `address`; `objectNotFound`, forgetting any proof kept
    /// for it, when it is not stored.
    func storedSize(
        _ address: ContentAddress,
        key: ProvedOutboardCache.Key,
        backendID: String,
        backend: any StorageBackend
    ) async throws(DataPlaneError) -> UInt64 {
        do {
            return try await backend.stat(Self.path(of: address)).size
        } catch  where error.kind == .objectNotFound {
            provedOutboards.forget(key)
            throw .objectNotFound(address, backendID: backendID, underlying: error)
        } catch {
            throw .storage(error, "stat \(address)", backendID: backendID)
        }
    }

    /// Proves the CVs of `groups`: the blocks they sit in, read and checked now.
    static func proveBlocks(_ proof: inout OutboardProof, groups: ClosedRange<Int>) async throws {
        for group in stride(from: groups.lowerBound, through: groups.upperBound, by: OutboardLayout.fanout) {
            _ = try await proof.group(group)
        }
        _ = try await proof.group(groups.upperBound)
    }

    /// `rangeNotSatisfiable` unless `range` lies inside an object of `size` bytes.
    static func checkRange(_ range: ClosedRange<UInt64>, _ address: ContentAddress, size: UInt64, backendID: String) throws(DataPlaneError)
    {
        guard range.upperBound < size else {
            throw DataPlaneError(
                .rangeNotSatisfiable,
                "byte range \(range.lowerBound)-\(range.upperBound) lies outside \(address) (\(size) bytes) in backend \"\(backendID)\"",
                backendID: backendID
            )
        }
    }

    /// Reads bytes of the stored outboard of `address`.
    static func outboardReader(_ address: ContentAddress, backend: any StorageBackend) -> OutboardProof.Reader {
        let path = outboardPath(of: address)
        return { range in try await readOutboard(path, range, backend: backend) }
    }

    /// The proved outboard of `address` (an object of `size` bytes); rebuilt by a whole proof
    /// when it is missing or does not prove the address.
    func outboardProof(
        _ address: ContentAddress,
        size: UInt64,
        backendID: String,
        backend: any StorageBackend
    ) async throws(DataPlaneError)
        -> OutboardProof
    {
        do {
            return try await OutboardProof(address: address, size: size, read: Self.outboardReader(address, backend: backend))
        } catch OutboardProof.Unusable.missing {
            logger.debug("building a missing outboard", metadata: ["dataplane.address": "\(address)", "dataplane.backend": "\(backendID)"])
        } catch OutboardProof.Unusable.invalid(let why) {
            logger.warning(
                "rebuilding an outboard that does not prove its object",
                metadata: ["dataplane.address": "\(address)", "dataplane.backend": "\(backendID)", "dataplane.reason": "\(why)"]
            )
        } catch {
            logger.warning(
                "rebuilding an outboard that cannot be read",
                metadata: ["dataplane.address": "\(address)", "dataplane.backend": "\(backendID)", "error": "\(error)"]
            )
        }
        return try await rebuildOutboard(address, backendID: backendID, backend: backend)
    }

    /// The whole proof: hashes the object of `address` streaming into a new outboard, and, if it
    /// hashes to the address, stores that outboard and returns it proved (kept in memory when
    /// the backend will not hold it). `objectCorrupt` when it does not.
    func rebuildOutboard(
        _ address: ContentAddress,
        backendID: String,
        backend: any StorageBackend
    ) async throws(DataPlaneError) -> OutboardProof {
        var builder = OutboardBuilder()
        do {
            for try await buffer in try await backend.read(Self.path(of: address), range: nil) {
                builder.update(buffer)
            }
        } catch {
            throw DataPlaneError.reading(error, address, backendID: backendID)
        }
        guard let (outboard, root) = builder.finish(), root == address.digest else {
            logger.error(
                "stored object does not match its address",
                metadata: ["dataplane.address": "\(address)", "dataplane.backend": "\(backendID)"]
            )
            throw Self.corrupt(address, size: builder.size, backendID: backendID)
        }
        await storeOutboard(outboard, of: address, backendID: backendID, backend: backend)
        do {
            return try await OutboardProof(address: address, size: builder.size) { range in
                guard range.lowerBound <= outboard.readableBytes else { return ByteBuffer() }
                let length = min(range.count, outboard.readableBytes - range.lowerBound)
                return outboard.getSlice(at: outboard.readerIndex + range.lowerBound, length: length)
            }
        } catch {
            throw DataPlaneError(.objectCorrupt, "the outboard just built for \(address) does not prove it: \(error)", backendID: backendID)
        }
    }

    /// Writes `outboard` beside the object (replacing any). A failure is logged, not thrown: the
    /// outboard is derived data, and a later range builds it again.
    func storeOutboard(_ outboard: ByteBuffer, of address: ContentAddress, backendID: String, backend: any StorageBackend) async {
        do {
            try await backend.write(
                Self.outboardPath(of: address),
                from: ByteStream(outboard),
                options: StorageWriteOptions(overwrite: true)
            )
        } catch {
            logger.warning(
                "could not store an outboard; ranges of this object will be proved whole until one is stored",
                metadata: [
                    "dataplane.address": "\(address)", "dataplane.backend": "\(backendID)", "error": "\(error.code): \(error.message)",
                ]
            )
        }
    }

    /// The whole object of `address`, read into memory and proved by hashing it. For objects of
    /// at most ``provedInMemoryLimit`` bytes.
    /// `opened` is the object's stream when the caller has opened it already.
    func provedWhole(
        _ address: ContentAddress,
        backendID: String,
        backend: any StorageBackend,
        opened: ByteStream? = nil
    ) async throws(DataPlaneError) -> ByteBuffer {
        var whole = ByteBuffer()
        do {
            let stream = if let opened { opened } else { try await backend.read(Self.path(of: address), range: nil) }
            for try await var buffer in stream {
                guard UInt64(whole.readableBytes + buffer.readableBytes) <= Self.provedInMemoryLimit else {
                    throw Self.corrupt(address, size: UInt64(whole.readableBytes + buffer.readableBytes), backendID: backendID)
                }
                if whole.readableBytes == 0 {
                    whole = buffer
                } else {
                    whole.writeBuffer(&buffer)
                }
            }
        } catch {
            throw DataPlaneError.reading(error, address, backendID: backendID)
        }
        try requireProof(of: whole, address: address, backendID: backendID)
        return whole
    }

    /// Fails with `objectCorrupt`, forgetting any proof of the object's stamp and logging the
    /// damage, unless `bytes` hash to `address`.
    func requireProof(of bytes: ByteBuffer, address: ContentAddress, backendID: String) throws(DataPlaneError) {
        var hasher = DigestHasher(address.algorithm)
        hasher.update(bytes)
        guard hasher.finalize() == address.digest else {
            provedReads.forget(VerifiedStamps.Key(backendID: backendID, address: address))
            logger.error(
                "stored object does not match its address",
                metadata: ["dataplane.address": "\(address)", "dataplane.backend": "\(backendID)"]
            )
            throw Self.corrupt(address, size: UInt64(bytes.readableBytes), backendID: backendID)
        }
    }

    /// `objectCorrupt` for a stored copy of `address` shorter than the `size` its address proves.
    static func corrupt(_ address: ContentAddress, shorterThan size: UInt64, backendID: String) -> DataPlaneError {
        DataPlaneError(
            .objectCorrupt,
            "the object \(address) in backend \"\(backendID)\" is shorter than the \(size) bytes its address proves: it is damaged "
                + "and was not served; push the content again to repair it",
            backendID: backendID
        )
    }

    static func corrupt(_ address: ContentAddress, size: UInt64, backendID: String) -> DataPlaneError {
        DataPlaneError(
            .objectCorrupt,
            "the \(size) bytes stored for \(address) in backend \"\(backendID)\" do not hash to their address: the object is damaged and "
                + "was not served; push the content again to repair it",
            backendID: backendID
        )
    }

    /// Bytes `range` of the outboard at `path`; `nil` when there is none.
    static func readOutboard(_ path: StoragePath, _ range: Range<Int>, backend: any StorageBackend) async throws -> ByteBuffer? {
        if range.isEmpty { return ByteBuffer() }
        do {
            var collected = ByteBuffer()
            let closed = UInt64(range.lowerBound)...UInt64(range.upperBound - 1)
            for try await var buffer in try await backend.read(path, range: closed) {
                // One buffer is kept as it is; more are gathered into the first.
                if collected.readableBytes == 0 { collected = buffer } else { collected.writeBuffer(&buffer) }
            }
            return collected
        } catch let error as StorageError where error.kind == .objectNotFound {
            return nil
        } catch let error as StorageError where error.kind == .invalidRange {
            return ByteBuffer()
        }
    }

    /// Whether the copy stored under `address` proves to be the address's, for an ingest that
    /// found it there: by a trusted stamp of an earlier proof, or else by hashing it whole (the
    /// same work the ingest just did for its own bytes). A copy that cannot be read does not.
    func storedCopyProves(_ address: ContentAddress, backendID: String, backend: any StorageBackend) async -> Bool {
        let path = Self.path(of: address)
        let key = VerifiedStamps.Key(backendID: backendID, address: address)
        if let stamping = backend as? any StorageChangeStamping, let stamp = try? await stamping.statStamped(path).stamp,
            provedReads.trusts(key, stamp)
        {
            return true
        }
        var hasher = DigestHasher(address.algorithm)
        do {
            for try await buffer in try await backend.read(path, range: nil) { hasher.update(buffer) }
        } catch {
            return false
        }
        return hasher.finalize() == address.digest
    }
}
