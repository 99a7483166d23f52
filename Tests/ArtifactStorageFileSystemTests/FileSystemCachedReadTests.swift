import ArtifactStorage
import ArtifactStoreTestSupport
import Foundation
import Glibc
import NIOCore
import Testing

@testable import ArtifactStorageFileSystem

/// What the kernel can answer from its caches (`RESOLVE_CACHED`, `RWF_NOWAIT`) is read on the
/// calling thread; everything else goes to the thread pool and gives the same bytes, stamps and
/// errors as before.
@Suite("FileSystemBackend cached reads", .timeLimit(.minutes(5)))
struct FileSystemCachedReadTests {
    @Test func aCachedObjectIsOpenedAndReadOnTheCallingThread() async throws {
        let tree = try TemporaryTree()
        defer { tree.remove() }
        try tree.write("a/small", "the bytes")
        try tree.write("a/large", String(repeating: "x", count: 10_000))
        let backend = try await tree.open()
        let small = try StoragePath("a/small")
        let stamp = try await backend.statStamped(small).stamp
        let counters = backend.readCounters

        guard case .whole(let buffer, let readStamp) = try await backend.readStamped(small, wholeUpTo: 1 << 20) else {
            Issue.record("a small object was not read whole")
            return
        }
        #expect(String(buffer: buffer) == "the bytes")
        #expect(readStamp == stamp)
        #expect(counters.answeredFromCache == 1)
        #expect(counters.sentToThreadPool == 0)

        // An open for a stream or a range takes the same path.
        #expect(try await backend.openForReading(small).stamp == stamp)
        #expect(try await backend.readText("a/small") == "the bytes")
        let large = try StoragePath("a/large")
        guard case .streamed(let read) = try await backend.readStamped(large, wholeUpTo: 9) else {
            Issue.record("an object past the limit was read whole")
            return
        }
        var count = 0
        for try await chunk in read.bytes { count += chunk.readableBytes }
        #expect(count == 10_000)
        #expect(read.stamp == (try await backend.statStamped(large)).stamp)
        #expect(counters.answeredFromCache == 4)
        #expect(counters.sentToThreadPool == 0)
    }

    /// A file whose pages the kernel dropped is read on the thread pool, with the same result.
    @Test func anObjectNotInThePageCacheIsReadOnTheThreadPool() async throws {
        let tree = try TemporaryTree()
        defer { tree.remove() }
        let bytes = [UInt8](count: 65_536) { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        try Data(bytes).write(to: URL(fileURLWithPath: tree.root + "/cold"))
        guard Self.dropPageCache(of: tree.root + "/cold") else {
            print("skipped: the file system under \(tree.root) keeps the pages of a clean file after POSIX_FADV_DONTNEED")
            return
        }
        let backend = try await tree.open()
        let path = try StoragePath("cold")
        guard case .whole(let buffer, let stamp) = try await backend.readStamped(path, wholeUpTo: 1 << 20) else {
            Issue.record("a small object was not read whole")
            return
        }
        #expect(Array(buffer.readableBytesView) == bytes)
        #expect(stamp == (try await backend.statStamped(path)).stamp)
        #expect(backend.readCounters.sentToThreadPool == 1)
        #expect(backend.readCounters.answeredFromCache == 0)
    }

    /// A missing object, a special file and an escape are tried quickly, then refused by the
    /// thread pool's read with the errors they always had.
    @Test func failuresAreReportedByThePoolRead() async throws {
        let tree = try TemporaryTree()
        defer { tree.remove() }
        #expect(mkfifo(tree.root + "/fifo", 0o644) == 0)
        try tree.symlink("escape", to: tree.base + "/outside")
        try tree.write("directory/inside", "")
        let backend = try await tree.open()
        let cases: [(String, StorageErrorCode)] = [
            ("missing", .objectNotFound), ("fifo", .objectNotFound), ("directory", .objectNotFound),
            ("escape/secret.txt", .pathEscapesRoot),
        ]
        for (name, kind) in cases {
            let error = await #expect(throws: StorageError.self) {
                _ = try await backend.readStamped(try StoragePath(name), wholeUpTo: 1 << 20)
            }
            #expect(error?.kind == kind, "\(name)")
        }
        #expect(backend.readCounters.sentToThreadPool == cases.count)
        #expect(backend.readCounters.answeredFromCache == 0)
    }

    /// Asks the kernel to drop the (clean) pages of the file at `path`; whether it did, by
    /// `mincore` on a mapping of the file.
    static func dropPageCache(of path: String) -> Bool {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var info = stat()
        guard fsync(fd) == 0, fstat(fd, &info) == 0, posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0 else { return false }
        let length = Int(info.st_size)
        guard let mapping = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0), mapping != MAP_FAILED else { return false }
        defer { munmap(mapping, length) }
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        var resident = [UInt8](repeating: 0, count: (length + pageSize - 1) / pageSize)
        guard mincore(mapping, length, &resident) == 0 else { return false }
        return resident.allSatisfy { $0 & 1 == 0 }
    }
}
