import ArtifactStorage
import ArtifactStoreCore
import Foundation
import Glibc
import NIOCore
import NIOPosix
import Testing

@testable import ArtifactStorageFileSystem

/// The directories a write creates are fsynced beside the write (``DirectorySync``): the write
/// returns only once they are, and a failed fsync fails the write's wait.
@Suite("FileSystemBackend directory syncs", .timeLimit(.minutes(2)))
struct DirectorySyncTests {
    @Test("a write into new directories creates them all, whole or streamed, and returns its object")
    func writesIntoNewDirectories() async throws {
        let tree = try TemporaryTree()
        defer { tree.remove() }
        let backend = try await tree.open()
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

    @Test("waiting for the fsyncs of directories that exist returns, before or after they end")
    func waitsForDirectories() async throws {
        let tree = try TemporaryTree()
        defer { tree.remove() }
        let pool = NIOThreadPool.singleton
        let directory = OwnedDescriptor(open(tree.root, O_RDONLY | O_DIRECTORY))
        #expect(directory.raw >= 0)
        let sync = DirectorySync.start([directory, directory], on: pool)
        try await sync.wait()
        // Ended already: a second wait returns at once with the same outcome.
        try await sync.wait()
    }

    @Test("an fsync that fails (a descriptor that is not open) fails the wait with its errno")
    func reportsFailure() async throws {
        let pool = NIOThreadPool.singleton
        let sync = DirectorySync.start([OwnedDescriptor(-1)], on: pool)
        do {
            try await sync.wait()
            Issue.record("the wait returned although the fsync failed")
        } catch {
            #expect(error.errno == EBADF)
            #expect(error.operation == "fsync")
        }
    }
}
