import ArtifactStorage
import ArtifactStorageS3
import ArtifactStoreCore
import ArtifactStoreTestSupport
import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore

/// This target's additions to the shared ``S3TestServer``: a logger and a bucket with a client
/// and a backend on it.
extension S3TestServer {
    static let logger = Logger(label: "ArtifactStorageS3Tests")

    /// Creates a fresh bucket, runs `body` with a client and backend on it (optionally adjusted),
    /// then empties and deletes the bucket.
    static func withBucket<T>(
        prefix: String = "",
        adjust: (inout S3Configuration) -> Void = { _ in },
        _ body: (S3Client, S3Backend) async throws -> T
    ) async throws -> T {
        var configuration = try configuration(bucket: uniqueBucketName(), prefix: prefix)
        adjust(&configuration)
        let client = try S3Client(configuration: configuration, httpClient: .shared, logger: logger)
        try await client.createBucket()
        let backend = S3Backend(client: client, logger: logger)
        do {
            let result = try await body(client, backend)
            await removeBucket(client)
            return result
        } catch {
            await removeBucket(client)
            throw error
        }
    }
}

/// Deterministic pseudo-random bytes, produced in chunks while hashing them.
struct TestStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let size: Int
    let chunkSize: Int
    let seed: UInt64
    /// Throw after this many bytes, if set.
    var failAfter: Int?

    struct InjectedFailure: Error {}

    struct AsyncIterator: AsyncIteratorProtocol {
        let stream: TestStream
        var produced = 0
        var state: UInt64

        mutating func next() async throws -> ByteBuffer? {
            if let failAfter = stream.failAfter, produced >= failAfter { throw InjectedFailure() }
            guard produced < stream.size else { return nil }
            let count = Swift.min(stream.chunkSize, stream.size - produced)
            var buffer = ByteBuffer()
            buffer.reserveCapacity(count)
            for _ in 0..<(count / 8) {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                buffer.writeInteger(state ^ (state >> 29))
            }
            for _ in 0..<(count % 8) {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                buffer.writeInteger(UInt8(truncatingIfNeeded: state >> 33))
            }
            produced += count
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(stream: self, state: seed)
    }

    /// SHA-256 of the bytes this stream produces (when it does not fail).
    func sha256() async throws -> String {
        var hasher = SHA256()
        for try await buffer in self {
            hasher.update(data: Array(buffer.readableBytesView))
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

extension ByteStream {
    /// Reads the whole stream into memory (tests only).
    func collectBytes() async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await buffer in self {
            bytes.append(contentsOf: buffer.readableBytesView)
        }
        return bytes
    }

    func sha256() async throws -> String {
        var hasher = SHA256()
        for try await buffer in self {
            hasher.update(data: Array(buffer.readableBytesView))
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

func path(_ text: String) throws -> StoragePath { try StoragePath(text) }

func stream(_ text: String) -> ByteStream { ByteStream(ByteBuffer(string: text)) }

/// Runs `body` and returns the StorageError it throws, or nil.
func storageError(_ body: () async throws -> Void) async -> StorageError? {
    do {
        try await body()
        return nil
    } catch let error as StorageError {
        return error
    } catch {
        return StorageError(.io, "unexpected non-storage error: \(error)")
    }
}
