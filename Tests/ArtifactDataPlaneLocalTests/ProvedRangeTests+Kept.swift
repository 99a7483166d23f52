import ArtifactBLAKE3
import ArtifactDataPlane
import ArtifactDataPlaneTestSupport
import ArtifactIdentity
import ArtifactStorageFileSystem
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Foundation
import NIOCore
import Testing

@testable import ArtifactDataPlaneLocal

/// Ranges of an object read before, proved with the outboard entries kept in memory
/// (``ProvedOutboardCache``): no outboard read, and damage to the stored copy after the entries
/// were kept is caught all the same.
extension ProvedRangeTests {
    @Test("a kept proof reads no outboard again, and still withholds damage to the object", arguments: ["inside", "outside", "none"])
    func keptProof(damage: String) async throws {
        let disk = try Disk()
        defer { disk.remove() }
        let bytes = Self.content(4 << 20, seed: 20)
        let address = try await disk.ingest(bytes)
        let group = UInt64(OutboardLayout.groupSize)
        let (first, last) = (10 * group + 100, 40 * group + 50)
        #expect(await read(disk.dataPlane, address, first, last).0 == Array(bytes[Int(first)...Int(last)]))
        // What is kept is proved against the address: a damaged or missing outboard now changes
        // nothing, and is not even read (it is not rebuilt).
        try disk.flip(disk.outboardPath(address), at: UInt64(OutboardLayout.headerSize + 32 * 20))
        let outboard = try Data(contentsOf: URL(fileURLWithPath: disk.outboardPath(address)))
        switch damage {
        case "inside": try disk.flip(disk.objectPath(address), at: first + 10)
        case "outside": try disk.flip(disk.objectPath(address), at: 60 * group)
        default: try FileManager.default.removeItem(atPath: disk.outboardPath(address))
        }
        let (received, error, early) = await read(disk.dataPlane, address, first, last)
        if damage == "inside" {
            #expect(error?.kind == .objectCorrupt && early && received.isEmpty, "the object's bytes are hashed on every read")
        } else {
            #expect(error == nil && received == Array(bytes[Int(first)...Int(last)]))
        }
        if damage == "none" {
            #expect(!FileManager.default.fileExists(atPath: disk.outboardPath(address)), "the kept entries needed no outboard")
        } else {
            #expect(try Data(contentsOf: URL(fileURLWithPath: disk.outboardPath(address))) == outboard, "the outboard was not read")
        }
    }

    @Test("a kept proof missing a block reads it, and rebuilds an outboard damaged there")
    func keptProofNewBlock() async throws {
        let disk = try Disk()
        defer { disk.remove() }
        let size = (33 << 20) + 1234
        let bytes = Self.content(size, seed: 21)
        let address = try await disk.ingest(bytes)
        #expect(await read(disk.dataPlane, address, 100, 200_000).0 == Array(bytes[100...200_000]))
        let path = disk.outboardPath(address)
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        // Group 1500 sits in the second block of tier 0, not proved by the first range.
        let layout = try #require(OutboardLayout(size: UInt64(size)))
        try disk.flip(path, at: UInt64(layout.offset(tier: 0, index: 1100) + 3))
        let first = 1500 * OutboardLayout.groupSize + 7
        let (received, error, _) = await read(disk.dataPlane, address, UInt64(first), UInt64(first + 300_000))
        #expect(error == nil && received == Array(bytes[first...(first + 300_000)]))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == original, "the damaged outboard is stored again")
    }

    @Test("with a kept proof, a copy cut short is objectCorrupt, a deleted object objectNotFound")
    func keptProofShortOrGone() async throws {
        let disk = try Disk()
        defer { disk.remove() }
        let bytes = Self.content(3 << 20, seed: 22)
        let address = try await disk.ingest(bytes)
        let end = UInt64(bytes.count - 1)
        #expect(await read(disk.dataPlane, address, end - 100_000, end).0 == Array(bytes[(bytes.count - 100_001)...]))
        try Data(bytes.prefix(2 << 20)).write(to: URL(fileURLWithPath: disk.objectPath(address)))
        let (received, error, early) = await read(disk.dataPlane, address, end - 100_000, end)
        #expect(error?.kind == .objectCorrupt && early && received.isEmpty, "\(String(describing: error))")
        #expect(await read(disk.dataPlane, address, 1000, 90_000).0 == Array(bytes[1000...90_000]), "the part still there proves")
        let (_, outside, _) = await read(disk.dataPlane, address, 0, end + 1)
        #expect(outside?.kind == .rangeNotSatisfiable, "the size is the address's")
        try FileManager.default.removeItem(atPath: disk.objectPath(address))
        let (_, gone, _) = await read(disk.dataPlane, address, 1000, 90_000)
        #expect(gone?.kind == .objectNotFound)
    }

    @Test(
        "an object another data plane on the same directory deleted is objectNotFound for every range, whatever proof is kept",
        arguments: ["within", "past the end", "straddling the end"]
    )
    func keptProofDeletedElsewhere(range: String) async throws {
        let disk = try Disk()
        defer { disk.remove() }
        // A second handle on the same files, as a second `serve` on the same data directory has:
        // its own kept proofs, which the first one's delete cannot reach.
        let other = try LocalDataPlane(
            backends: [.init(id: "disk", connector: try FileSystemConnector(rootPath: disk.root, logger: TestLogs.silent))],
            logger: TestLogs.silent
        )
        let bytes = Self.content(3 << 20, seed: 25)
        let address = try await disk.ingest(bytes)
        let end = UInt64(bytes.count)
        #expect(await read(other, address, 1000, 300_000).0 == Array(bytes[1000...300_000]))
        #expect(await read(other, address, 0, end).1?.kind == .rangeNotSatisfiable, "past the end of a stored object")
        #expect(other.provedOutboards.entries(ProvedOutboardCache.Key(backendID: "disk", address: address)) != nil)
        #expect(try await disk.dataPlane.delete(address, backendID: nil).removed)
        let (first, last): (UInt64, UInt64) =
            switch range {
            case "within": (2000, 400_000)
            case "past the end": (end + 10, end + 5000)
            default: (end - 100, end + 100)
            }
        let (received, error, early) = await read(other, address, first, last)
        #expect(error?.kind == .objectNotFound && early && received.isEmpty, "\(String(describing: error))")
        // Stored again (by the other handle, or a re-push), it reads as before.
        _ = try await disk.ingest(bytes)
        #expect(await read(other, address, 5, 70_000).0 == Array(bytes[5...70_000]))
        #expect(await read(other, address, end - 1, end + 1).1?.kind == .rangeNotSatisfiable)
    }

    @Test("the kept entries stay under their capacity, the oldest dropped first; 0 keeps none")
    func cacheBound() throws {
        let layout = try #require(OutboardLayout(size: 1 << 30))
        let spine = layout.spine.map { part in part.entries.map { _ in BLAKE3ChainingValue(bytes: [UInt8](repeating: 1, count: 32)) } }
        let entries = ProvedOutboardEntries(layout: layout, spine: spine)
        let keys = (0..<10).map { index in
            ProvedOutboardCache.Key(
                backendID: "disk",
                address: ContentAddress(try! Digest(algorithm: .blake3, bytes: [UInt8](repeating: UInt8(index), count: 32)))
            )
        }
        var grown = entries
        grown.blocks[ProvedOutboardEntries.Block(tier: 0, index: 5)] = spine[0]
        let cache = ProvedOutboardCache(capacity: grown.byteCount + entries.byteCount)
        for key in keys { cache.store(key, entries) }
        #expect(keys.allSatisfy { cache.entries($0) != nil } && cache.byteCount == 10 * entries.byteCount)
        // More entries for a kept key replace them, and drop the oldest keys to make room.
        cache.store(keys[8], grown)
        #expect(keys.filter { cache.entries($0) != nil } == [keys[8], keys[9]])
        #expect(cache.byteCount == grown.byteCount + entries.byteCount && cache.entries(keys[8])?.blocks.count == 1)
        cache.forget(keys[9])
        #expect(cache.entries(keys[9]) == nil && cache.byteCount == grown.byteCount)
        // Entries larger than the whole capacity are not kept.
        var huge = grown
        huge.blocks[ProvedOutboardEntries.Block(tier: 0, index: 6)] = spine[0]
        cache.store(keys[0], huge)
        #expect(cache.entries(keys[0]) == nil && cache.byteCount == grown.byteCount)
        let none = ProvedOutboardCache(capacity: 0)
        none.store(keys[0], entries)
        #expect(none.entries(keys[0]) == nil && none.byteCount == 0)
    }

    @Test("a data plane keeping no proofs proves every range from the stored outboard")
    func noKeptProofs() async throws {
        let disk = try Disk(configuration: .init(provedOutboardCapacity: 0))
        defer { disk.remove() }
        let bytes = Self.content(2 << 20, seed: 23)
        let address = try await disk.ingest(bytes)
        #expect(await read(disk.dataPlane, address, 5, 300_000).0 == Array(bytes[5...300_000]))
        try FileManager.default.removeItem(atPath: disk.outboardPath(address))
        #expect(await read(disk.dataPlane, address, 5, 300_000).0 == Array(bytes[5...300_000]))
        #expect(FileManager.default.fileExists(atPath: disk.outboardPath(address)), "the outboard was read, found missing and rebuilt")
    }
}

extension ProvedRangeTests {
    @Test("groups split across buffers of any size are proved whole, and a damaged one withheld", arguments: [1, 7001, 16_384, 70_000])
    func splitBuffers(pieceSize: Int) async throws {
        let size = 20 * OutboardLayout.groupSize + 5
        let bytes = Self.content(size, seed: 24)
        var builder = OutboardBuilder()
        bytes.withUnsafeBytes { builder.update($0) }
        let (outboard, root) = try #require(builder.finish())
        let proof = try await OutboardProof(address: ContentAddress(root), size: UInt64(size)) { range in
            outboard.getSlice(at: range.lowerBound, length: range.count)
        }
        let group = OutboardLayout.groupSize
        let (first, last) = (3 * group + 11, size - 1)
        for damaged in [nil, 9 * group + 100] {
            var stored = Array(bytes[(3 * group)...])
            if let damaged { stored[damaged - 3 * group] ^= 1 }
            let pieces = stride(from: 0, to: stored.count, by: pieceSize).map {
                ByteBuffer(bytes: stored[$0..<min($0 + pieceSize, stored.count)])
            }
            var reader = ProvedRangeReader(
                base: ByteStream(buffers: pieces),
                proof: proof,
                range: UInt64(first)...UInt64(last),
                address: ContentAddress(root),
                backendID: "memory"
            )
            var received: [UInt8] = []
            var failure: DataPlaneError?
            do {
                while let buffer = try await reader.next(maximumGroups: received.isEmpty ? 1 : .max) {
                    received += buffer.readableBytesView
                }
            } catch {
                failure = error
            }
            if damaged == nil {
                #expect(failure == nil && received == Array(bytes[first...last]), "pieces of \(pieceSize)")
            } else {
                #expect(failure?.kind == .objectCorrupt, "pieces of \(pieceSize)")
                #expect(received.count <= 9 * group - first && received == Array(bytes[first..<(first + received.count)]))
            }
        }
    }
}
