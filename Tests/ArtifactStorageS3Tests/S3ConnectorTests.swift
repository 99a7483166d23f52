import ArtifactStorage
import ArtifactStorageFactory
import ArtifactStorageS3
import ArtifactStoreCore
import Foundation
import Testing

/// `s3://` URL parsing: every malformed part is `invalidConfiguration` naming that part.
@Suite("S3 URL parsing")
struct S3URLParsingTests {
    @Test func fullURL() throws {
        let configuration = try S3Configuration(
            url: "s3://my-bucket/some/prefix/?region=eu-central-1&endpoint=http://127.0.0.1:9000&pathStyle=true")
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

    /// (URL, a fragment the error message must contain)
    static let bad: [(String, String)] = [
        ("file:///tmp/x", "scheme"),
        ("http://bucket/prefix", "scheme"),
        ("s3://", "bucket"),
        ("s3:///prefix", "bucket"),
        ("s3://Bucket_Upper", "bucket name"),
        ("s3://ab", "bucket name"),
        ("s3://-bucket", "bucket name"),
        ("s3://key:secret@bucket", "user information"),
        ("s3://bucket:9000/prefix", "port"),
        ("s3://bucket/a/../b", "prefix"),
        ("s3://bucket/a//b", "prefix"),
        ("s3://bucket#frag", "fragment"),
        ("s3://bucket?region=", "region"),
        ("s3://bucket?region=EU_WEST", "region"),
        ("s3://bucket?endpoint=ftp://host", "endpoint"),
        ("s3://bucket?endpoint=http://", "endpoint"),
        ("s3://bucket?endpoint=http://host/path", "endpoint"),
        ("s3://bucket?endpoint=notaurl", "endpoint"),
        ("s3://bucket?pathStyle=yes", "pathStyle"),
        ("s3://bucket?colour=blue", "colour"),
        ("s3://bucket?region=us-east-1&region=eu-west-1", "more than once"),
    ]

    @Test(arguments: bad)
    func rejects(_ url: String, _ mentions: String) {
        do {
            let configuration = try S3Configuration(url: url)
            Issue.record("accepted \(url) as \(configuration)")
        } catch {
            #expect(error.kind == .invalidConfiguration)
            #expect(error.message.contains(mentions), "message \"\(error.message)\" should mention \(mentions)")
            #expect(!error.message.contains("secret"))
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
@Suite("S3Connector on a real server", .enabled(if: S3TestServer.isAvailable, "ARTIFACTSTORE_TEST_S3_ENDPOINT is not set"))
struct S3ConnectorTests {
    static func url(bucket: String, prefix: String = "scope") -> String {
        "s3://\(bucket)/\(prefix)?endpoint=\(S3TestServer.endpointText ?? "")&pathStyle=true&region=us-east-1"
    }

    @Test func connectVerifyAndProbe() async throws {
        try await S3TestServer.withBucket { client, _ in
            let connector = try S3Connector(
                url: Self.url(bucket: client.configuration.bucket), credentials: S3TestServer.credentials,
                logger: S3TestServer.logger)
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
            url: Self.url(bucket: S3TestServer.uniqueBucketName()), credentials: S3TestServer.credentials,
            logger: S3TestServer.logger)
        let error = await storageError { try await connector.verifyConnection() }
        #expect(error?.kind == .unreachable)
        #expect(error?.message.contains("does not exist") == true)
        #expect(await storageError { _ = try await connector.connect() }?.kind == .unreachable)
    }

    @Test func credentialsFromTheEnvironment() throws {
        let connector = try S3Connector(
            url: "s3://bucket", logger: S3TestServer.logger,
            environment: ["AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "ENVSECRET"])
        #expect(connector.client.configuration.bucket == "bucket")
        let missing = #expect(throws: StorageError.self) {
            try S3Connector(url: "s3://bucket", logger: S3TestServer.logger, environment: [:])
        }
        #expect(missing?.kind == .invalidConfiguration)
    }

    /// The storage factory with an `s3` handler registered the way an application does it.
    @Test func throughTheStorageFactory() async throws {
        try await S3TestServer.withBucket { client, _ in
            var factory = StorageFactory(logger: S3TestServer.logger)
            factory.register(scheme: "s3") { url throws(StorageError) -> any StorageConnector in
                try S3Connector(url: url.text, credentials: S3TestServer.credentials, logger: S3TestServer.logger)
            }
            let backend = try await factory.connect(Self.url(bucket: client.configuration.bucket, prefix: "via/factory"))
            try await backend.write(try path("f"), from: stream("factory"))
            #expect(try await client.headObject(key: "via/factory/f") != nil)
            let bad = await storageError { _ = try factory.connector(for: "s3://BAD_bucket") }
            #expect(bad?.kind == .invalidConfiguration)
        }
    }
}
