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

/// Small ingests hash in line and report the receipt of the bytes they wrote.
@Suite("LocalDataPlane small ingests", .timeLimit(.minutes(5)))
struct IngestDigesterTests {
    @Test(
        "an object's path, built from segments, is its address's storage key; its outboard's is the same under outboards/",
        arguments: [DigestAlgorithm.blake3, .sha256]
    )
    func objectPathIsTheStorageKey(algorithm: DigestAlgorithm) throws {
        for seed in 0..<64 {
            let bytes = (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ seed &* 101) }
            let address = ContentAddress(try Digest(algorithm: algorithm, bytes: bytes))
            let path = LocalDataPlane.path(of: address)
            #expect(path.string == address.storageKey)
            #expect(path.segments.count == 5)
            let outboard = LocalDataPlane.outboardPath(of: address)
            #expect(outboard.string == "outboards/" + address.storageKey.dropFirst("blobs/".count))
            #expect(Array(outboard.segments.dropFirst()) == Array(path.segments.dropFirst()))
        }
    }

    @Test("a stream known to fit in one coalesced buffer is hashed in line; a larger or unknown one as configured")
    func digesterChoice() {
        let concurrent = DualDigester.Configuration(concurrent: true)
        func choice(_ size: UInt64?) -> Bool {
            LocalDataPlane.digester(concurrent, for: IngestHints(expectedSize: size)).concurrent
        }
        #expect(choice(0) == false)
        #expect(choice(4096) == false)
        #expect(choice(UInt64(LocalDataPlane.ingestBufferSize)) == false)
        #expect(choice(UInt64(LocalDataPlane.ingestBufferSize) + 1) == true)
        #expect(choice(nil) == true)
        let inline = DualDigester.Configuration(concurrent: false)
        #expect(LocalDataPlane.digester(inline, for: IngestHints()).concurrent == false)
    }

    @Test("a small ingest on a filesystem backend: right digests, and a receipt with the stored size and time")
    func smallIngestReceipt() async throws {
        let root = FileManager.default.temporaryDirectory.path + "/artifactstore-small-ingest-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dataPlane = try LocalDataPlane(
            backends: [.init(id: "disk", connector: try FileSystemConnector(rootPath: root, logger: TestLogs.silent))],
            logger: TestLogs.silent
        )
        let bytes = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let expected = try await DualDigester.digest(ByteStream(ByteBuffer(bytes: bytes)))
        let result = try await dataPlane.ingest(ByteStream(ByteBuffer(bytes: bytes)), hints: IngestHints(expectedSize: 4096))
        #expect(result.sha256Digest == expected.sha256)
        #expect(result.blake3Digest == expected.blake3)
        #expect(result.size == 4096)
        #expect(result.receipt.size == 4096)
        #expect(!result.receipt.deduplicated)
        let attributes = try FileManager.default.attributesOfItem(atPath: root + "/" + result.receipt.storageKey)
        #expect((attributes[.size] as? NSNumber)?.uint64Value == 4096)
        let modified = try #require(attributes[.modificationDate] as? Date)
        #expect(abs(modified.timeIntervalSince(result.receipt.storedAt)) < 0.001)
        // The same bytes again: deduplicated, with the stored object's receipt.
        let again = try await dataPlane.ingest(ByteStream(ByteBuffer(bytes: bytes)), hints: IngestHints(expectedSize: 4096))
        #expect(again.receipt.deduplicated)
        #expect(again.receipt.size == 4096)
        #expect(abs(again.receipt.storedAt.timeIntervalSince(result.receipt.storedAt)) < 0.001)
        // A short stream against its promised size: refused, nothing stored or left behind.
        do {
            _ = try await dataPlane.ingest(ByteStream(ByteBuffer(bytes: bytes.dropLast())), hints: IngestHints(expectedSize: 4096))
            Issue.record("a short stream was accepted")
        } catch {
            #expect(error.kind == .sizeMismatch)
        }
        func files(under directory: String) -> [String] {
            (FileManager.default.subpaths(atPath: root + "/" + directory) ?? []).filter { path in
                var isDirectory: ObjCBool = false
                return FileManager.default.fileExists(atPath: root + "/" + directory + "/" + path, isDirectory: &isDirectory)
                    && !isDirectory.boolValue
            }
        }
        #expect(files(under: "blobs").count == 1)
        #expect(files(under: "tmp").isEmpty)
    }
}
