import ArtifactStorageS3
import Testing

/// The pause before an S3 request is retried doubles per attempt and is jittered, so requests
/// that failed together (concurrent copies to one key, writers S3 slowed down) do not retry in
/// lockstep and collide again.
@Suite("S3 retry pauses", .timeLimit(.minutes(5)))
struct S3RetryPauseTests {
    @Test("each pause lies between half and all of 100 ms doubled per attempt")
    func pausesDoubleWithinTheirBounds() {
        for attempt in 1..<S3Client.maximumAttempts {
            let ceiling = Duration.milliseconds(100 << (attempt - 1))
            for _ in 0..<200 {
                let pause = S3Client.retryPause(after: attempt)
                #expect(pause >= ceiling / 2 && pause <= ceiling, "attempt \(attempt): \(pause)")
            }
        }
    }

    @Test("pauses after the same attempt differ: retries are spread, not simultaneous")
    func pausesAreJittered() {
        let pauses = Set((0..<64).map { _ in S3Client.retryPause(after: 3) })
        // 201 possible values (200 to 400 ms); 64 draws all equal would mean no jitter at all.
        #expect(pauses.count > 16)
    }
}
