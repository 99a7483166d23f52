import ArtifactDataPlane
import ArtifactDataPlaneConformance
import ArtifactDataPlaneTestSupport
import ArtifactIdentity
import ArtifactStorage
import ArtifactStorageConformance
import ArtifactStorageFileSystem
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Foundation
import NIOCore
import Synchronization
import Testing

@testable import ArtifactDataPlaneLocal

/// Whole reads proved by a stamp after one proved by hashing (``VerifiedStamps``): what earns
/// trust, what loses it, and that a changed file is never taken for the proved one.
@Suite("Proved reads", .timeLimit(.minutes(5)))
struct ProvedReadTests {
    /// The system's wall clock plus an offset the test moves forward: a file the kernel stamped
    /// "now" is past the settle margin once the offset is, without waiting for real time to pass.
    final class WallClock: Sendable {
        private let offset = Atomic<Int64>(0)

        func now() -> Int64 { VerifiedStamps.systemWallClockNanoseconds() + offset.load(ordering: .relaxed) }
        func advance(nanoseconds: Int64) { offset.add(nanoseconds, ordering: .relaxed) }
    }

    /// A data plane over one file-system backend in a fresh directory.
    struct Disk {
        let root: String
        let dataPlane: LocalDataPlane
        let wallClock: WallClock

        /// - Parameter coarseChangeTimes: take the file system's change times to move with the
        ///   kernel's coarse clock (as before Linux 6.13), whatever they do here: then only a
        ///   read, or an ingest of 1 MiB or more, earns a stamp trust.
        init(trust: Duration = .seconds(3600), coarseChangeTimes: Bool = true) throws {
            root = FileManager.default.temporaryDirectory.path + "/artifactstore-proved-\(UUID().uuidString.lowercased())"
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            let wallClock = WallClock()
            self.wallClock = wallClock
            var connector = try FileSystemConnector(rootPath: root, logger: TestLogs.silent)
            connector.probesChangeTimes = !coarseChangeTimes
            let now: @Sendable () -> Int64 = { wallClock.now() }
            dataPlane = try LocalDataPlane(
                backends: [.init(id: "disk", connector: connector)],
                configuration: .init(trustsProvedReadsFor: trust),
                logger: TestLogs.silent,
                provedReadsWallClock: now
            )
        }

        func remove() { try? FileManager.default.removeItem(atPath: root) }

        /// Ingests `size` patterned bytes and moves the wall clock past the racy window after it.
        func ingestSettled(seed: UInt64, size: Int) async throws -> (IngestResult, [UInt8]) {
            let content = PatternedContent(seed: seed, size: size, chunkSize: 256 * 1024)
            let result = try await dataPlane.ingest(content.stream)
            wallClock.advance(nanoseconds: VerifiedStamps.settleMargin + 50_000_000)
            return (result, content.chunks().flatMap { Array($0.readableBytesView) })
        }

        func flipByte(_ result: IngestResult, at offset: UInt64) throws {
            let handle = try #require(FileHandle(forUpdatingAtPath: root + "/" + result.receipt.storageKey))
            defer { try? handle.close() }
            try handle.seek(toOffset: offset)
            let byte = try #require(try handle.read(upToCount: 1))
            try handle.seek(toOffset: offset)
            try handle.write(contentsOf: Data([byte[byte.startIndex] ^ 0xFF]))
        }

        func key(_ result: IngestResult) -> VerifiedStamps.Key {
            VerifiedStamps.Key(backendID: "disk", address: result.address)
        }
    }

    func readAll(_ stream: ByteStream) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in stream { bytes.append(contentsOf: chunk.readableBytesView) }
        return bytes
    }

    @Test func hashedReadEarnsTrustAndAWriteLosesIt() async throws {
        let disk = try Disk()
        defer { disk.remove() }
        // Below the size whose ingest records its written stamp.
        let (result, bytes) = try await disk.ingestSettled(seed: 1, size: 1_000_000)
        #expect(disk.dataPlane.provedReads.count == 0)
        #expect(try await readAll(disk.dataPlane.serve(result.address)) == bytes)
        #expect(disk.dataPlane.provedReads.count == 1, "a hashed whole read of a settled file is remembered")
        #expect(try await readAll(disk.dataPlane.serve(result.address)) == bytes, "the stamp-proved read")
        #expect(disk.dataPlane.provedReads.count == 1)

        try disk.flipByte(result, at: 777_777)
        var received = 0
        do {
            for try await chunk in try await disk.dataPlane.serve(result.address) { received += chunk.readableBytes }
            Issue.record("a whole read of a file written after its proof succeeded")
        } catch let error as DataPlaneError {
            #expect(error.kind == .objectCorrupt)
        }
        #expect(received < bytes.count, "the last bytes of the corrupted object were withheld")
        #expect(disk.dataPlane.provedReads.count == 0, "the mismatch forgot the proof")
    }

    @Test func fileChangedDuringAStampProvedReadFailsTheRead() async throws {
        let disk = try Disk()
        defer { disk.remove() }
        let (result, bytes) = try await disk.ingestSettled(seed: 2, size: 3 * FileSystemBackend.readChunkSize + 11)
        #expect(try await readAll(disk.dataPlane.serve(result.address)) == bytes)
        #expect(disk.dataPlane.provedReads.count == 1)

        var iterator = try await disk.dataPlane.serve(result.address).makeAsyncIterator()
        var received = try #require(try await iterator.next()).readableBytes
        try disk.flipByte(result, at: UInt64(bytes.count - 5))
        do {
            while let chunk = try await iterator.next() { received += chunk.readableBytes }
            Issue.record("a read of a file written mid-read ended normally")
        } catch let error as DataPlaneError {
            #expect(error.kind == .storage)
            #expect(error.message.contains("changed while it was being read"))
        }
        #expect(received < bytes.count)
        #expect(disk.dataPlane.provedReads.count == 0)
    }

    @Test func largeIngestIsProvedByTheStampOfWhatItWrote() async throws {
        let disk = try Disk()
        defer { disk.remove() }
        let content = PatternedContent(seed: 6, size: 2 * 1024 * 1024 + 3, chunkSize: 256 * 1024)
        let result = try await disk.dataPlane.ingest(content.stream)
        let bytes = content.chunks().flatMap { Array($0.readableBytesView) }
        #expect(disk.dataPlane.provedReads.count == 1, "no settle wait: the ingest hashed what it wrote")

        let first = try await disk.dataPlane.serve(result.address)
        let slice = try #require(first.fileSlice, "a stamp-proved whole read offers its file")
        #expect(slice.range == 0..<UInt64(bytes.count))
        try await slice.confirm()
        #expect(try await readAll(first) == bytes)

        // Deduplicated: the object was not written again, nothing new is recorded.
        _ = try await disk.dataPlane.ingest(PatternedContent(seed: 6, size: 2 * 1024 * 1024 + 3, chunkSize: 256 * 1024).stream)
        #expect(disk.dataPlane.provedReads.count == 1)

        try disk.flipByte(result, at: 1_234_567)
        let changed = try await disk.dataPlane.serve(result.address)
        #expect(changed.fileSlice == nil, "a changed stamp means a hashed read, which cannot be a file region")
        await #expect(throws: DataPlaneError.self) { _ = try await readAll(changed) }
        #expect(disk.dataPlane.provedReads.count == 0)
    }

    @Test func smallAndUntrustedIngestsRecordNothing() async throws {
        let small = try Disk()
        defer { small.remove() }
        _ = try await small.dataPlane.ingest(PatternedContent(seed: 7, size: 1024 * 1024 - 1, chunkSize: 256 * 1024).stream)
        #expect(small.dataPlane.provedReads.count == 0)

        let untrusting = try Disk(trust: .zero)
        defer { untrusting.remove() }
        let result = try await untrusting.dataPlane.ingest(PatternedContent(seed: 8, size: 2 * 1024 * 1024, chunkSize: 256 * 1024).stream)
        #expect(untrusting.dataPlane.provedReads.count == 0)
        #expect(try await untrusting.dataPlane.serve(result.address).fileSlice == nil)
    }

    @Test(
        "where every later change moves a file's stamp, a small ingest's stamp proves its first read, and a change right after the ingest is still caught"
    )
    func smallIngestStampedWhereChangesShow() async throws {
        let disk = try Disk(coarseChangeTimes: false)
        defer { disk.remove() }
        let backend = try #require(
            try await FileSystemConnector(rootPath: disk.root, logger: TestLogs.silent).connect() as? FileSystemBackend
        )
        guard backend.stampsEveryLaterChange else {
            print("SKIPPED smallIngestStampedWhereChangesShow: this kernel's change times move with its coarse clock (before Linux 6.13)")
            return
        }
        for (seed, hints) in [(UInt64(11), IngestHints(expectedSize: 4096)), (12, IngestHints())] {
            let content = PatternedContent(seed: seed, size: 4096, chunkSize: 4096)
            let bytes = content.chunks().flatMap { Array($0.readableBytesView) }
            let before = disk.dataPlane.provedReads.count
            // No settle wait: the stamp was taken from the file as this ingest left it.
            let result = try await disk.dataPlane.ingest(content.stream, hints: hints)
            #expect(disk.dataPlane.provedReads.count == before + 1, "the ingest's own hash earned its stamp")
            #expect(disk.dataPlane.provedReads.trusts(disk.key(result), try await backend.statStamped(try Self.path(result)).stamp))
            #expect(try await readAll(disk.dataPlane.serve(result.address)) == bytes)

            // A byte flipped at once, inside any clock tick of the ingest, moves the stamp.
            try disk.flipByte(result, at: 100)
            await #expect(throws: DataPlaneError.self) { _ = try await readAll(disk.dataPlane.serve(result.address)) }
            #expect(disk.dataPlane.provedReads.count == before, "the failed proof forgot the stamp")
        }
    }

    @Test("a backend whose change times move with a coarse clock stamps no small ingest; a large one still is")
    func coarseChangeTimesStampOnlyLargeIngests() async throws {
        let disk = try Disk(coarseChangeTimes: true)
        defer { disk.remove() }
        _ = try await disk.dataPlane.ingest(
            PatternedContent(seed: 13, size: 4096, chunkSize: 4096).stream,
            hints: IngestHints(expectedSize: 4096)
        )
        _ = try await disk.dataPlane.ingest(PatternedContent(seed: 14, size: 1024 * 1024 - 1, chunkSize: 256 * 1024).stream)
        #expect(disk.dataPlane.provedReads.count == 0)
        _ = try await disk.dataPlane.ingest(PatternedContent(seed: 15, size: 1024 * 1024, chunkSize: 256 * 1024).stream)
        #expect(disk.dataPlane.provedReads.count == 1)
    }

    static func path(_ result: IngestResult) throws -> StoragePath {
        try StoragePath(result.receipt.storageKey)
    }

    @Test func fileRegionOfAChangedFileIsNotConfirmed() async throws {
        let disk = try Disk()
        defer { disk.remove() }
        let content = PatternedContent(seed: 9, size: 3 * 1024 * 1024, chunkSize: 256 * 1024)
        let result = try await disk.dataPlane.ingest(content.stream)
        let slice = try #require(try await disk.dataPlane.serve(result.address).fileSlice)
        try disk.flipByte(result, at: 5)
        do {
            try await slice.confirm()
            Issue.record("a file region of a file written after it was opened was confirmed")
        } catch let error as DataPlaneError {
            #expect(error.kind == .storage)
            #expect(error.message.contains("changed while it was being read"))
        }
        #expect(disk.dataPlane.provedReads.count == 0, "the failed check forgot the proof")
    }

    @Test func rangedReadsOfferNoRegion() async throws {
        let disk = try Disk()
        defer { disk.remove() }
        let (result, bytes) = try await disk.ingestSettled(seed: 10, size: 10_000)
        let stream = try await disk.dataPlane.serve(result.address, range: ByteRange(first: 100, last: 4_099), backendID: nil)
        #expect(stream.fileSlice == nil, "a ranged read's bytes are proved as they pass, never sent from the file unseen")
        #expect(try await readAll(stream) == Array(bytes[100..<4_100]))
        #expect(try await disk.dataPlane.serve(result.address).fileSlice == nil, "a first, hashed whole read offers none")
    }

    @Test func verifyEarnsTrustAndDeleteForgetsIt() async throws {
        let disk = try Disk()
        defer { disk.remove() }
        let (result, _) = try await disk.ingestSettled(seed: 3, size: 10_000)
        #expect(try await disk.dataPlane.verify(result.address).verified)
        #expect(disk.dataPlane.provedReads.count == 1)
        _ = try await disk.dataPlane.delete(result.address)
        #expect(disk.dataPlane.provedReads.count == 0)
    }

    @Test func zeroTrustHashesEveryRead() async throws {
        let disk = try Disk(trust: .zero)
        defer { disk.remove() }
        let (result, bytes) = try await disk.ingestSettled(seed: 4, size: 10_000)
        #expect(try await readAll(disk.dataPlane.serve(result.address)) == bytes)
        #expect(disk.dataPlane.provedReads.count == 0)
    }

    @Test func rangedReadsEarnNothing() async throws {
        let disk = try Disk()
        defer { disk.remove() }
        let (result, bytes) = try await disk.ingestSettled(seed: 5, size: 10_000)
        let part = try await readAll(disk.dataPlane.serve(result.address, range: ByteRange(first: 0, last: 9_999), backendID: nil))
        #expect(part == bytes)
        #expect(disk.dataPlane.provedReads.count == 0)
    }

    // MARK: The record itself

    let address = try! ContentAddress(parsing: "blake3:" + String(repeating: "ab", count: 32))

    func stamp(changedAt: Int64, size: UInt64 = 10) -> StorageChangeStamp {
        StorageChangeStamp(size: size, changeTimeNanoseconds: changedAt, identity: [1, 2, 3, 4])
    }

    @Test func onlySettledStampsAreRecorded() {
        let stamps = VerifiedStamps(trustDuration: .seconds(60), capacity: 10)
        let key = VerifiedStamps.Key(backendID: "b", address: address)
        let opened: Int64 = 1_000_000_000_000
        stamps.record(key, stamp(changedAt: opened - VerifiedStamps.settleMargin / 2), openedAt: opened)
        #expect(stamps.count == 0, "a file changed within the margin before the open is racily clean")
        stamps.record(key, stamp(changedAt: opened - VerifiedStamps.settleMargin), openedAt: opened)
        #expect(stamps.trusts(key, stamp(changedAt: opened - VerifiedStamps.settleMargin)))
        #expect(!stamps.trusts(key, stamp(changedAt: opened - VerifiedStamps.settleMargin, size: 11)))
        #expect(stamps.count == 0, "a different stamp forgets the record")
    }

    @Test func trustExpiresAndMemoryIsBounded() async throws {
        let key = VerifiedStamps.Key(backendID: "b", address: address)
        let clock = ManualClock()
        let expiring = VerifiedStamps(trustDuration: .seconds(60), capacity: 10, clock: clock)
        expiring.record(key, stamp(changedAt: 0), openedAt: 1_000_000_000_000)
        clock.advance(by: .seconds(59))
        #expect(expiring.trusts(key, stamp(changedAt: 0)), "trusted until the trust duration has passed")
        clock.advance(by: .seconds(1))
        #expect(!expiring.trusts(key, stamp(changedAt: 0)))
        #expect(expiring.count == 0, "an expired stamp is forgotten")

        // A full table drops what has expired before it drops everything.
        let full = VerifiedStamps(trustDuration: .seconds(60), capacity: 2, clock: clock)
        full.record(VerifiedStamps.Key(backendID: "old", address: address), stamp(changedAt: 0), openedAt: 1_000_000_000_000)
        clock.advance(by: .seconds(30))
        let young = VerifiedStamps.Key(backendID: "young", address: address)
        full.record(young, stamp(changedAt: 0), openedAt: 1_000_000_000_000)
        clock.advance(by: .seconds(31))
        full.record(VerifiedStamps.Key(backendID: "new", address: address), stamp(changedAt: 0), openedAt: 1_000_000_000_000)
        #expect(full.count == 2 && full.trusts(young, stamp(changedAt: 0)), "only the expired entry made room")

        let bounded = VerifiedStamps(trustDuration: .seconds(60), capacity: 3)
        for index in 0..<10 {
            bounded.record(VerifiedStamps.Key(backendID: "b\(index)", address: address), stamp(changedAt: 0), openedAt: 1_000_000_000_000)
            #expect(bounded.count <= 3)
        }
    }
}
