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

/// Small ingests with a promised size, which the local data plane hashes before writing
/// (``LocalDataPlane/ingestWhole(_:size:hints:backendID:backend:)``): what the conformance suite
/// cannot see from outside.
@Suite("Whole ingest", .timeLimit(.minutes(5)))
struct WholeIngestTests {
    /// A data plane over one file-system backend in a fresh directory.
    struct Disk {
        let root: String
        let dataPlane: LocalDataPlane

        init() throws {
            root = FileManager.default.temporaryDirectory.path + "/artifactstore-whole-\(UUID().uuidString.lowercased())"
            try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            dataPlane = try LocalDataPlane(
                backends: [.init(id: "disk", connector: try FileSystemConnector(rootPath: root, logger: TestLogs.silent))],
                logger: TestLogs.silent
            )
        }

        func remove() { try? FileManager.default.removeItem(atPath: root) }

        /// Every file under the root, relative to it.
        func files() -> [String] {
            let enumerator = FileManager.default.enumerator(atPath: root)
            var files: [String] = []
            while let path = enumerator?.nextObject() as? String {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: root + "/" + path, isDirectory: &isDirectory), !isDirectory.boolValue {
                    files.append(path)
                }
            }
            return files.sorted()
        }
    }

    @Test("the whole path is taken up to just under 1 MiB, and the stamped large path from 1 MiB")
    func threshold() {
        #expect(LocalDataPlane.wholeIngestLimit == 1024 * 1024 - 1)
        #expect(LocalDataPlane.wholeIngestLimit < LocalDataPlane.minimumStampedWriteSize)
    }

    @Test("a stored object of the wrong size is replaced by the bytes that match its address")
    func damagedObjectReplaced() async throws {
        let disk = try Disk()
        defer { disk.remove() }
        let bytes = ByteBuffer(repeating: 0x42, count: 5000)
        let hints = IngestHints(expectedSize: 5000)
        let first = try await disk.dataPlane.ingest(ByteStream(bytes), hints: hints)
        let path = disk.root + "/" + first.receipt.storageKey
        try Data(repeating: 0x42, count: 100).write(to: URL(fileURLWithPath: path))

        let second = try await disk.dataPlane.ingest(ByteStream(bytes), hints: hints)
        #expect(second.address == first.address)
        #expect(!second.receipt.deduplicated)
        #expect(second.receipt.size == 5000)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(repeating: 0x42, count: 5000))
        #expect(disk.files() == [first.receipt.storageKey], "a temporary was left behind")
    }

    @Test("an object already stored is not written again")
    func deduplicatedWithoutWriting() async throws {
        let disk = try Disk()
        defer { disk.remove() }
        let bytes = ByteBuffer(repeating: 0x17, count: 4096)
        let first = try await disk.dataPlane.ingest(ByteStream(bytes), hints: IngestHints(expectedSize: 4096))
        let path = disk.root + "/" + first.receipt.storageKey
        let before = try FileManager.default.attributesOfItem(atPath: path)
        let again = try await disk.dataPlane.ingest(ByteStream(bytes), hints: IngestHints(expectedSize: 4096))
        #expect(again.receipt.deduplicated)
        let after = try FileManager.default.attributesOfItem(atPath: path)
        // The same file (a rename over it would give a new inode), never rewritten.
        #expect((after[.systemFileNumber] as? NSNumber) == (before[.systemFileNumber] as? NSNumber))
        #expect(disk.files() == [first.receipt.storageKey])
    }

    @Test("a stream that runs past its promised size is stopped there and nothing is stored")
    func runsPastPromise() async throws {
        let disk = try Disk()
        defer { disk.remove() }
        let chunks = Array(repeating: ByteBuffer(repeating: 1, count: 1000), count: 5)
        do {
            _ = try await disk.dataPlane.ingest(ByteStream(buffers: chunks), hints: IngestHints(expectedSize: 4500))
            Issue.record("an ingest past its promised size was accepted")
        } catch {
            #expect(error.kind == .sizeLimitExceeded)
            #expect(error.message.contains("4500"))
        }
        #expect(disk.files().isEmpty)
    }

    @Test("a digest mismatch stores nothing, not even a temporary")
    func digestMismatch() async throws {
        let disk = try Disk()
        defer { disk.remove() }
        let wrong = try Digest(parsing: "sha256:" + String(repeating: "0", count: 64))
        do {
            _ = try await disk.dataPlane.ingest(
                ByteStream(ByteBuffer(string: "hello")),
                hints: IngestHints(expectedDigest: wrong, expectedSize: 5)
            )
            Issue.record("a mismatching digest was accepted")
        } catch {
            #expect(error.kind == .digestMismatch)
        }
        #expect(disk.files().isEmpty)
    }
}
