import ArtifactDataPlane
import ArtifactDataPlaneLocal
import ArtifactDataPlaneWire
import ArtifactIdentity
import ArtifactStorage
import ArtifactStorageFileSystem
import ArtifactStoreCore
import NIOCore
import NIOPosix

extension RemoteDataPlane {
    /// Waits for the `end` that follows a serve's `result` carrying a descriptor ticket.
    static func expectEnd(_ call: RemoteCall) async throws {
        let frame = try await call.next()
        switch frame.kind {
        case .end:
            return
        case .error:
            throw try frame.decodeBody(WireFailure.self).dataPlaneError
        default:
            throw DataPlaneWireError(
                .protocolViolation,
                "the daemon sent \(frame.kind) on serve call \(call.id) after a descriptor ticket; end was due"
            )
        }
    }

    /// Redeems the ticket on the side channel and reads the object from the passed descriptor
    /// with the file system backend's reader, proved as `LocalDataPlane` proves a whole read: by
    /// hashing (the last buffer withheld until the digest matches), or by the file's stamp when
    /// the daemon vouched for exactly this stamp (its data plane wrote or hashed these bytes and
    /// trusts that proof, as it would for its own whole read) or this client recorded the same
    /// stamp after an earlier hashed read; a stamp that moves during the read fails it at the end.
    func serveDescriptor(_ address: ContentAddress, _ granted: WireDescriptorTicket) async throws(DataPlaneError) -> ByteStream {
        let socketPath = self.socketPath
        let path = try! StoragePath(address.storageKey)
        let openedAt = provedReads.wallClockNanoseconds()
        let (file, stamp) = try await Self.typed("serve") { () async throws -> (OwnedDescriptor, StorageChangeStamp) in
            try await NIOThreadPool.singleton.runIfActive { () throws -> (OwnedDescriptor, StorageChangeStamp) in
                let (file, size) = try DescriptorTicketRedemption.redeem(granted.ticket, socketPath: socketPath)
                let stamp: StorageChangeStamp
                do throws(StorageError) {
                    stamp = try FileSystemBackend.stampOfOpenFile(file, path: path)
                } catch {
                    throw DataPlaneWireError(
                        .descriptorPassingFailed,
                        "the descriptor passed for \(address) cannot be used: \(error.message)",
                        underlying: error
                    )
                }
                guard size == granted.size, stamp.size == size else {
                    throw DataPlaneWireError(
                        .descriptorPassingFailed,
                        "the descriptor passed for \(address) is \(stamp.size) bytes; the daemon announced \(granted.size) and \(size)"
                    )
                }
                return (file, stamp)
            }
        }
        let backendID = granted.backendID
        guard granted.proves else {
            let bytes = FileSystemBackend.chunks(of: file, path: path, size: stamp.size, expectedStamp: nil, threadPool: .singleton)
            return ServeStream(base: bytes, address: address, backendID: backendID, proof: .none).byteStream
        }
        let bytes = FileSystemBackend.chunks(of: file, path: path, size: stamp.size, expectedStamp: stamp, threadPool: .singleton)
        let key = VerifiedStamps.Key(backendID: backendID, address: address)
        let provedReads = self.provedReads
        return ServeStream(
            base: bytes,
            address: address,
            backendID: backendID,
            proof: granted.vouches(for: stamp) || provedReads.trusts(key, stamp) ? .stamp : .hash,
            proved: { provedReads.record(key, stamp, openedAt: openedAt) },
            failed: { provedReads.forget(key) }
        ).byteStream
    }
}

extension WireDescriptorTicket {
    /// Whether the daemon vouched for the file by `stamp`, the one this client took of the passed
    /// descriptor: the same incarnation, size and change time as the daemon opened and proved.
    func vouches(for stamp: StorageChangeStamp) -> Bool {
        guard let vouched = self.stamp else { return false }
        return vouched.size == stamp.size && vouched.changeTime == stamp.changeTimeNanoseconds && vouched.identity == stamp.identity
    }
}
