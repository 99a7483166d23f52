import ArtifactStorage
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Foundation
import Glibc
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import ArtifactStorageFileSystem

/// The directories a write creates are fsynced beside the write (``DirectorySync``): the write
/// returns only once they are, a failed fsync fails the write's wait, and a write into a
/// directory that another write has just created waits for that directory's fsync too
/// (``PendingDirectorySyncs``). All of this is ``FileSystemSyncMode/eachFile``'s; under a shared
/// flush, the flush covers the directories (SharedFlushTests).
@Suite("FileSystemBackend directory syncs", .timeLimit(.minutes(5)))
struct DirectorySyncTests {
    @Test("a write into new directories creates them all, whole or streamed, and returns its object")
    func writesIntoNewDirectories() async throws {
        let tree = try TemporaryTree()
        defer { tree.remove() }
        let backend = try await tree.open(syncMode: .eachFile)
        let bytes = Array("four kibibytes, give or take".utf8)
        let whole = try StoragePath("blobs/b3/ab/cd/whole")
        let streamed = try StoragePath("blobs/b3/ef/01/streamed")
        let first = try await backend.write(
            whole,
            from: ByteStream(ByteBuffer(bytes: bytes)),
            options: StorageWriteOptions(overwrite: false)
        )
        let second = try await backend.write(
            streamed,
            from: ByteStream(buffers: [ByteBuffer(bytes: bytes), ByteBuffer(bytes: bytes)]),
            options: StorageWriteOptions(overwrite: false)
        )
        #expect(first.size == UInt64(bytes.count))
        #expect(second.size == UInt64(2 * bytes.count))
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: tree.root + "/" + whole.string))) == bytes)
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: tree.root + "/" + streamed.string))) == bytes + bytes)
        // A second object in a directory the first created: nothing to create, nothing to wait for.
        let sibling = try StoragePath("blobs/b3/ab/cd/sibling")
        _ = try await backend.write(sibling, from: ByteStream(ByteBuffer(bytes: bytes)), options: StorageWriteOptions(overwrite: false))
        #expect(FileManager.default.fileExists(atPath: tree.root + "/" + sibling.string))
    }

    @Test("waiting for an fsync returns, before or after it ends, for every waiter")
    func waitsForDirectories() async throws {
        let tree = try TemporaryTree()
        defer { tree.remove() }
        let directory = OwnedDescriptor(open(tree.root, O_RDONLY | O_DIRECTORY))
        #expect(directory.raw >= 0)
        let sync = DirectorySync()
        async let first: Void = sync.wait()
        async let second: Void = sync.wait()
        sync.start(directory, on: .singleton)
        try await first
        try await second
        // Ended already: a later wait returns at once with the same outcome.
        try await sync.wait()
    }

    @Test("an fsync that fails (a descriptor that is not open) fails the wait with its errno")
    func reportsFailure() async throws {
        let sync = DirectorySync()
        sync.start(OwnedDescriptor(-1), on: .singleton)
        do {
            try await sync.wait()
            Issue.record("the wait returned although the fsync failed")
        } catch {
            #expect(error.errno == EBADF)
            #expect(error.operation == "fsync")
        }
    }

    @Test("a write into a directory another write created waits for that directory's fsync, and fails with it, then and later")
    func writeWaitsForAnotherWritersDirectory() async throws {
        let tree = try TemporaryTree()
        defer { tree.remove() }
        let backend = try await tree.open(syncMode: .eachFile)
        // Another write, between its mkdir of blobs/b3/ab and the fsync of blobs/b3 that makes
        // the new entry durable: the sync is registered, the directory exists.
        try FileManager.default.createDirectory(atPath: tree.root + "/blobs/b3", withIntermediateDirectories: true)
        let held = backend.pendingDirectorySyncs.register("blobs/b3/ab")
        try FileManager.default.createDirectory(atPath: tree.root + "/blobs/b3/ab", withIntermediateDirectories: false)

        let path = try StoragePath("blobs/b3/ab/cd/object")
        let answered = Answered()
        let write = Task {
            defer { answered.flag.store(true, ordering: .sequentiallyConsistent) }
            return try await backend.write(path, from: ByteStream(ByteBuffer(bytes: [1, 2, 3])), options: StorageWriteOptions())
        }
        // The object is in place, yet the write has not answered: its directory is not durable.
        #expect(try await eventually { FileManager.default.fileExists(atPath: tree.root + "/" + path.string) })
        let answeredEarly = answered.flag.load(ordering: .sequentiallyConsistent)
        #expect(!answeredEarly)
        held.finish(.success(()))
        #expect(try await write.value.size == 3)
        #expect(backend.pendingDirectorySyncs.count == 0)

        // The same with a failed fsync: the write fails rather than acknowledge what may be lost.
        let failing = backend.pendingDirectorySyncs.register("blobs/b3/ef")
        try FileManager.default.createDirectory(atPath: tree.root + "/blobs/b3/ef", withIntermediateDirectories: false)
        let refused = Task {
            try await backend.write(
                try StoragePath("blobs/b3/ef/01/object"),
                from: ByteStream(ByteBuffer(bytes: [4])),
                options: StorageWriteOptions()
            )
        }
        failing.finish(.failure(SystemCallError(errno: EIO, operation: "fsync")))
        do {
            _ = try await refused.value
            Issue.record("the write answered although its directory's fsync failed")
        } catch let error as StorageError {
            #expect(error.kind == .io)
        }
        // It stays failed: a later write through that directory is refused too.
        await #expect(throws: StorageError.self) {
            try await backend.write(
                try StoragePath("blobs/b3/ef/02/object"),
                from: ByteStream(ByteBuffer(bytes: [5])),
                options: StorageWriteOptions()
            )
        }
        // Only the failed one is known to stay: the directories the two writes created below it
        // (`01`, `02`) have fsyncs of their own, which may still be on the thread pool.
        #expect(
            backend.pendingDirectorySyncs.pending(along: ["blobs", "b3", "ef"]).map(ObjectIdentifier.init) == [ObjectIdentifier(failing)]
        )
    }

    @Test("writes racing into one new shard all answer, and leave no fsync registered")
    func racingWritesIntoOneNewShard() async throws {
        let tree = try TemporaryTree()
        defer { tree.remove() }
        let backend = try await tree.open(syncMode: .eachFile)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<32 {
                group.addTask {
                    let path = try StoragePath("blobs/b3/9a/bc/object-\(index)")
                    _ = try await backend.write(path, from: ByteStream(ByteBuffer(bytes: [UInt8(index)])), options: StorageWriteOptions())
                }
            }
            try await group.waitForAll()
        }
        #expect(TemporaryTree.walk(tree.root + "/blobs/b3/9a/bc").count == 32)
        #expect(backend.pendingDirectorySyncs.count == 0)
        // makeDirectory, a move and a staged commit into new directories leave none either.
        try await backend.makeDirectory(try StoragePath("made/a/b"))
        try await backend.move(
            from: try StoragePath("blobs/b3/9a/bc/object-0"),
            to: try StoragePath("moved/x/y/object"),
            options: StorageMoveOptions(overwrite: false)
        )
        #expect(backend.pendingDirectorySyncs.count == 0)
    }
}

/// Whether a write has answered, set from the task that runs it.
private final class Answered: Sendable {
    let flag = Atomic<Bool>(false)
}
