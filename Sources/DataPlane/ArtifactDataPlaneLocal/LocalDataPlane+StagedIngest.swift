public import ArtifactDataPlane
import ArtifactIdentity
import ArtifactStorage
public import ArtifactStoreCore
import Logging
import NIOCore

/// Ingests that arrive in pieces: each piece is hashed as it is appended to the backend's staged
/// object (`tmp/staged/<name>`), the digests stay in ``StagedIngestTable``, and the commit puts the
/// staged bytes under their address with the backend's ``StorageBackend/commitStaged(_:length:to:options:)``
/// (a rename on a filesystem, a server-side composition on S3): every byte is written once and,
/// in the process that received it, read never.
extension LocalDataPlane: StagedIngesting {
    /// Where stages live in every backend; not swept as ingest temporaries (a stage outlives the
    /// request that started it), removed by ``discardStaged(_:backendID:)``.
    public static let stagedDirectory = "tmp/staged"

    public func appendStaged(
        _ name: String,
        at offset: UInt64,
        _ stream: ByteStream,
        hints: IngestHints
    ) async throws(DataPlaneError) -> UInt64 {
        let (backendID, backend) = try await backend(for: hints.backendID)
        let path = try Self.stagedPath(name, backendID: backendID)
        let key = backendID + "/" + name
        var entry = try claim(key, name: name, backendID: backendID)
        do throws(DataPlaneError) {
            if entry?.length != offset {
                entry = try await rehash(path, length: offset, primary: hints.primaryAlgorithm, backendID: backendID, backend: backend)
            }
            guard let current = entry else { throw DataPlaneError(.storage, "stage \"\(name)\" has no digests") }
            let length = try await append(
                stream,
                to: path,
                entry: current,
                at: offset,
                hints: hints,
                backendID: backendID,
                backend: backend
            )
            entry?.length = length
            stagedIngests.release(key, keeping: entry)
            return length
        } catch {
            // The digests may hold part of a failed piece: the next call rebuilds them.
            stagedIngests.release(key, keeping: nil)
            throw error
        }
    }

    public func readStaged(_ name: String, length: UInt64, backendID: String?) async throws(DataPlaneError) -> ByteStream {
        let (backendID, backend) = try await backend(for: backendID)
        let path = try Self.stagedPath(name, backendID: backendID)
        guard length > 0 else { return ByteStream(ByteBuffer()) }
        do {
            return try await backend.readStaged(path, range: 0...(length - 1))
        } catch {
            throw Self.stagedFailure(error, name: name, length: length, backendID: backendID)
        }
    }

    public func commitStaged(_ name: String, length: UInt64, hints: IngestHints) async throws(DataPlaneError) -> IngestResult {
        let (backendID, backend) = try await backend(for: hints.backendID)
        let path = try Self.stagedPath(name, backendID: backendID)
        let key = backendID + "/" + name
        var entry = try claim(key, name: name, backendID: backendID)
        do throws(DataPlaneError) {
            if entry?.length != length || (hints.primaryAlgorithm == .blake3) != (entry?.outboard != nil) {
                entry = try await rehash(path, length: length, primary: hints.primaryAlgorithm, backendID: backendID, backend: backend)
            }
            guard let current = entry else { throw DataPlaneError(.storage, "stage \"\(name)\" has no digests") }
            let digests = current.digests.digest()
            do throws(DataPlaneError) {
                try Self.check(digests, against: hints)
            } catch {
                // Nothing stored; the stage and its digests stay for another close.
                stagedIngests.release(key, keeping: current)
                throw error
            }
            let result = try await commit(
                path,
                digests: digests,
                outboard: current.outboard,
                hints: hints,
                backendID: backendID,
                backend: backend
            )
            stagedIngests.release(key, keeping: nil)
            return result
        } catch {
            stagedIngests.release(key, keeping: nil)
            throw error
        }
    }

    public func discardStaged(_ name: String, backendID: String?) async throws(DataPlaneError) {
        let (backendID, backend) = try await backend(for: backendID)
        let path = try Self.stagedPath(name, backendID: backendID)
        stagedIngests.release(backendID + "/" + name, keeping: nil)
        do {
            try await backend.discardStaged(path)
        } catch {
            throw .storage(error, "discard stage \"\(name)\"", backendID: backendID)
        }
    }

    // MARK: Steps

    /// The path of stage `name`: one path segment of letters, digits and `-` (an upload id).
    static func stagedPath(_ name: String, backendID: String) throws(DataPlaneError) -> StoragePath {
        let valid =
            (1...100).contains(name.utf8.count)
            && name.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: "-")
            }
        guard valid, let path = try? StoragePath(stagedDirectory + "/" + name) else {
            throw DataPlaneError(
                .invalidConfiguration,
                "stage name \"\(name.prefix(100))\" is not 1-100 lower-case letters, digits and -",
                backendID: backendID
            )
        }
        return path
    }

    private func claim(_ key: String, name: String, backendID: String) throws(DataPlaneError) -> StagedIngestTable.Entry? {
        guard let claimed = stagedIngests.claim(key) else {
            throw DataPlaneError(
                .rangeNotSatisfiable,
                "stage \"\(name)\" is receiving another piece; send this one again once that one is answered",
                backendID: backendID
            )
        }
        return claimed
    }

    /// Fresh digests of the first `length` staged bytes, read back from storage: what a process
    /// that did not receive the earlier pieces does before it appends or commits.
    private func rehash(
        _ path: StoragePath,
        length: UInt64,
        primary: DigestAlgorithm,
        backendID: String,
        backend: any StorageBackend
    ) async throws(DataPlaneError) -> StagedIngestTable.Entry {
        let digests = Self.digestState(primary: primary)
        guard length > 0 else { return StagedIngestTable.Entry(length: 0, digests: digests) }
        do {
            let bytes = try await backend.readStaged(path, range: 0...(length - 1))
            try await DualDigester.withSession(resuming: digests, configuration: configuration.digester) { session in
                for try await buffer in bytes.coalesced(minimum: Self.ingestBufferSize) {
                    try await session.update(buffer)
                }
            }
        } catch {
            throw Self.stagedFailure(error, name: path.name, length: length, backendID: backendID)
        }
        guard digests.size == length else {
            throw DataPlaneError(
                .rangeNotSatisfiable,
                "stage \"\(path.name)\" holds \(digests.size) bytes, not the \(length) recorded",
                backendID: backendID
            )
        }
        return StagedIngestTable.Entry(length: length, digests: digests)
    }

    /// Appends one piece, hashing it on the way (into `entry`'s digests, and so its outboard);
    /// returns the new staged length.
    private func append(
        _ stream: ByteStream,
        to path: StoragePath,
        entry: StagedIngestTable.Entry,
        at offset: UInt64,
        hints: IngestHints,
        backendID: String,
        backend: any StorageBackend
    ) async throws(DataPlaneError) -> UInt64 {
        let monitor = IngestMonitor()
        let length: UInt64
        do {
            length = try await DualDigester.withSession(resuming: entry.digests, configuration: configuration.digester) { session in
                let tee = IngestTee(
                    base: stream.coalesced(minimum: Self.ingestBufferSize),
                    session: session,
                    expectedSize: hints.expectedSize,
                    monitor: monitor
                )
                return try await backend.appendStaged(path, at: offset, from: ByteStream(tee))
            }
        } catch let error as StorageError where error.kind == .invalidRange {
            throw Self.stagedFailure(error, name: path.name, length: offset, backendID: backendID)
        } catch {
            throw Self.ingestFailure(error, monitor: monitor, backendID: backendID)
        }
        if let expected = hints.expectedSize, expected != length - offset {
            throw DataPlaneError(
                .sizeMismatch,
                "expected \(expected) bytes, the stream had \(length - offset) bytes; the piece was not kept",
                backendID: backendID
            )
        }
        return length
    }

    /// Puts the checked staged bytes under their address (or finds them stored already).
    private func commit(
        _ path: StoragePath,
        digests: DualDigest,
        outboard: OutboardBuilder?,
        hints: IngestHints,
        backendID: String,
        backend: any StorageBackend
    ) async throws(DataPlaneError) -> IngestResult {
        let primary = digests.digest(for: hints.primaryAlgorithm)
        let address = ContentAddress(primary)
        let destination = Self.path(of: address)
        var deduplicated = false
        var repaired = false
        let info: StorageObjectInfo
        do {
            do {
                info = try await backend.commitStaged(
                    path,
                    length: digests.size,
                    to: destination,
                    options: StorageWriteOptions(overwrite: false)
                )
            } catch  where error.kind == .alreadyExists {
                if let existing = try await durableStoredCopy(
                    of: address,
                    at: destination,
                    size: digests.size,
                    backendID: backendID,
                    backend: backend
                ) {
                    deduplicated = true
                    info = existing
                    try await backend.discardStaged(path)
                } else {
                    info = try await backend.commitStaged(
                        path,
                        length: digests.size,
                        to: destination,
                        options: StorageWriteOptions(overwrite: true)
                    )
                    repaired = true
                }
            }
        } catch {
            throw .storage(error, "commit \(address)", backendID: backendID)
        }
        // The first whole read of the object is proved by hashing (no stamp is recorded here):
        // these digests were kept across requests, not taken from the bytes just written.
        if let outboard, digests.size > Self.provedInMemoryLimit, let (tree, root) = outboard.finish() {
            if root == address.digest {
                await storeOutboard(tree, of: address, backendID: backendID, backend: backend)
            } else {
                logger.error("a staged ingest's outboard does not prove its address", metadata: ["dataplane.address": "\(address)"])
            }
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

    static func stagedFailure(_ error: any Error, name: String, length: UInt64, backendID: String) -> DataPlaneError {
        if let error = error as? DataPlaneError { return error }
        if let error = error as? StorageError {
            if error.kind == .invalidRange || error.kind == .objectNotFound {
                return DataPlaneError(
                    .rangeNotSatisfiable,
                    "stage \"\(name)\" does not hold the \(length) bytes recorded for it: \(error.message)",
                    backendID: backendID,
                    underlying: error
                )
            }
            return .storage(error, "read stage \"\(name)\"", backendID: backendID)
        }
        return DataPlaneError(.storage, "stage \"\(name)\" could not be read: \(error)", backendID: backendID, underlying: error)
    }
}
