import ArtifactStorage
import ArtifactStorageFactory
import ArtifactStorageS3
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Foundation
import Testing

/// `s3://` URL parsing: every malformed part is `invalidConfiguration` naming that part.
@Suite("S3 URL parsing", .timeLimit(.minutes(10)))
struct S3URLParsingTests {
    @Test func fullURL() throws {
        let configuration = try S3Configuration(
            url: "s3://my-bucket/some/prefix/?region=eu-central-1&endpoint=http://127.0.0.1:9000&pathStyle=true"
        )
        #expect(configuration.bucket == "my-bucket")
        #expect(configuration.prefix == "some/prefix")
        #expect(configuration.region == "eu-central-1")
        #expect(configuration.endpoint == S3Endpoint(scheme: "http", host: "127.0.0.1", port: 9000))
        #expect(configuration.pathStyle)
        #expect(configuration.credentials == nil)
    }

    @Test func defaults() throws {
        let configuration = try S3Configuration(url: "s3://bucket.with.dots")
        #expect(configuration.prefix == "")
        #expect(configuration.region == "us-east-1")
        #expect(configuration.endpoint == nil)
        #expect(configuration.pathStyle == false)
        #expect(configuration.effectiveEndpoint.description == "https://s3.us-east-1.amazonaws.com")
        // An IP-address endpoint without pathStyle selects path-style; a named host does not.
        #expect(try S3Configuration(url: "s3://bkt?endpoint=http://127.0.0.1:5000").pathStyle)
        #expect(try S3Configuration(url: "s3://bkt?endpoint=https://minio.example.com").pathStyle == false)
        #expect(try S3Configuration(url: "s3://bkt?endpoint=http://127.0.0.1:5000&pathStyle=false").pathStyle == false)
    }

    /// What the factory's URL tests cannot reach: only `s3` URLs get to this parser there. The
    /// list of malformed `s3://` URLs runs once, through `StorageFactory.connector(for:)`, in
    /// ArtifactStorageFactoryTests' `StorageURLTests.badURL`.
    @Test func refusesOtherSchemes() {
        let error = #expect(throws: StorageError.self) { try S3Configuration(url: "file:///tmp/x") }
        #expect(error?.kind == .invalidConfiguration)
        #expect(error?.message.contains("scheme") == true, "\(error?.message ?? "")")
    }

    /// One leading and trailing `/` are dropped from the prefix and from the endpoint.
    @Test func trailingSlashesAndExplicitPathStyle() throws {
        let configuration = try S3Configuration(
            url: StorageURL(parsing: "s3://bucket.one/blobs/prod/?region=us-east-1&endpoint=https://s3.example.com:8443/&pathStyle=false")
        )
        #expect(configuration.bucket == "bucket.one")
        #expect(configuration.prefix == "blobs/prod")
        #expect(configuration.region == "us-east-1")
        #expect(configuration.endpoint?.description == "https://s3.example.com:8443")
        #expect(configuration.pathStyle == false)
    }

    /// The endpoint parser on its own (as configuration files use it) names the endpoint and hides user info.
    @Test func endpointParsing() throws {
        #expect(try S3Endpoint(parsing: "HTTP://[::1]:9000/") == S3Endpoint(scheme: "http", host: "::1", port: 9000))
        #expect(try S3Endpoint(parsing: "https://minio.internal") == S3Endpoint(scheme: "https", host: "minio.internal", port: nil))
        for text in ["ftp://host", "http://", "http://host/path", "http://host:0", "http://key:secret@host", "host:9000"] {
            let error = #expect(throws: StorageError.self) { try S3Endpoint(parsing: text) }
            #expect(error?.kind == .invalidConfiguration)
            #expect(error?.message.contains("S3 endpoint") == true, "\(error?.message ?? "")")
            #expect(error?.message.contains("secret") == false)
        }
    }

    @Test func descriptionHidesTheSecret() throws {
        var configuration = try S3Configuration(url: "s3://bucket/p")
        configuration.credentials = StorageCredentials(accessKeyID: "AKID", secretAccessKey: "TOPSECRET", sessionToken: "TOKEN")
        #expect(!configuration.description.contains("TOPSECRET"))
        #expect(!configuration.description.contains("TOKEN"))
        #expect(configuration.description.contains("AKID"))
    }
}

/// S3Connector against the real server.
@Suite(
    "S3Connector on a real server",
    .enabled(if: S3TestServer.isAvailable, "ARTIFACTSTORE_TEST_S3_ENDPOINT is not set"),
    .timeLimit(.minutes(10))
)
struct S3ConnectorTests {
    static func url(bucket: String, prefix: String = "scope") -> String {
        "s3://\(bucket)/\(prefix)?endpoint=\(S3TestServer.endpointText ?? "")&pathStyle=true&region=us-east-1"
    }

    @Test func connectVerifyAndProbe() async throws {
        try await S3TestServer.withBucket { client, _ in
            let connector = try S3Connector(
                url: Self.url(bucket: client.configuration.bucket),
                credentials: S3TestServer.credentials,
                logger: S3TestServer.logger
            )
            try await connector.verifyConnection()
            try await connector.verifyAccess(user: nil, permissions: nil)
            // The probe leaves nothing behind.
            #expect(try await client.listObjectsV2(prefix: "").objects.isEmpty)
            let notApplicable = await storageError { try await connector.verifyAccess(user: "alice", permissions: 0o640) }
            #expect(notApplicable?.kind == .invalidConfiguration)
            #expect(notApplicable?.message.contains("not applicable") == true)

            let backend = try await connector.connect()
            try await backend.write(try path("x"), from: stream("scoped"))
            #expect(try await client.headObject(key: "scope/x") != nil)
            try await connector.shutdown()
        }
    }

    @Test func missingBucketIsUnreachable() async throws {
        let connector = try S3Connector(
            url: Self.url(bucket: S3TestServer.uniqueBucketName()),
            credentials: S3TestServer.credentials,
            logger: S3TestServer.logger
        )
        let error = await storageError { try await connector.verifyConnection() }
        #expect(error?.kind == .unreachable)
        #expect(error?.message.contains("does not exist") == true)
        #expect(await storageError { _ = try await connector.connect() }?.kind == .unreachable)
    }

    @Test func credentialsFromTheEnvironment() throws {
        let connector = try S3Connector(
            url: "s3://bucket",
            logger: S3TestServer.logger,
            environment: ["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "ENVSECRET"]
        )
        #expect(connector.client.configuration.bucket == "bucket")
        let missing = #expect(throws: StorageError.self) {
            try S3Connector(url: "s3://bucket", logger: S3TestServer.logger, environment: [:])
        }
        #expect(missing?.kind == .invalidConfiguration)
    }

    /// The storage factory's default `s3` handler, with credentials from its environment.
    @Test func throughTheStorageFactory() async throws {
        try await S3TestServer.withBucket { client, _ in
            let factory = StorageFactory(
                logger: S3TestServer.logger,
                environment: [
                    "AWS_ACCESS_KEY_ID": S3TestServer.credentials.accessKeyID,
                    "AWS_SECRET_ACCESS_KEY": S3TestServer.credentials.secretAccessKey,
                ]
            )
            let backend = try await factory.connect(Self.url(bucket: client.configuration.bucket, prefix: "via/factory"))
            try await backend.write(try path("f"), from: stream("factory"))
            #expect(try await client.headObject(key: "via/factory/f") != nil)
            let bad = await storageError { _ = try factory.connector(for: "s3://BAD_bucket") }
            #expect(bad?.kind == .invalidConfiguration)
        }
    }
}
