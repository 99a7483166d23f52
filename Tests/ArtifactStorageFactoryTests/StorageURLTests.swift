import ArtifactStorage
import ArtifactStorageFactory
import Testing

@Suite("StorageURL and factory URLs")
struct StorageURLTests {
    @Test func parsesParts() throws {
        let url = try StorageURL(parsing: "S3://my-bucket/a%20b/c?region=eu-west-1&endpoint=http://127.0.0.1:9000&pathStyle=true")
        #expect(url.scheme == "s3")
        #expect(url.host == "my-bucket")
        #expect(url.path == "/a b/c")
        #expect(url.queryValue("region") == "eu-west-1")
        #expect(url.queryValue("endpoint") == "http://127.0.0.1:9000")
        #expect(url.queryItems.map(\.name) == ["region", "endpoint", "pathStyle"])
    }

    @Test func s3Location() throws {
        let location = try S3StorageLocation(url: StorageURL(parsing: "s3://bucket.one/blobs/prod/?region=us-east-1&endpoint=https://s3.example.com:8443/&pathStyle=false"))
        #expect(location.bucket == "bucket.one")
        #expect(location.prefix?.string == "blobs/prod")
        #expect(location.region == "us-east-1")
        #expect(location.endpoint == "https://s3.example.com:8443")
        #expect(location.pathStyle == false)
        let bare = try S3StorageLocation(url: StorageURL(parsing: "s3://bucket"))
        #expect(bare.prefix == nil && bare.region == nil && bare.endpoint == nil && bare.pathStyle == false)
    }

    /// Each bad URL is `invalidConfiguration`, and the message names the part that was wrong.
    @Test(arguments: [
        ("", "empty"),
        ("/var/lib/artifactstore", "scheme"),
        ("file:/var/lib", "scheme"),
        ("1file:///x", "scheme"),
        ("ftp://host/x", "scheme \"ftp\" is not supported"),
        ("gopher:///x", "not supported"),
        ("file://relative/path", "host"),
        ("file://example.com/var/x", "host"),
        ("file://", "path"),
        ("file:///var/../etc", "path"),
        ("file:///var//lib", "path"),
        ("file:///var/./lib", "path"),
        ("file:///tmp?mode=1", "unknown query item \"mode\""),
        ("file:///tmp#frag", "fragment"),
        ("file:///tmp/a b", "space"),
        ("file:///tmp/\u{e9}", "non-ASCII"),
        ("file:///tmp/%zz", "percent-escape"),
        ("file:///tmp/%4", "percent-escape"),
        ("file:///tmp/%ff%fe", "invalid UTF-8"),
        ("file:///tmp/%00", "control character"),
        ("file://user@localhost/tmp", "user info"),
        ("memory://", "store name is missing"),
        ("memory://name/path", "path"),
        ("memory://bad%20name", "memory store name"),
        ("memory://name?x=1", "unknown query item"),
        ("memory://host:80", "port"),
        ("s3://", "bucket"),
        ("s3:///prefix", "bucket"),
        ("s3://Bad_Bucket", "bucket"),
        ("s3://ab", "bucket"),
        ("s3://-bucket", "bucket"),
        ("s3://bucket/a/../b", "prefix"),
        ("s3://bucket/a//b", "prefix"),
        ("s3://bucket?colour=blue", "unknown query item \"colour\""),
        ("s3://bucket?region=", "region"),
        ("s3://bucket?region=EU_WEST", "region"),
        ("s3://bucket?pathStyle=yes", "pathStyle"),
        ("s3://bucket?pathStyle=", "pathStyle"),
        ("s3://bucket?endpoint=ftp://host", "endpoint"),
        ("s3://bucket?endpoint=127.0.0.1:9000", "endpoint"),
        ("s3://bucket?endpoint=http://", "endpoint"),
        ("s3://bucket?endpoint=http://host/path", "endpoint"),
        ("s3://bucket?endpoint=http://user@host", "endpoint"),
        ("s3://bucket?endpoint=http://host:99999", "port"),
        ("s3://bucket?region=a&region=b", "repeats"),
        ("s3://bucket?region", "name=value"),
        ("s3://bucket?=x", "name=value"),
        ("s3://bucket?", "query"),
        ("s3://bucket?region=us-east-1&", "name=value"),
        ("s3://key:secret@bucket", "user info"),
        ("s3://bucket?endpoint=http://key:secret@host", "endpoint"),
    ] as [(String, String)])
    func badURL(_ text: String, _ part: String) throws {
        let factory = StorageFactory(logger: TestLogs.silent)
        let error = #expect(throws: StorageError.self) { _ = try factory.connector(for: text) }
        #expect(error?.kind == .invalidConfiguration, "\(text)")
        #expect(error?.message.contains(part) == true, "\(text): \(error?.message ?? "")")
        #expect(error?.message.contains("secret") != true, "\(text): the message shows user info")
    }

    @Test func userInfoIsRedactedInMessages() {
        #expect(StorageURL.redacting("s3://key:secret@bucket/x?endpoint=http://u:pw@host") == "s3://<redacted>@bucket/x?endpoint=http://<redacted>@host")
        #expect(StorageURL.redacting("file:///a@b") == "file:///a@b")
        let error = #expect(throws: StorageError.self) { try StorageURL(parsing: "s3://key:secret@bucket\u{e9}") }
        #expect(error?.message.contains("secret") == false)
    }

    @Test func goodURLsGiveConnectors() throws {
        let factory = StorageFactory(logger: TestLogs.silent)
        #expect(factory.schemes == ["file", "memory"])
        for text in ["file:///var/lib/artifactstore", "file://localhost/var/lib/x/", "FILE:///tmp", "file:///", "memory://scratch", "memory://a.b-c_d/"] {
            _ = try factory.connector(for: text)
        }
    }

    @Test func s3IsASeamUntilRegistered() async throws {
        var factory = StorageFactory(logger: TestLogs.silent)
        let text = "s3://bucket/prefix?region=us-east-1&endpoint=http://127.0.0.1:9000&pathStyle=true"
        let missing = #expect(throws: StorageError.self) { _ = try factory.connector(for: text) }
        #expect(missing?.kind == .invalidConfiguration)
        #expect(missing?.message.contains("not linked") == true)

        let seen = LockedBox<S3StorageLocation?>(nil)
        factory.register(scheme: "s3") { (url: StorageURL) throws(StorageError) -> any StorageConnector in
            seen.set(try S3StorageLocation(url: url))
            return try MemoryConnector(name: "s3-stand-in")
        }
        _ = try factory.connector(for: text)
        #expect(seen.get()?.bucket == "bucket")
        #expect(seen.get()?.pathStyle == true)
        // A bad S3 URL is still refused before the handler runs.
        let bad = #expect(throws: StorageError.self) { _ = try factory.connector(for: "s3://bucket?pathStyle=maybe") }
        #expect(bad?.kind == .invalidConfiguration)
        MemoryStoreRegistry.remove("s3-stand-in")
    }
}
