import ArtifactBLAKE3
import ArtifactDataPlane
import ArtifactDataPlaneTestSupport
import ArtifactIdentity
import ArtifactStorage
import ArtifactStorageFileSystem
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Foundation
import NIOCore
import Testing

@testable import ArtifactDataPlaneLocal

/// Ranged reads proved with the object's outboard (``OutboardLayout``, ``OutboardProof``,
/// ``ProvedRangeStream``), damage answered as `objectCorrupt`, and outboards rebuilt when missing
/// or damaged. Bytes that do not prove are never returned.
@Suite("Proved ranges", .timeLimit(.minutes(10)))
struct ProvedRangeTests {
    struct Disk {
        let root: String
        let dataPlane: LocalDataPlane

        init(configuration: LocalDataPlane.Configuration = .init()) throws {
            root = FileManager.default.temporaryDirectory.path + "/artifactstore-ranges-\(UUID().uuidString.lowercased())"
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            dataPlane = try LocalDataPlane(
                backends: [.init(id: "disk", connector: try FileSystemConnector(rootPath: root, logger: TestLogs.silent))],
                configuration: configuration,
                logger: TestLogs.silent
            )
        }

        func remove() { try? FileManager.default.removeItem(atPath: root) }

        func ingest(_ bytes: [UInt8]) async throws -> ContentAddress {
            // No expected size: the streaming ingest path, whatever the size.
            try await dataPlane.ingest(ByteStream(ByteBuffer(bytes: bytes))).address
        }

        func objectPath(_ address: ContentAddress) -> String { root + "/" + address.storageKey }
        func outboardPath(_ address: ContentAddress) -> String { root + "/" + LocalDataPlane.outboardPath(of: address).description }

        func flip(_ path: String, at offset: UInt64) throws {
            let handle = try #require(FileHandle(forUpdatingAtPath: path))
            defer { try? handle.close() }
            try handle.seek(toOffset: offset)
            let byte = try #require(try handle.read(upToCount: 1))
            try handle.seek(toOffset: offset)
            try handle.write(contentsOf: Data([byte[byte.startIndex] ^ 0x01]))
        }
    }

    static func content(_ size: Int, seed: UInt8) -> [UInt8] {
        [UInt8](count: size) { UInt8(truncatingIfNeeded: $0 &* 31 &+ ($0 >> 13) &+ Int(seed)) }
    }

    /// Reads a range; returns the bytes received and the error that ended it, if any.
    func read(
        _ dataPlane: LocalDataPlane,
        _ address: ContentAddress,
        _ first: UInt64,
        _ last: UInt64
    ) async -> ([UInt8], DataPlaneError?, Bool) {
        var bytes: [UInt8] = []
        let stream: ByteStream
        do {
            stream = try await dataPlane.serve(address, range: ByteRange(first: first, last: last), backendID: nil)
        } catch {
            return ([], error, true)
        }
        do {
            for try await buffer in stream { bytes += buffer.readableBytesView }
            return (bytes, nil, false)
        } catch {
            return (bytes, error as? DataPlaneError, false)
        }
    }

    @Test("an ingest of 1 MiB or more writes an outboard of under 0.2% of it; a smaller one none")
    func outboardAtIngest() async throws {
        let disk = try Disk()
        defer { disk.remove() }
        let big = try await disk.ingest(Self.content(3 << 20 + 5, seed: 1))
        let attributes = try FileManager.default.attributesOfItem(atPath: disk.outboardPath(big))
        let size = try #require(attributes[.size] as? Int)
        #expect(size == OutboardLayout(size: 3 << 20 + 5)!.byteCount)
        #expect(Double(size) / Double(3 << 20 + 5) < 0.002)
        let small = try await disk.ingest(Self.content(100_000, seed: 2))
        #expect(!FileManager.default.fileExists(atPath: disk.outboardPath(small)))
        #expect(try await disk.dataPlane.delete(big).removed)
        #expect(!FileManager.default.fileExists(atPath: disk.outboardPath(big)), "delete removes the outboard with the object")
    }

    @Test("ranges anywhere in an object answer exactly its bytes")
    func ranges() async throws {
        let disk = try Disk()
        defer { disk.remove() }
        let bytes = Self.content(3 << 20 + 5, seed: 3)
        let address = try await disk.ingest(bytes)
        let group = UInt64(OutboardLayout.groupSize)
        let last = UInt64(bytes.count - 1)
        for (first, end) in [
            (0, 0), (0, group - 1), (group - 1, group), (5, 3 * group + 7), (1 << 20, 2 << 20), (last - 3, last), (0, last), (last, last),
        ] {
            let (received, error, _) = await read(disk.dataPlane, address, first, end)
            #expect(error == nil)
            #expect(received == Array(bytes[Int(first)...Int(end)]), "range \(first)-\(end)")
        }
        let (_, error, early) = await read(disk.dataPlane, address, 0, last + 1)
        #expect(error?.kind == .rangeNotSatisfiable && early)
    }

    @Test(
        "a flipped byte inside, before, after and beside a range",
        arguments: ["inside first", "inside later", "before", "after", "same group"]
    )
    func damagedObject(place: String) async throws {
        let disk = try Disk()
        defer { disk.remove() }
        let bytes = Self.content(4 << 20, seed: 4)
        let address = try await disk.ingest(bytes)
        let group = UInt64(OutboardLayout.groupSize)
        let (first, last) = (10 * group + 100, 40 * group + 50)
        let offset: UInt64 =
            switch place {
            case "inside first": first + 10
            case "inside later": 25 * group + 3
            case "before": 3 * group
            case "after": 60 * group
            default: first - 50
            }
        try disk.flip(disk.objectPath(address), at: offset)
        let (received, error, early) = await read(disk.dataPlane, address, first, last)
        let expected = Array(bytes[Int(first)...Int(last)])
        switch place {
        case "before", "after":
            #expect(error == nil && received == expected, "damage outside the range's groups does not touch it")
        case "inside later":
            #expect(error?.kind == .objectCorrupt && !early, "damage after the first group cuts the stream")
            #expect(received == Array(expected.prefix(received.count)), "every byte received is the object's")
            #expect(UInt64(received.count) <= 25 * group - first, "nothing of the damaged group was received")
        default:
            #expect(error?.kind == .objectCorrupt && early, "damage in the first group is an error before any byte")
            #expect(received.isEmpty)
        }
    }

    @Test("a damaged, missing or truncated outboard is rebuilt by a whole proof", arguments: ["flip", "delete", "truncate"])
    func damagedOutboard(how: String) async throws {
        let disk = try Disk()
        defer { disk.remove() }
        let bytes = Self.content(2 << 20 + 77, seed: 5)
        let address = try await disk.ingest(bytes)
        let path = disk.outboardPath(address)
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        switch how {
        case "flip": try disk.flip(path, at: UInt64(OutboardLayout.headerSize + 32 * 70 + 5))
        case "delete": try FileManager.default.removeItem(atPath: path)
        default: try original.prefix(100).write(to: URL(fileURLWithPath: path))
        }
        let (received, error, _) = await read(disk.dataPlane, address, 1_000_000, 1_100_000)
        #expect(error == nil)
        #expect(received == Array(bytes[1_000_000...1_100_000]))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == original, "the outboard is stored again")
    }

    @Test("without an outboard, a damaged object is objectCorrupt before any byte")
    func damagedWithoutOutboard() async throws {
        let disk = try Disk()
        defer { disk.remove() }
        let address = try await disk.ingest(Self.content(2 << 20, seed: 6))
        try FileManager.default.removeItem(atPath: disk.outboardPath(address))
        try disk.flip(disk.objectPath(address), at: 1_900_000)
        let (received, error, early) = await read(disk.dataPlane, address, 0, 1000)
        #expect(error?.kind == .objectCorrupt && early && received.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: disk.outboardPath(address)), "no outboard is stored for damaged bytes")
    }

    @Test("an object of one buffer is proved before serve returns, whole or ranged")
    func smallObjectProvedFirst() async throws {
        let disk = try Disk()
        defer { disk.remove() }
        let bytes = Self.content(4096, seed: 7)
        let address = try await disk.ingest(bytes)
        #expect(await read(disk.dataPlane, address, 10, 20).0 == Array(bytes[10...20]))
        try disk.flip(disk.objectPath(address), at: 4000)
        for range in [nil, ByteRange(first: 0, last: 10)] {
            await #expect(throws: DataPlaneError.self) {
                _ = try await disk.dataPlane.serve(address, range: range, backendID: nil)
            }
            do {
                _ = try await disk.dataPlane.serve(address, range: range, backendID: nil)
            } catch {
                #expect(error.kind == .objectCorrupt)
            }
        }
    }

    @Test("tier-1 blocks: a 33 MiB outboard proves groups past 16 MiB and refuses a damaged block")
    func tiers() async throws {
        let size = (33 << 20) + 1234
        var builder = OutboardBuilder()
        let bytes = Self.content(size, seed: 8)
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let end = min(offset + 700_001, raw.count)
                builder.update(UnsafeRawBufferPointer(rebasing: raw[offset..<end]))
                offset = end
            }
        }
        let (outboard, root) = try #require(builder.finish())
        #expect(root.bytes == BLAKE3.hash(bytes))
        let layout = try #require(OutboardLayout(size: UInt64(size)))
        #expect(layout.counts == [2113, 2] && layout.topTier == 1)
        let address = ContentAddress(root)
        let reader: OutboardProof.Reader = { range in outboard.getSlice(at: range.lowerBound, length: range.count) }
        var proof = try await OutboardProof(address: address, size: UInt64(size), read: reader)
        let group = 1500
        let groupBytes = layout.group(group)
        let expected = bytes.withUnsafeBytes {
            BLAKE3Tree.chainingValue(
                of: UnsafeRawBufferPointer(rebasing: $0[Int(groupBytes.lowerBound)..<Int(groupBytes.upperBound)]),
                chunkIndex: UInt64(group * 16)
            )
        }
        #expect(try await proof.group(group) == expected)
        #expect(try await proof.group(2112) != expected)

        var damaged = outboard
        damaged.setInteger(
            damaged.getInteger(at: layout.offset(tier: 0, index: 1100), as: UInt8.self)! ^ 1,
            at: layout.offset(tier: 0, index: 1100)
        )
        let damagedCopy = damaged
        var damagedProof = try await OutboardProof(address: address, size: UInt64(size)) { range in
            damagedCopy.getSlice(at: range.lowerBound, length: range.count)
        }
        await #expect(throws: OutboardProof.Unusable.self) { _ = try await damagedProof.group(1024) }
        let wrong = ContentAddress(try Digest(algorithm: .blake3, bytes: [UInt8](repeating: 7, count: 32)))
        await #expect(throws: OutboardProof.Unusable.self) { _ = try await OutboardProof(address: wrong, size: UInt64(size), read: reader) }
        await #expect(throws: OutboardProof.Unusable.self, "the layout of another size does not prove the address") {
            _ = try await OutboardProof(address: address, size: UInt64(size - 20_000), read: reader)
        }
    }

    @Test(
        "a re-push repairs a damaged, cut-short or missing copy; an intact one deduplicates",
        arguments: ["flip", "truncate", "clean"],
        [100_000, 3 << 20]
    )
    func repushRepairs(how: String, size: Int) async throws {
        let disk = try Disk()
        defer { disk.remove() }
        let bytes = Self.content(size, seed: 9)
        // The promised size picks the ingest path: whole (in memory) below 1 MiB, streaming above.
        let push = { () async throws -> IngestResult in
            try await disk.dataPlane.ingest(ByteStream(ByteBuffer(bytes: bytes)), hints: IngestHints(expectedSize: UInt64(size)))
        }
        let address = try await push().address
        switch how {
        case "flip": try disk.flip(disk.objectPath(address), at: UInt64(size / 2))
        case "truncate": try Data(bytes.prefix(size / 3)).write(to: URL(fileURLWithPath: disk.objectPath(address)))
        default: break
        }
        let again = try await push()
        #expect(again.receipt.repaired == (how != "clean"), "\(how)")
        #expect(again.receipt.deduplicated == (how == "clean"), "\(how)")
        var whole: [UInt8] = []
        for try await buffer in try await disk.dataPlane.serve(address) { whole += buffer.readableBytesView }
        #expect(whole == bytes)
        let (first, last) = (size / 2 - 1000, min(size / 2 + 70_000, size - 1))
        let (ranged, error, _) = await read(disk.dataPlane, address, UInt64(first), UInt64(last))
        #expect(error == nil && ranged == Array(bytes[first...last]))
    }
}
