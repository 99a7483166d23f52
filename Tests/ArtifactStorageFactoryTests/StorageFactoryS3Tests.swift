import ArtifactStorage
import ArtifactStorageFactory
import ArtifactStorageS3
import ArtifactStoreTestSupport
import Foundation
import Testing

/// The default factory's `s3` handler: an `s3://` URL becomes an ``S3Connector`` configured by
/// the one S3 URL parser.
@Suite("StorageFactory s3", .timeLimit(.minutes(10)))
struct StorageFactoryS3Tests {
    static let factory = StorageFactory(logger: TestLogs.silent, environment: S3TestServer.environment)

    static func s3Connector(_ text: String) throws -> S3Connector {
        try #require(try factory.connector(for: text) as? S3Connector, "\(text) did not give an S3Connector")
    }

    @Test func buildsAnS3ConnectorFromTheURL() throws {
        let connector = try Self.s3Connector(
            "s3://bucket.one/blobs/prod/?region=eu-west-1&endpoint=https://s3.example.com:8443/&pathStyle=false"
        )
        #expect(connector.configuration.bucket == "bucket.one")
        #expect(connector.configuration.prefix == "blobs/prod")
        #expect(connector.configuration.region == "eu-west-1")
        #expect(connector.configuration.endpoint == S3Endpoint(scheme: "https", host: "s3.example.com", port: 8443))
        #expect(connector.configuration.pathStyle == false)
        #expect(connector.configuration.credentials == nil, "credentials never come from the URL")
    }

    /// Without `pathStyle`: path-style for an IP-literal or `localhost` endpoint, virtual-hosted otherwise.
    @Test func pathStyleDefault() throws {
        let aws = try Self.s3Connector("s3://bucket")
        #expect(aws.configuration.prefix == "" && aws.configuration.region == "us-east-1")
        #expect(aws.configuration.endpoint == nil && aws.configuration.pathStyle == false)
        #expect(try Self.s3Connector("s3://bucket/p?endpoint=http://127.0.0.1:9000").configuration.pathStyle)
        #expect(try Self.s3Connector("s3://bucket/p?endpoint=http://localhost:9000").configuration.pathStyle)
        #expect(try Self.s3Connector("s3://bucket/p?endpoint=http://[::1]:9000").configuration.pathStyle)
        #expect(try Self.s3Connector("s3://bucket/p?endpoint=https://minio.example.com").configuration.pathStyle == false)
        #expect(try Self.s3Connector("s3://bucket/p?endpoint=http://127.0.0.1:9000&pathStyle=false").configuration.pathStyle == false)
        #expect(try Self.s3Connector("s3://bucket/p?endpoint=https://minio.example.com&pathStyle=true").configuration.pathStyle)
    }

    @Test func missingCredentialsAreAConfigurationError() {
        let factory = StorageFactory(logger: TestLogs.silent, environment: [:])
        let error = #expect(throws: StorageError.self) { _ = try factory.connector(for: "s3://bucket/prefix") }
        #expect(error?.kind == .invalidConfiguration)
        #expect(error?.message.contains("credentials") == true, "\(error?.message ?? "")")
    }

    /// Other schemes are still added with `register(scheme:_:)`.
    @Test func registersOtherSchemes() throws {
        var factory = StorageFactory(logger: TestLogs.silent)
        let seen = LockedBox<String?>(nil)
        factory.register(scheme: "Scratch") { (url: StorageURL) throws(StorageError) -> any StorageConnector in
            seen.set(url.host)
            return try MemoryConnector(name: "scratch-stand-in")
        }
        #expect(factory.schemes == ["file", "memory", "s3", "scratch"])
        _ = try factory.connector(for: "scratch://box")
        #expect(seen.get() == "box")
        MemoryStoreRegistry.remove("scratch-stand-in")
    }
}

/// `storage check` against moto through the default factory.
@Suite(
    "StorageFactory s3 on a real server",
    .enabled(if: S3TestServer.isAvailable, "ARTIFACTSTORE_TEST_S3_ENDPOINT is not set"),
    .timeLimit(.minutes(10))
)
struct StorageFactoryS3ServerTests {
    static func url(bucket: String) -> String {
        // No pathStyle: the IP-literal endpoint selects path-style by default.
        "s3://\(bucket)/prefix?endpoint=\(S3TestServer.endpointText ?? "")&region=us-east-1"
    }

    @Test func checkPassesOnAFreshBucket() async throws {
        try await S3TestServer.withBucket { bucket in
            let factory = StorageFactory(logger: TestLogs.silent, environment: S3TestServer.environment)
            let report = try await StorageCheck.run(url: Self.url(bucket: bucket), user: nil, mode: nil, factory: factory)
            #expect(report.steps.map(\.name) == ["verifyConnection", "verifyAccess", "connect"])
            #expect(report.passed, "\(report.text)")
            #expect(report.text.contains("all 3 checks passed"))
        }
    }

    @Test func missingBucketFailsVerifyConnection() async throws {
        let factory = StorageFactory(logger: TestLogs.silent, environment: S3TestServer.environment)
        let report = try await StorageCheck.run(
            url: Self.url(bucket: S3TestServer.uniqueBucketName()),
            user: nil,
            mode: nil,
            factory: factory
        )
        #expect(!report.passed)
        let first = try #require(report.steps.first)
        #expect(first.name == "verifyConnection")
        #expect(first.passed == false)
        #expect(first.code == "unreachable", "\(report.text)")
        #expect(report.text.contains("FAIL verifyConnection: unreachable:"))
    }
}
