import ArtifactDataPlane
import ArtifactDataPlaneConformance
import ArtifactDataPlaneLocal
import ArtifactDataPlaneTestSupport
import ArtifactIdentity
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Crypto
import NIOCore
import Testing

/// ``StagedIngesting`` on every backend kind: pieces appended and hashed as they arrive, a
/// commit that checks the digest, stores the object under its address and leaves nothing staged
/// (on S3 the pieces of 6 MiB are composed on the server), and the failures: an append at the
/// wrong offset, a wrong digest (the stage is kept), a discard.
@Suite("Staged ingest", .serialized, .timeLimit(.minutes(10)))
struct StagedIngestTests {
    enum Kind: String, CaseIterable, CustomStringConvertible {
        case memory, fileSystem, s3
        var description: String { rawValue }

        func subject() async throws -> DataPlaneConformanceSubject? {
            switch self {
            case .memory: try Subjects.memory()
            case .fileSystem: try Subjects.fileSystem()
            case .s3: S3TestServer.isAvailable ? try await Subjects.s3() : nil
            }
        }
    }

    /// `size` bytes of `seed` with every 4 KiB's first byte numbered, so pieces and their order differ.
    static func piece(_ size: Int, seed: UInt8) -> [UInt8] {
        var bytes = [UInt8](repeating: seed, count: size)
        for block in stride(from: 0, to: size, by: 4096) { bytes[block] = UInt8(truncatingIfNeeded: block >> 12) }
        return bytes
    }

    static func collect(_ stream: ByteStream) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await buffer in stream { bytes += buffer.readableBytesView }
        return bytes
    }

    @Test("pieces of 6, 6, 6 and 1 MiB commit to one object; the wrong digest and offset store nothing", arguments: Kind.allCases)
    func appendCommit(kind: Kind) async throws {
        guard let subject = try await kind.subject() else {
            print("skipped: ARTIFACTSTORE_TEST_S3_ENDPOINT is not set")
            return
        }
        let dataPlane = try #require(subject.dataPlane as? any StagedIngesting)
        do {
            let pieces = [(6 << 20, 1), (6 << 20, 2), (6 << 20, 3), (1 << 20, 4)].map { Self.piece($0.0, seed: UInt8($0.1)) }
            let whole = pieces.flatMap { $0 }
            var offset: UInt64 = 0
            for piece in pieces {
                let next = try await dataPlane.appendStaged(
                    "stage-1",
                    at: offset,
                    ByteStream(ByteBuffer(bytes: piece)),
                    hints: IngestHints(expectedSize: UInt64(piece.count))
                )
                #expect(next == offset + UInt64(piece.count))
                offset = next
            }
            await #expect {
                try await dataPlane.appendStaged("stage-1", at: offset + 1, ByteStream(ByteBuffer(bytes: [1])), hints: IngestHints())
            } throws: { ($0 as? DataPlaneError)?.kind == .rangeNotSatisfiable }

            let wrong = Digest(SHA256.hash(data: Array("other".utf8)))
            await #expect {
                try await dataPlane.commitStaged("stage-1", length: offset, hints: IngestHints(expectedDigest: wrong))
            } throws: { ($0 as? DataPlaneError)?.kind == .digestMismatch }
            #expect(try await Self.collect(dataPlane.readStaged("stage-1", length: offset, backendID: nil)) == whole)

            let sha256 = Digest(SHA256.hash(data: whole))
            let result = try await dataPlane.commitStaged("stage-1", length: offset, hints: IngestHints(expectedDigest: sha256))
            #expect(result.sha256Digest == sha256)
            #expect(result.size == UInt64(whole.count))
            #expect(try await Self.collect(dataPlane.serve(result.address)) == whole)
            #expect(try await dataPlane.verify(result.address).verified)
            let stored = try await subject.storedObjects(subject.defaultBackendID)
            #expect(stored.filter { $0.contains("tmp/") || $0.hasPrefix("pending") }.isEmpty, "\(stored)")

            _ = try await dataPlane.appendStaged("stage-2", at: 0, ByteStream(ByteBuffer(bytes: [1, 2, 3])), hints: IngestHints())
            try await dataPlane.discardStaged("stage-2", backendID: nil)
            await #expect {
                try await dataPlane.appendStaged("stage-2", at: 3, ByteStream(ByteBuffer(bytes: [4])), hints: IngestHints())
            } throws: { ($0 as? DataPlaneError)?.kind == .rangeNotSatisfiable }
            await #expect {
                try await dataPlane.appendStaged("../escape", at: 0, ByteStream(ByteBuffer(bytes: [4])), hints: IngestHints())
            } throws: { ($0 as? DataPlaneError)?.kind == .invalidConfiguration }
        } catch {
            try? await subject.tearDown()
            throw error
        }
        try await subject.tearDown()
    }
}
