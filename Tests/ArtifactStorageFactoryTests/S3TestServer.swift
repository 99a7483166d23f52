import ArtifactStorage
import ArtifactStorageS3
import AsyncHTTPClient
import Foundation
import Logging

/// The S3-compatible server (moto_server on loopback) the factory's S3 tests talk to, from
/// `ARTIFACTSTORE_TEST_S3_ENDPOINT`, e.g. `http://127.0.0.1:5000`. A small twin of the S3
/// tests' helper of the same name (test targets cannot share files).
enum S3TestServer {
    static let endpointText: String? = {
        let value = ProcessInfo.processInfo.environment["ARTIFACTSTORE_TEST_S3_ENDPOINT"] ?? ""
        return value.isEmpty ? nil : value
    }()

    /// Whether the server tests can run; says once, plainly, why they are skipped when not.
    static let isAvailable: Bool = {
        if endpointText == nil {
            print(
                "ArtifactStorageFactoryTests: S3 server tests SKIPPED: ARTIFACTSTORE_TEST_S3_ENDPOINT is not set "
                    + "(start `moto_server -H 127.0.0.1 -p 5000` and set it to http://127.0.0.1:5000)")
        }
        return endpointText != nil
    }()

    /// Credentials as the factory's S3 handler reads them (any key works with moto).
    static let environment = ["AWS_ACCESS_KEY_ID": "AKIDTESTING", "AWS_SECRET_ACCESS_KEY": "test-key-not-real"]

    static func uniqueBucketName() -> String {
        "f-" + UUID().uuidString.lowercased()
    }

    /// Creates a fresh bucket with an ``S3Client``, runs `body` with its name, then empties and
    /// deletes it (best effort).
    static func withBucket<T>(_ body: (String) async throws -> T) async throws -> T {
        let configuration = S3Configuration(
            bucket: uniqueBucketName(),
            region: "us-east-1",
            endpoint: try S3Endpoint(parsing: endpointText ?? "http://127.0.0.1:1"),
            pathStyle: true,
            credentials: StorageCredentials(accessKeyID: environment["AWS_ACCESS_KEY_ID"]!, secretAccessKey: environment["AWS_SECRET_ACCESS_KEY"]!)
        )
        let client = try S3Client(configuration: configuration, httpClient: .shared, logger: TestLogs.silent)
        try await client.createBucket()
        do {
            let result = try await body(configuration.bucket)
            await cleanUp(client)
            return result
        } catch {
            await cleanUp(client)
            throw error
        }
    }

    private static func cleanUp(_ client: S3Client) async {
        if let page = try? await client.listObjectsV2(prefix: "") {
            for object in page.objects { try? await client.deleteObject(key: object.key) }
        }
        try? await client.deleteBucket()
    }
}
