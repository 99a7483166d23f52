import ArtifactStorage
import ArtifactStorageS3
import ArtifactStoreCore
import ArtifactStoreTestSupport
import AsyncHTTPClient
import Logging
import NIOCore
import Synchronization
import Testing

/// How many requests an exclusive write (`overwrite: false`) costs, read from the S3 client's own
/// per-request log lines: a small body already in memory is one conditional PUT (no HEAD first)
/// and is refused by S3 itself when the object exists; a stream, or a larger body, is still
/// refused by a HEAD before a byte of it is read or sent.
@Suite(
    "S3Backend exclusive writes on a real server",
    .enabled(if: S3TestServer.isAvailable, "ARTIFACTSTORE_TEST_S3_ENDPOINT is not set"),
    .timeLimit(.minutes(5))
)
struct S3ExclusiveWriteTests {
    /// The operations of the client's `s3 request` log lines, in order.
    final class Operations: Sendable {
        private let seen = Mutex<[String]>([])

        var all: [String] { seen.withLock { $0 } }
        func append(_ operation: String) { seen.withLock { $0.append(operation) } }
        func reset() { seen.withLock { $0.removeAll() } }
    }

    struct RecordingHandler: LogHandler {
        let operations: Operations
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            guard event.message.description == "s3 request", let operation = event.metadata?["operation"] else { return }
            operations.append(operation.description)
        }
    }

    /// A fresh bucket whose client logs every request into the returned operations.
    static func withCountedBucket(_ body: (S3Backend, Operations) async throws -> Void) async throws {
        let operations = Operations()
        let logger = Logger(label: "S3ExclusiveWriteTests") { _ in RecordingHandler(operations: operations) }
        let client = try S3Client(
            configuration: try S3TestServer.configuration(bucket: S3TestServer.uniqueBucketName()),
            httpClient: .shared,
            logger: logger
        )
        try await client.createBucket()
        operations.reset()
        do {
            try await body(S3Backend(client: client, logger: logger), operations)
            await S3TestServer.removeBucket(client)
        } catch {
            await S3TestServer.removeBucket(client)
            throw error
        }
    }

    @Test func smallWholeBodyIsOneConditionalPut() async throws {
        try await Self.withCountedBucket { backend, operations in
            let file = try path("blobs/small")
            let info = try await backend.write(file, from: stream("first bytes"), options: .init(overwrite: false))
            #expect(info.size == 11)
            #expect(operations.all == ["PutObject"])

            // The object exists: S3 refuses the conditional PUT, and the stored bytes stay.
            operations.reset()
            let refused = await storageError {
                _ = try await backend.write(file, from: stream("other bytes"), options: .init(overwrite: false))
            }
            #expect(refused?.kind == .alreadyExists)
            #expect(operations.all == ["PutObject"])
            #expect(String(decoding: try await backend.read(file).collectBytes(), as: UTF8.self) == "first bytes")

            // With overwrite there is nothing to refuse.
            operations.reset()
            try await backend.write(file, from: stream("other bytes"))
            #expect(operations.all == ["PutObject"])
            #expect(String(decoding: try await backend.read(file).collectBytes(), as: UTF8.self) == "other bytes")
        }
    }

    @Test func streamedOrLargerBodyIsRefusedByAHeadFirst() async throws {
        try await Self.withCountedBucket { backend, operations in
            let file = try path("blobs/streamed")
            try await backend.write(file, from: stream("stored"))

            // A stream over an existing object: refused by the HEAD, nothing read or sent.
            operations.reset()
            let source = TestStream(size: 64 * 1024, chunkSize: 4096, seed: 3)
            let refused = await storageError {
                _ = try await backend.write(file, from: ByteStream(source), options: .init(overwrite: false))
            }
            #expect(refused?.kind == .alreadyExists)
            #expect(operations.all == ["HeadObject"])

            // A body in memory but above the limit: the HEAD first, then the conditional PUT.
            operations.reset()
            let large = ByteBuffer(repeating: 0x61, count: S3Backend.unprobedWriteLimit + 1)
            let info = try await backend.write(try path("blobs/large"), from: ByteStream(large), options: .init(overwrite: false))
            #expect(info.size == UInt64(S3Backend.unprobedWriteLimit + 1))
            #expect(operations.all == ["HeadObject", "PutObject"])
        }
    }
}
