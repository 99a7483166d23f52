import ArtifactStorage
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Dispatch
import Foundation
import Glibc
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import ArtifactStorageFileSystem

/// The shared flush (``SharedFlush``, `sync=filesystem`): a waiter is answered only by a flush
/// that started after it asked, the waiters of one flush share it, a failure fails everyone for
/// good, and the backend's writes wait for it.
@Suite("FileSystemBackend shared flush", .timeLimit(.minutes(5)))
struct SharedFlushTests {
    @Test("waiters that ask while a flush runs wait for the next one, and all of them share it")
    func waitersShareTheNextFlush() async throws {
        let gate = FlushGate()
        let flush = SharedFlush(pool: .singleton) { () throws(SystemCallError) in gate.pass() }
        let first = Task { try await flush.wait() }
        #expect(try await eventually { gate.entered == 1 })

        // Asked while the first flush runs: it may have passed their bytes by.
        let later = (0..<16).map { _ in Task { try await flush.wait() } }
        #expect(try await eventually { flush.waiting == 17 })
        gate.open()
        try await first.value
        // The second flush started for all sixteen at once; none is answered before it ends.
        #expect(try await eventually { gate.entered == 2 })
        #expect(flush.waiting == 16)
        gate.open()
        for task in later { try await task.value }
        #expect(flush.flushes == 2)
        #expect(flush.waiting == 0)

        // Nothing running: a wait starts a flush of its own.
        let alone = Task { try await flush.wait() }
        #expect(try await eventually { gate.entered == 3 })
        gate.open()
        try await alone.value
        #expect(flush.flushes == 3)
    }

    @Test("a failed flush fails its waiters, those queued for the next, and every later wait, without flushing again")
    func failureIsForGood() async throws {
        let gate = FlushGate()
        let flush = SharedFlush(pool: .singleton) { () throws(SystemCallError) in
            gate.pass()
            throw SystemCallError(errno: EIO, operation: "syncfs")
        }
        let first = Task { try await flush.wait() }
        #expect(try await eventually { gate.entered == 1 })
        let queued = Task { try await flush.wait() }
        #expect(try await eventually { flush.waiting == 2 })
        gate.open()
        for task in [first, queued] {
            do {
                try await task.value
                Issue.record("a wait returned although its flush failed")
            } catch let error as SystemCallError {
                #expect(error.errno == EIO)
                #expect(error.operation == "syncfs")
            }
        }
        await #expect(throws: SystemCallError.self) { try await flush.wait() }
        #expect(flush.flushes == 1)
        #expect(gate.entered == 1)
    }

    @Test("a flush that ended well answers its waiters with success even when the next one, started at once, fails")
    func successIsNotTakenBackByTheNextFailure() async throws {
        let gate = FlushGate()
        let flush = SharedFlush(pool: .singleton) { () throws(SystemCallError) in
            gate.pass()
            if gate.entered > 1 { throw SystemCallError(errno: EIO, operation: "syncfs") }
        }
        let first = Task { try await flush.wait() }
        #expect(try await eventually { gate.entered == 1 })
        let second = Task { try await flush.wait() }
        #expect(try await eventually { flush.waiting == 2 })
        // The second flush fails as soon as it is let through: open it before the first ends.
        gate.open()
        gate.open()
        try await first.value
        await #expect(throws: SystemCallError.self) { try await second.value }
        #expect(flush.flushes == 2)
    }

    @Test("where the file system allows it, the automatic choice is the shared flush; concurrent writes share flushes")
    func backendWritesShareFlushes() async throws {
        let tree = try TemporaryTree()
        defer { tree.remove() }
        let probe = OwnedDescriptor(open(tree.root, O_PATH | O_DIRECTORY))
        let reason = FileSystemSyncMode.sharedFlushUnavailableReason(root: probe.raw)
        let automatic = try await tree.open()
        #expect(automatic.syncMode == (reason == nil ? .sharedFlush : .eachFile))
        let fsyncing = try await tree.open(syncMode: .eachFile)
        #expect(fsyncing.syncMode == .eachFile)
        #expect(fsyncing.sharedFlush == nil)
        guard reason == nil, let sharedFlush = automatic.sharedFlush else {
            print("skipped: the shared flush is not available under \(tree.root): \(reason ?? "")")
            return
        }

        // 64 small objects into new shard directories, 16 at a time, whole and streamed: each
        // answered, each readable; the whole ones share flushes, the streamed ones (large, in
        // use) fsync their own directories and flush nothing.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<64 {
                group.addTask {
                    let path = try StoragePath("blobs/b3/\(String(format: "%02x", index))/ab/object-\(index)")
                    let bytes = ByteBuffer(bytes: Array(repeating: UInt8(index), count: 4096))
                    let source = index % 2 == 0 ? ByteStream(bytes) : ByteStream(buffers: [bytes, bytes])
                    let info = try await automatic.write(path, from: source, options: StorageWriteOptions(overwrite: false))
                    #expect(info.size == UInt64(index % 2 == 0 ? 4096 : 8192))
                }
                if index % 16 == 15 { try await group.waitForAll() }
            }
        }
        for index in [0, 1, 62, 63] {
            let read = try await automatic.readText("blobs/b3/\(String(format: "%02x", index))/ab/object-\(index)")
            #expect(read.utf8.count == (index % 2 == 0 ? 4096 : 8192))
            #expect(read.utf8.allSatisfy { $0 == UInt8(index) })
        }
        let afterWrites = sharedFlush.flushes
        #expect(afterWrites >= 1)
        #expect(afterWrites <= 32)

        // A move, a staged object's first append and its commit fsync their own directories
        // (no flush of the whole file system for them); makeDurable waits for a flush.
        try await automatic.move(
            from: try StoragePath("blobs/b3/00/ab/object-0"),
            to: try StoragePath("moved/x/y/object"),
            options: StorageMoveOptions(overwrite: false)
        )
        let stage = try StoragePath("tmp/staged/new/stage")
        _ = try await automatic.appendStaged(stage, at: 0, from: ByteStream(ByteBuffer(string: "staged")))
        try await automatic.commitStaged(stage, length: 6, to: try StoragePath("committed/a/b/object"), options: StorageWriteOptions())
        try await automatic.makeDurable(try StoragePath("committed/a/b/object"))
        #expect(sharedFlush.flushes == afterWrites + 1)
        #expect(try await automatic.readText("moved/x/y/object").utf8.count == 4096)
        #expect(try await automatic.readText("committed/a/b/object") == "staged")
        #expect(automatic.pendingDirectorySyncs.count == 0)
    }

    @Test("a write whose flush fails is refused as an I/O error, and so is every write after it")
    func failedFlushRefusesWrites() async throws {
        let tree = try TemporaryTree()
        defer { tree.remove() }
        let opened = try await tree.open(syncMode: .eachFile)
        let failing = SharedFlush(pool: .singleton) { () throws(SystemCallError) in
            throw SystemCallError(errno: EIO, operation: "syncfs")
        }
        let backend = FileSystemBackend(
            root: opened.root,
            rootPath: opened.rootPath,
            threadPool: .singleton,
            logger: TemporaryTree.logger,
            resolution: .automatic,
            stampsEveryLaterChange: opened.stampsEveryLaterChange,
            sharedFlush: failing
        )
        for index in 0..<2 {
            let path = try StoragePath("blobs/b3/aa/bb/object-\(index)")
            let error = await #expect(throws: StorageError.self) {
                try await backend.write(path, from: ByteStream(ByteBuffer(string: "bytes")), options: StorageWriteOptions(overwrite: false))
            }
            #expect(error?.kind == .io)
            #expect(error?.message.contains(path.string) == true)
            #expect(error?.message.contains("syncfs") == true)
        }
        await #expect(throws: StorageError.self) { try await backend.makeDurable(try StoragePath("blobs/b3/aa/bb/object-0")) }
        #expect(failing.flushes == 1)
    }

    @Test("sync=filesystem is refused where the file system cannot keep it; the automatic choice falls back to fsyncs")
    func refusedWhereUnavailable() async throws {
        // procfs: never a store, but a file system whose syncfs flushes nothing.
        let probe = OwnedDescriptor(open("/proc", O_PATH | O_DIRECTORY))
        let reason = try #require(FileSystemSyncMode.sharedFlushUnavailableReason(root: probe.raw))
        #expect(reason.contains("type 0x9fa0"))
        let logger = TemporaryTree.logger
        do {
            _ = try await FileSystemBackend.open(
                rootPath: "/proc",
                threadPool: .singleton,
                logger: logger,
                resolution: .automatic,
                probesChangeTimes: false,
                syncMode: .sharedFlush
            )
            Issue.record("sync=filesystem was accepted on procfs")
        } catch {
            #expect(error.kind == .invalidConfiguration)
            #expect(error.message.contains("/proc"))
            #expect(error.message.contains("sync=file"))
        }
        let fallback = try await FileSystemBackend.open(
            rootPath: "/proc",
            threadPool: .singleton,
            logger: logger,
            resolution: .automatic,
            probesChangeTimes: false
        )
        #expect(fallback.syncMode == .eachFile)
    }

    @Test("kernel releases are read as major.minor; 5.8 is the first whose syncfs reports failures")
    func kernelVersions() {
        #expect(FileSystemSyncMode.kernelVersion("6.18.44-fc-v1300")! == (6, 18))
        #expect(FileSystemSyncMode.kernelVersion("5.8.0")! == (5, 8))
        #expect(FileSystemSyncMode.kernelVersion("5.10")! == (5, 10))
        #expect(FileSystemSyncMode.kernelVersion("4.19.0-26-amd64")! < FileSystemSyncMode.syncfsReportsErrorsSince)
        #expect(FileSystemSyncMode.kernelVersion("5.7.19")! < FileSystemSyncMode.syncfsReportsErrorsSince)
        #expect(!(FileSystemSyncMode.kernelVersion("5.8.1")! < FileSystemSyncMode.syncfsReportsErrorsSince))
        for bad in ["", "6", "six.1", "6.x", ".5"] {
            #expect(FileSystemSyncMode.kernelVersion(bad) == nil, "\(bad)")
        }
    }
}

/// Holds each flush until the test opens the gate once for it; counts the flushes that entered.
private final class FlushGate: Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let count = Atomic<Int>(0)

    var entered: Int { count.load(ordering: .sequentiallyConsistent) }

    /// Called by the flush: counts it, then blocks until ``open()``.
    func pass() {
        count.add(1, ordering: .sequentiallyConsistent)
        semaphore.wait()
    }

    func open() { semaphore.signal() }
}
