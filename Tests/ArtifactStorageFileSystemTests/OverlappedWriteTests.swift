import ArtifactStorage
import ArtifactStorageConformance
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Foundation
import NIOCore
import Testing

@testable import ArtifactStorageFileSystem

/// Writes and staged appends write each buffer while the next is pulled
/// (``FileSystemBackend/writeAllButLast(_:to:)``): the bytes land in order whatever the buffers'
/// sizes, a stream that fails part-way leaves nothing behind, and a slow stream never has two
/// writes in flight.
@Suite("FileSystemBackend overlapped writes", .timeLimit(.minutes(5)))
struct OverlappedWriteTests {
    /// Buffers of `sizes` bytes, numbered so any reordering or loss shows in the content.
    static func buffers(_ sizes: [Int]) -> (buffers: [ByteBuffer], bytes: [UInt8]) {
        var all: [UInt8] = []
        var buffers: [ByteBuffer] = []
        for (index, size) in sizes.enumerated() {
            let bytes = [UInt8](count: size) { UInt8(truncatingIfNeeded: $0 &* 7 &+ index &* 131) }
            all += bytes
            buffers.append(ByteBuffer(bytes: bytes))
        }
        return (buffers, all)
    }

    static let sizes = [3, 0, 70_000, 1, 0, 1 << 20, 65_536, 5, (1 << 20) + 3, 0, 9_999, 2]

    @Test("a write of many buffers, empty ones among them, stores them in order; zero, one or two buffers too")
    func writesInOrder() async throws {
        let tree = try TemporaryTree()
        defer { tree.remove() }
        let backend = try await tree.open()
        for sizes in [Self.sizes, [], [0, 0], [4096], [10, 20], [0, 5, 0]] {
            let (buffers, bytes) = Self.buffers(sizes)
            let path = try StoragePath("objects/\(sizes.count)-\(bytes.count)")
            let info = try await backend.write(path, from: ByteStream(buffers: buffers), options: StorageWriteOptions(overwrite: true))
            #expect(info.size == UInt64(bytes.count))
            #expect(try Array(Data(contentsOf: URL(fileURLWithPath: tree.root + "/" + path.string))) == bytes, "\(sizes)")
        }
    }

    @Test("a staged append of many buffers lands after the offset in order; a failing one is cut back")
    func appendsInOrder() async throws {
        let tree = try TemporaryTree()
        defer { tree.remove() }
        let backend = try await tree.open()
        let staged = try StoragePath("tmp/staged/overlapped")
        let (first, firstBytes) = Self.buffers([10, 0, 70_000])
        #expect(try await backend.appendStaged(staged, at: 0, from: ByteStream(buffers: first)) == UInt64(firstBytes.count))
        let (second, secondBytes) = Self.buffers(Self.sizes)
        let length = try await backend.appendStaged(staged, at: UInt64(firstBytes.count), from: ByteStream(buffers: second))
        #expect(length == UInt64(firstBytes.count + secondBytes.count))
        let file = tree.root + "/" + staged.string
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: file))) == firstBytes + secondBytes)
        // Several buffers written (some while the next was pulled), then the stream fails.
        await #expect(throws: StorageError.self) {
            _ = try await backend.appendStaged(staged, at: length, from: ByteStream(FailingStream(chunks: second)))
        }
        #expect(try await backend.stagedLength(staged) == length)
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: file))) == firstBytes + secondBytes)
    }

    @Test("a write whose stream fails after several buffers stores nothing and leaves no temporary")
    func failedWriteLeavesNothing() async throws {
        let tree = try TemporaryTree()
        defer { tree.remove() }
        let backend = try await tree.open()
        let (buffers, _) = Self.buffers(Self.sizes)
        let path = try StoragePath("objects/cut")
        await #expect(throws: StorageError.self) {
            try await backend.write(path, from: ByteStream(FailingStream(chunks: buffers)), options: StorageWriteOptions(overwrite: false))
        }
        #expect(!FileManager.default.fileExists(atPath: tree.root + "/" + path.string))
        #expect(tree.rawItems().allSatisfy { !$0.contains(".artifactstore-tmp-") })
    }

    @Test("while the next buffer is pulled, at most one write is in flight, and it has finished before the next starts")
    func oneWriteInFlight() async throws {
        let tree = try TemporaryTree()
        defer { tree.remove() }
        let backend = try await tree.open()
        let (buffers, bytes) = Self.buffers(Array(repeating: 300_000, count: 12))
        let path = try StoragePath("objects/paced")
        // The stream records how many bytes the file holds each time it is pulled: the write of
        // buffer N - 2 has always finished by the time buffer N is handed over (N - 1 may be in
        // flight, N - 1 the one held back).
        let seen = RecordingStream.Log()
        let stream = RecordingStream(buffers: buffers, file: tree.root + "/" + path.string, log: seen)
        _ = try await backend.write(path, from: ByteStream(stream), options: StorageWriteOptions(overwrite: true))
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: tree.root + "/" + path.string))) == bytes)
        let sizes = seen.sizes
        #expect(sizes.count == buffers.count + 1)
        for (index, size) in sizes.enumerated() where index >= 2 {
            #expect(size >= (index - 2) * 300_000, "pull \(index) saw \(size) bytes written")
            #expect(size <= (index - 1) * 300_000, "pull \(index) saw \(size) bytes written")
        }
    }
}

/// Yields `buffers`, recording before each pull how many bytes the temporary being written next
/// to `file` holds (0 when there is none yet).
private struct RecordingStream: AsyncSequence, Sendable {
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [Int] = []
        func append(_ value: Int) { lock.withLock { values.append(value) } }
        var sizes: [Int] { lock.withLock { values } }
    }

    let buffers: [ByteBuffer]
    let file: String
    let log: Log

    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: ArraySlice<ByteBuffer>
        let file: String
        let log: Log

        mutating func next() async throws -> ByteBuffer? {
            let directory = (file as NSString).deletingLastPathComponent
            let temporaries = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            let sizes = temporaries.filter { $0.hasPrefix(".artifactstore-tmp-") }.map { name in
                ((try? FileManager.default.attributesOfItem(atPath: directory + "/" + name))?[.size] as? NSNumber)?.intValue ?? 0
            }
            log.append(sizes.max() ?? 0)
            return remaining.popFirst()
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(remaining: buffers[...], file: file, log: log) }
}
