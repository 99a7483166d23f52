public import ArtifactStorage
public import ArtifactStorageS3
import Foundation

/// The S3-compatible server the tests talk to (moto_server on loopback), named by
/// `ARTIFACTSTORE_TEST_S3_ENDPOINT`, e.g. `http://127.0.0.1:5000`, and what every S3 test needs
/// to use it: availability (said once, plainly, when it is missing), credentials, configurations,
/// unique buckets and their removal. Each test target adds its own `withBucket` shape.
public enum S3TestServer {
    public static let endpointText: String? = {
        let value = ProcessInfo.processInfo.environment["ARTIFACTSTORE_TEST_S3_ENDPOINT"] ?? ""
        return value.isEmpty ? nil : value
    }()

    /// Whether the S3 server tests can run; prints once, plainly, why they are skipped when not.
    public static let isAvailable: Bool = {
        if endpointText == nil {
            print(
                "S3 server tests SKIPPED: ARTIFACTSTORE_TEST_S3_ENDPOINT is not set "
                    + "(start `moto_server -H 127.0.0.1 -p 5000` and set it to http://127.0.0.1:5000)"
            )
        }
        return endpointText != nil
    }()

    /// Any key works with moto.
    public static let credentials = StorageCredentials(accessKeyID: "AKIDTESTING", secretAccessKey: "test-secret-not-real")

    /// The same credentials as the `AWS_*` variables an S3 connector reads.
    public static let environment = [
        "AWS_ACCESS_KEY_ID": credentials.accessKeyID,
        "AWS_SECRET_ACCESS_KEY": credentials.secretAccessKey,
    ]

    /// A path-style configuration for `bucket` on the test server.
    public static func configuration(bucket: String, prefix: String = "") throws -> S3Configuration {
        S3Configuration(
            bucket: bucket,
            prefix: prefix,
            region: "us-east-1",
            endpoint: try S3Endpoint(parsing: endpointText ?? "http://127.0.0.1:1"),
            pathStyle: true,
            credentials: credentials
        )
    }

    /// A bucket name no other test uses.
    public static func uniqueBucketName(prefix: String = "t-") -> String {
        prefix + UUID().uuidString.lowercased()
    }

    /// Aborts every pending upload, deletes every object, then the bucket (best effort).
    public static func removeBucket(_ client: S3Client) async {
        for upload in (try? await client.listMultipartUploads(prefix: "")) ?? [] {
            try? await client.abortMultipartUpload(key: upload.key, uploadID: upload.uploadID)
        }
        var token: String?
        repeat {
            guard let page = try? await client.listObjectsV2(prefix: "", continuationToken: token) else { break }
            await withTaskGroup(of: Void.self) { group in
                for (index, object) in page.objects.enumerated() {
                    if index >= 16 { await group.next() }
                    group.addTask { try? await client.deleteObject(key: object.key) }
                }
            }
            token = page.isTruncated ? page.nextContinuationToken : nil
        } while token != nil
        try? await client.deleteBucket()
    }
}
