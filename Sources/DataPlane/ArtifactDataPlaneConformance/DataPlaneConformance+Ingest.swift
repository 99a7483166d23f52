import ArtifactDataPlane
import ArtifactIdentity
import ArtifactStorageConformance
import ArtifactStoreCore
import NIOCore

extension DataPlaneConformance {
    /// The empty stream: its digests are the published ones, and it round-trips.
    public func ingestEmpty() async throws {
        try await withSubject("ingestEmpty") { subject, probe in
            let content = ReferenceContent(seed: 1, size: 0)
            let (result, reference) = try await probe.ingest(content)
            try probe.equal(
                result.blake3Digest.description,
                "blake3:af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262",
                "BLAKE3 of nothing"
            )
            try probe.equal(
                result.sha256Digest.description,
                "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                "SHA-256 of nothing"
            )
            try await probe.serveMatches(result.address, reference)
            let verification = try await subject.dataPlane.verify(result.address, backendID: nil)
            try probe.require(verification.verified && verification.actualSize == 0, "verify of the empty object: \(verification)")
            try await probe.delete(result)
        }
    }

    /// Ingest, serve back, verify and delete `size` bytes, against independent digests.
    func ingestRoundTrip(size: Int, check: Check) async throws {
        try await withSubject(check.rawValue) { subject, probe in
            let content = ReferenceContent(seed: UInt64(size) &+ 11, size: size)
            let (result, reference) = try await probe.ingest(content, hints: IngestHints(sizeHint: UInt64(size)))
            try probe.equal(try await probe.storedContent(subject.defaultBackendID), [result.receipt.storageKey], "stored objects")
            try await probe.serveMatches(result.address, reference)
            let verification = try await subject.dataPlane.verify(result.address, backendID: nil)
            try probe.require(verification.verified, "verify of a freshly ingested object failed: \(verification)")
            try probe.equal(verification.actualBLAKE3Digest, reference.blake3, "verify's BLAKE3")
            try probe.equal(verification.actualSHA256Digest, reference.sha256, "verify's SHA-256")
            try probe.equal(verification.actualSize, reference.size, "verify's size")
            try probe.require(verification.mismatch == nil, "verify explains a mismatch that is not there")
            try await probe.delete(result)
        }
    }

    /// SHA-256 as the primary algorithm names the object by its SHA-256.
    public func ingestSHA256Primary() async throws {
        try await withSubject("ingestSHA256Primary") { subject, probe in
            let content = ReferenceContent(seed: 256, size: 70_001, chunkSize: 4096)
            let hints = IngestHints(primaryAlgorithm: .sha256)
            let (result, reference) = try await probe.ingest(content, hints: hints)
            try probe.require(result.receipt.storageKey.hasPrefix("blobs/sha256/"), "SHA-256 object stored at \(result.receipt.storageKey)")
            try await probe.serveMatches(result.address, reference)
            let verification = try await subject.dataPlane.verify(result.address, backendID: nil)
            try probe.require(verification.verified && verification.actualPrimaryDigest == reference.sha256, "verify: \(verification)")
            try await probe.delete(result)
        }
    }

    /// The same content ingested again is not written twice, however it is chunked.
    public func deduplication() async throws {
        try await withSubject("deduplication") { subject, probe in
            let content = ReferenceContent(seed: 2, size: 300_000, chunkSize: 65_536)
            let (first, reference) = try await probe.ingest(content)
            let (second, _) = try await probe.ingest(content, deduplicated: true)
            try probe.equal(second.address, first.address, "address of the duplicate")
            let whole = try await subject.dataPlane.ingest(ByteStream(ByteBuffer(bytes: content.bytes)), hints: IngestHints())
            try probe.checkResult(whole, reference, hints: IngestHints(), deduplicated: true)
            try probe.equal(
                try await probe.storedContent(subject.defaultBackendID),
                [first.receipt.storageKey],
                "stored objects after three ingests"
            )
            try await probe.serveMatches(first.address, reference)
            try await probe.delete(first)
        }
    }

    /// `backendID` stores into that backend only; content in one backend is not in another.
    public func backendSelection() async throws {
        try await withSubject("backendSelection") { subject, probe in
            let other = subject.otherBackendID
            let content = ReferenceContent(seed: 3, size: 5000)
            let hints = IngestHints(backendID: other)
            let (result, reference) = try await probe.ingest(content, hints: hints)
            try probe.equal(try await subject.storedObjects(other), [result.receipt.storageKey], "objects in \(other)")
            try probe.equal(try await probe.storedContent(subject.defaultBackendID), [], "objects in the default backend")
            try await probe.serveMatches(result.address, reference, backendID: other)
            try await probe.expectFailure(.objectNotFound, "serve from the default backend") {
                _ = try await subject.dataPlane.serve(result.address, range: nil, backendID: nil)
            }
            // The same content into the default backend is a new object there, not a duplicate.
            let (inDefault, _) = try await probe.ingest(content, deduplicated: false)
            try await probe.delete(inDefault)
            try await probe.delete(result)
        }
    }

    /// A promised digest that differs stores nothing and names both digests.
    public func expectedDigestMismatch() async throws {
        try await withSubject("expectedDigestMismatch") { subject, probe in
            let content = ReferenceContent(seed: 4, size: 200_000, chunkSize: 50_000)
            let reference = content.digests
            let wrong = ReferenceContent(seed: 5, size: 200_000).digests
            for expected in [wrong.blake3, wrong.sha256] {
                let error = try await probe.expectFailure(.digestMismatch, "ingest expecting \(expected)") {
                    _ = try await subject.dataPlane.ingest(content.stream, hints: IngestHints(expectedDigest: expected))
                }
                let actual = expected.algorithm == .blake3 ? reference.blake3 : reference.sha256
                try probe.mentions(error, expected.description, actual.description)
            }
            // The right promise, in either algorithm and with the size, is accepted.
            let (result, _) = try await probe.ingest(
                content,
                hints: IngestHints(expectedDigest: reference.sha256, expectedSize: reference.size)
            )
            let (again, _) = try await probe.ingest(content, hints: IngestHints(expectedDigest: reference.blake3), deduplicated: true)
            try probe.equal(again.address, result.address, "address")
            try await probe.delete(result)
        }
    }

    /// A promised size that differs stores nothing and names both sizes, whether the stream
    /// runs short or long.
    public func expectedSizeMismatch() async throws {
        try await withSubject("expectedSizeMismatch") { subject, probe in
            let content = ReferenceContent(seed: 6, size: 100_000, chunkSize: 10_000)
            let short = try await probe.expectFailure(.sizeMismatch, "ingest expecting more bytes than sent") {
                _ = try await subject.dataPlane.ingest(content.stream, hints: IngestHints(expectedSize: 100_001))
            }
            try probe.mentions(short, "100001", "100000")
            let long = try await probe.expectFailure(.sizeLimitExceeded, "ingest expecting fewer bytes than sent") {
                _ = try await subject.dataPlane.ingest(content.stream, hints: IngestHints(expectedSize: 25_000))
            }
            try probe.mentions(long, "25000")
            try await probe.expectFailure(.sizeLimitExceeded, "ingest of bytes expecting none") {
                _ = try await subject.dataPlane.ingest(content.stream, hints: IngestHints(expectedSize: 0))
            }
            try await probe.expectFailure(.sizeMismatch, "ingest of nothing expecting one byte") {
                _ = try await subject.dataPlane.ingest(.empty, hints: IngestHints(expectedSize: 1))
            }
        }
    }

    /// A stream that throws part-way (or at once) stores nothing and leaves no temporary.
    public func failingStreamLeavesNothing() async throws {
        try await withSubject("failingStreamLeavesNothing") { subject, probe in
            let chunk = ByteBuffer(repeating: 0xA5, count: 300_000)
            for (count, hints) in [(0, IngestHints()), (5, IngestHints()), (5, IngestHints(backendID: subject.otherBackendID))] {
                let stream = ByteStream(FailingStream(chunks: Array(repeating: chunk, count: count)))
                let error = try await probe.expectFailure(.streamFailed, "ingest of a stream that fails after \(count) chunks") {
                    _ = try await subject.dataPlane.ingest(stream, hints: hints)
                }
                try probe.mentions(error, "the client went away")
            }
        }
    }

    /// Cancelling the ingesting task stores nothing and leaves no temporary.
    public func cancelledStreamLeavesNothing() async throws {
        try await withSubject("cancelledStreamLeavesNothing") { subject, probe in
            for backendID in [subject.defaultBackendID, subject.otherBackendID] {
                try await probe.expectFailure(.cancelled, "cancelled ingest into \(backendID)") {
                    let (started, continuation) = AsyncStream<Void>.makeStream()
                    let stream = ByteStream(SlowStream(started: continuation, limit: 4096))
                    let dataPlane = subject.dataPlane
                    let task = Task {
                        // Ends the wait below even if the ingest fails before pulling.
                        defer { continuation.finish() }
                        return try await dataPlane.ingest(stream, hints: IngestHints(backendID: backendID))
                    }
                    for await _ in started { break }
                    task.cancel()
                    _ = try await task.value
                }
            }
        }
    }

    /// Sixteen ingests of the same content at once end in one object, every result correct.
    public func concurrentIdenticalIngests() async throws {
        try await withSubject("concurrentIdenticalIngests") { subject, probe in
            let content = ReferenceContent(seed: 16, size: 3 * 1024 * 1024 + 5, chunkSize: 256 * 1024)
            let result = try await ingestConcurrently(content, hints: IngestHints(), subject: subject, probe: probe)
            try await probe.serveMatches(result.address, content.digests)
            try await probe.delete(result)
        }
    }

    /// Ingests `content` sixteen times at once and checks every result, how many say they wrote
    /// the object (``DataPlaneConformanceCapabilities/exclusiveCommit``) and that one object is
    /// stored; returns one of the results.
    func ingestConcurrently(
        _ content: ReferenceContent,
        hints: IngestHints,
        subject: DataPlaneConformanceSubject,
        probe: Probe
    ) async throws -> IngestResult {
        let reference = content.digests
        let dataPlane = subject.dataPlane
        let results = try await withThrowingTaskGroup(of: IngestResult.self) { group in
            for _ in 0..<16 {
                group.addTask { try await dataPlane.ingest(content.stream, hints: hints) }
            }
            var results: [IngestResult] = []
            for try await result in group { results.append(result) }
            return results
        }
        try probe.equal(results.count, 16, "results")
        for result in results {
            try probe.checkResult(result, reference, hints: hints, deduplicated: nil)
        }
        let written = results.filter { !$0.receipt.deduplicated }.count
        if capabilities.exclusiveCommit {
            try probe.equal(written, 1, "receipts saying the object was written")
        } else {
            try probe.require(written >= 1, "every receipt says deduplicated; one ingest must have written the object")
        }
        try probe.equal(try await probe.storedContent(subject.defaultBackendID), [results[0].receipt.storageKey], "stored objects")
        return results[0]
    }
}
