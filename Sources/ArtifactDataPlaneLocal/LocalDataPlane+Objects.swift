import ArtifactDataPlane
import ArtifactIdentity
import ArtifactStorage
import ArtifactStoreCore
import Logging

extension LocalDataPlane {
    public func serve(_ address: ContentAddress, range: ByteRange?, backendID: String?) async throws(DataPlaneError) -> ByteStream {
        let (backendID, backend) = try await backend(for: backendID)
        let path = Self.path(of: address)
        var storageRange: ClosedRange<UInt64>?
        if let range {
            guard let closed = range.closedRange else {
                throw DataPlaneError(.invalidRange, "byte range \(range) of \(address) ends before it starts", backendID: backendID)
            }
            storageRange = closed
        }
        let whole = range == nil && configuration.verifiesFullReads
        let stamping = whole && provedReads.trustDuration > .zero ? backend as? any StorageChangeStamping : nil
        let openedAt = VerifiedStamps.wallClockNanoseconds()
        let stream: ByteStream
        var stamp: StorageChangeStamp?
        do {
            if let stamping {
                let read = try await stamping.readStamped(path, range: nil)
                stream = read.bytes
                stamp = read.stamp
            } else {
                stream = try await backend.read(path, range: storageRange)
            }
        } catch where error.kind == .notFound {
            throw .objectNotFound(address, backendID: backendID, underlying: error)
        } catch where error.kind == .invalidRange {
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
        guard whole else {
            return ServeStream(base: stream, address: address, backendID: backendID, proof: .none).byteStream
        }
        guard let stamp else {
            return ServeStream(base: stream, address: address, backendID: backendID, proof: .hash).byteStream
        }
        let key = VerifiedStamps.Key(backendID: backendID, address: address)
        let provedReads = self.provedReads
        let trusted = provedReads.trusts(key, stamp)
        return ServeStream(
            base: stream,
            address: address,
            backendID: backendID,
            proof: trusted ? .stamp : .hash,
            proved: { provedReads.record(key, stamp, openedAt: openedAt) },
            failed: { provedReads.forget(key) }
        ).byteStream
    }

    public func verify(_ address: ContentAddress, backendID: String?) async throws(DataPlaneError) -> VerifyResult {
        let (backendID, backend) = try await backend(for: backendID)
        let path = Self.path(of: address)
        let key = VerifiedStamps.Key(backendID: backendID, address: address)
        let openedAt = VerifiedStamps.wallClockNanoseconds()
        let stream: ByteStream
        var stamp: StorageChangeStamp?
        do {
            if let stamping = backend as? any StorageChangeStamping {
                let read = try await stamping.readStamped(path, range: nil)
                stream = read.bytes
                stamp = read.stamp
            } else {
                stream = try await backend.read(path, range: nil)
            }
        } catch where error.kind == .notFound {
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
        let size: UInt64
        do {
            size = try await backend.stat(path).size
        } catch where error.kind == .notFound {
            return gone
        } catch {
            throw .storage(error, "stat \(address)", backendID: backendID)
        }
        do {
            try await backend.delete(path)
        } catch where error.kind == .notFound {
            // Deleted concurrently: this call removed nothing.
            return gone
        } catch {
            throw .storage(error, "delete \(address)", backendID: backendID)
        }
        logger.debug("deleted", metadata: ["dataplane.address": "\(address)", "dataplane.backend": "\(backendID)", "dataplane.size": "\(size)"])
        return DeletionResult(address: address, backendID: backendID, removed: true, bytesRemoved: size)
    }
}
