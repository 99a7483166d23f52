import ArtifactStorage
import ArtifactStorageConformance
import ArtifactStorageS3
import ArtifactStoreCore
import ArtifactStoreTestSupport
import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

/// S3Backend runs the whole storage conformance suite on the real server, each check as its own
/// test, in a fresh bucket under the prefix `root` with sentinel objects outside it. Serialized:
/// moto is a single Python process, and the checks' own concurrency is load enough.
@Suite(
    "S3Backend conformance",
    .serialized,
    .enabled(if: S3TestServer.isAvailable, "ARTIFACTSTORE_TEST_S3_ENDPOINT is not set"),
    .timeLimit(.minutes(10))
)
struct S3ConformanceTests {
    /// S3 has no directories and no POSIX modes; the large round trip is kept to 20 MiB (four
    /// 5 MiB parts and a tail) so it stays quick on moto while still going multipart. moto checks
    /// `If-None-Match: *` and then stores, in two steps, so two racing exclusive creates can both
    /// succeed there (seen in CI); S3 itself is atomic.
    static let capabilities = StorageConformanceCapabilities(
        directories: false,
        keepsMode: false,
        largeObjectSize: 20 * 1024 * 1024 + 12_345,
        atomicExclusiveCreate: false
    )

    static func makeSubject() async throws -> StorageConformanceSubject {
        var configuration = try S3TestServer.configuration(bucket: S3TestServer.uniqueBucketName(), prefix: "root")
        configuration.partSize = 5 * 1024 * 1024
        let client = try S3Client(configuration: configuration, httpClient: .shared, logger: S3TestServer.logger)
        try await client.createBucket()
        for key in ["outside/sentinel.txt", "rootsibling", "root-sibling/x"] {
            try await client.putObject(key: key, body: ByteBuffer(string: "do not touch \(key)"))
        }
        let backend = S3Backend(client: client, logger: S3TestServer.logger)
        return StorageConformanceSubject(
            backend: backend,
            rawItems: {
                // Every key under the prefix (including what listing would drop) and every
                // pending multipart upload there.
                var items: [String] = []
                var token: String?
                repeat {
                    let page = try await client.listObjectsV2(prefix: "root/", continuationToken: token)
                    items += page.objects.map { String($0.key.dropFirst("root/".count)) }
                    token = page.isTruncated ? page.nextContinuationToken : nil
                } while token != nil
                items += try await client.listMultipartUploads(prefix: "root/").map { "pending upload: \($0.key)" }
                return items
            },
            outsideSnapshot: {
                var snapshot: [String: String] = [:]
                let page = try await client.listObjectsV2(prefix: "")
                for object in page.objects where !object.key.hasPrefix("root/") {
                    let head = try await client.headObject(key: object.key)
                    snapshot[object.key] = "\(object.size) \(head?.etag ?? "-") \(head?.lastModified.timeIntervalSince1970 ?? 0)"
                }
                return snapshot
            },
            tearDown: { await S3TestServer.removeBucket(client) }
        )
    }

    @Test(arguments: StorageBackendConformance.Check.allCases)
    func conformance(_ check: StorageBackendConformance.Check) async throws {
        try await StorageBackendConformance(capabilities: Self.capabilities, makeSubject: Self.makeSubject).run(check)
    }
}
