import ArtifactStorage
import ArtifactStorageS3
import ArtifactStoreTestSupport
import AsyncHTTPClient

/// This target's addition to the shared ``S3TestServer``: a fresh bucket, by name.
extension S3TestServer {
    /// Creates a fresh bucket with an ``S3Client``, runs `body` with its name, then empties and
    /// deletes it (best effort).
    static func withBucket<T>(_ body: (String) async throws -> T) async throws -> T {
        let configuration = try configuration(bucket: uniqueBucketName(prefix: "f-"))
        let client = try S3Client(configuration: configuration, httpClient: .shared, logger: TestLogs.silent)
        try await client.createBucket()
        do {
            let result = try await body(configuration.bucket)
            await removeBucket(client)
            return result
        } catch {
            await removeBucket(client)
            throw error
        }
    }
}
