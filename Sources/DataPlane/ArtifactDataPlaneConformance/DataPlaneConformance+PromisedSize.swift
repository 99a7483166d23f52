import ArtifactDataPlane
import ArtifactIdentity
import ArtifactStorageConformance
import ArtifactStoreCore
import NIOCore

extension DataPlaneConformance {
    /// Small objects whose size is promised up front (an HTTP upload with a `Content-Length`,
    /// the usual case) keep every ingest promise, however the stream is cut: round trip and
    /// deduplication (in pieces or as one buffer), a failing or cancelled stream storing nothing,
    /// and concurrent ingests of the same bytes committing once. An implementation may take a
    /// different path for them (the local data plane hashes them before writing anything).
    public func promisedSmallSizes() async throws {
        try await withSubject("promisedSmallSizes") { subject, probe in
            for (size, chunkSize) in [(0, 1), (1, 1), (4096, 1000), (1024 * 1024 - 1, 100_000)] {
                let content = ReferenceContent(seed: UInt64(size) &+ 41, size: size, chunkSize: chunkSize)
                let hints = IngestHints(expectedSize: UInt64(size))
                let (result, reference) = try await probe.ingest(content, hints: hints)
                try probe.equal(
                    try await probe.storedContent(subject.defaultBackendID),
                    [result.receipt.storageKey],
                    "stored objects after a \(size)-byte ingest"
                )
                try await probe.serveMatches(result.address, reference)
                let again = try await subject.dataPlane.ingest(ByteStream(ByteBuffer(bytes: content.bytes)), hints: hints)
                try probe.checkResult(again, reference, hints: hints, deduplicated: true)
                try probe.equal(
                    try await probe.storedContent(subject.defaultBackendID),
                    [result.receipt.storageKey],
                    "stored objects after the same \(size) bytes again"
                )
                try await probe.delete(result)
            }

            let chunk = ByteBuffer(repeating: 0x5A, count: 4096)
            for count in [0, 3] {
                let stream = ByteStream(FailingStream(chunks: Array(repeating: chunk, count: count)))
                try await probe.expectFailure(.streamFailed, "ingest of a stream promising 64 KiB that fails after \(count) chunks") {
                    _ = try await subject.dataPlane.ingest(stream, hints: IngestHints(expectedSize: 65_536))
                }
            }

            try await probe.expectFailure(.cancelled, "cancelled ingest promising 960 KiB") {
                let (started, continuation) = AsyncStream<Void>.makeStream()
                let stream = ByteStream(SlowStream(started: continuation, limit: 15))
                let dataPlane = subject.dataPlane
                let task = Task {
                    defer { continuation.finish() }
                    return try await dataPlane.ingest(stream, hints: IngestHints(expectedSize: 15 * 64 * 1024))
                }
                for await _ in started { break }
                task.cancel()
                _ = try await task.value
            }

            let content = ReferenceContent(seed: 77, size: 10_000, chunkSize: 3000)
            let result = try await ingestConcurrently(content, hints: IngestHints(expectedSize: 10_000), subject: subject, probe: probe)
            try await probe.serveMatches(result.address, content.digests)
            try await probe.delete(result)
        }
    }
}
