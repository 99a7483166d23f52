import ArtifactStorage
import ArtifactStorageFactory
import ArtifactStorageFileSystem
import ArtifactStoreTestSupport
import Testing

@Suite("StorageURL and factory URLs", .timeLimit(.minutes(10)))
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

    /// Each bad URL is `invalidConfiguration`, and the message names the part that was wrong.
    ///
    /// One list for every scheme, run through the default factory, so each `s3` case meets the
    /// one S3 parser (`S3Configuration(url:)`) exactly as an operator's URL would.
    @Test(
        arguments: [
            ("", "empty"),
            ("/var/lib/artifactstore", "scheme"),
            ("file:/var/lib", "scheme"),
            ("1file:///x", "scheme"),
            ("ftp://host/x", "scheme \"ftp\" is not supported"),
            ("http://bucket/prefix", "scheme \"http\" is not supported"),
            ("gopher:///x", "not supported"),
            ("file://relative/path", "host"),
            ("file://example.com/var/x", "host"),
            ("file://", "path"),
            ("file:///var/../etc", "path"),
            ("file:///var//lib", "path"),
            ("file:///var/./lib", "path"),
            ("file:///tmp?mode=1", "unknown query item \"mode\""),
            ("file:///tmp?sync=fsync", "sync=auto, sync=file or sync=filesystem"),
            ("file:///tmp?sync=", "sync=auto, sync=file or sync=filesystem"),
            ("file:///tmp?sync=FILE", "sync=auto, sync=file or sync=filesystem"),
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
            ("s3://Bad_Bucket", "bucket name"),
            ("s3://ab", "bucket name"),
            ("s3://-bucket", "bucket name"),
            ("s3://bucket-", "bucket name"),
            ("s3://a..b", "bucket name"),
            ("s3://bucket:9000/prefix", "port"),
            ("s3://bucket#frag", "fragment"),
            ("s3://bucket/a/../b", "prefix"),
            ("s3://bucket/a//b", "prefix"),
            ("s3://bucket?colour=blue", "unknown query item \"colour\""),
            ("s3://bucket?region=", "region"),
            ("s3://bucket?region=EU_WEST", "region"),
            ("s3://bucket?region=\(String(repeating: "a", count: 65))", "region"),
            ("s3://bucket?pathStyle=yes", "pathStyle"),
            ("s3://bucket?pathStyle=", "pathStyle"),
            ("s3://bucket?endpoint=ftp://host", "endpoint"),
            ("s3://bucket?endpoint=127.0.0.1:9000", "endpoint"),
            ("s3://bucket?endpoint=http://", "endpoint"),
            ("s3://bucket?endpoint=http://host/path", "endpoint"),
            ("s3://bucket?endpoint=http://user@host", "endpoint"),
            ("s3://bucket?endpoint=notaurl", "endpoint"),
            ("s3://bucket?endpoint=http://host?x=1", "endpoint"),
            ("s3://bucket?endpoint=http://host:99999", "port"),
            ("s3://bucket?endpoint=http://host:", "port"),
            ("s3://bucket?endpoint=http://host:+80", "port"),
            ("s3://bucket?endpoint=http://a:1:2", "port"),
            ("s3://bucket?endpoint=http://[::1", "endpoint"),
            ("s3://bucket?endpoint=http://[::1]x", "endpoint"),
            ("s3://bucket?endpoint=http://ho%20st", "endpoint"),
            ("s3://bucket?region=a&region=b", "repeats"),
            ("s3://bucket?region", "name=value"),
            ("s3://bucket?=x", "name=value"),
            ("s3://bucket?", "query"),
            ("s3://bucket?region=us-east-1&", "name=value"),
            ("s3://key:secret@bucket", "user info"),
            ("s3://bucket?endpoint=http://key:secret@host", "endpoint"),
            // User info quoted back from other parts is redacted too.
            ("s3://bucket/http://key:secret@h", "prefix"),
            ("s3://bucket?region=http://key:secret@h", "region"),
            ("s3://bucket?pathStyle=http://key:secret@h", "pathStyle"),
            ("s3://bucket?http://key:secret@h", "name=value"),
            ("memory://n/http://key:secret@h", "path"),
            ("file:///a/http://key:secret@h", "path"),
        ] as [(String, String)]
    )
    func badURL(_ text: String, _ part: String) throws {
        let factory = StorageFactory(logger: TestLogs.silent)
        let error = #expect(throws: StorageError.self) { _ = try factory.connector(for: text) }
        #expect(error?.kind == .invalidConfiguration, "\(text)")
        #expect(error?.message.contains(part) == true, "\(text): \(error?.message ?? "")")
        #expect(error?.message.contains("secret") != true, "\(text): the message shows user info")
    }

    @Test func userInfoIsRedactedInMessages() {
        #expect(
            StorageURL.redacting("s3://key:secret@bucket/x?endpoint=http://u:pw@host")
                == "s3://<redacted>@bucket/x?endpoint=http://<redacted>@host"
        )
        #expect(StorageURL.redacting("file:///a@b") == "file:///a@b")
        let error = #expect(throws: StorageError.self) { try StorageURL(parsing: "s3://key:secret@bucket\u{e9}") }
        #expect(error?.message.contains("secret") == false)
    }

    @Test func goodURLsGiveConnectors() throws {
        let factory = StorageFactory(logger: TestLogs.silent)
        #expect(factory.schemes == ["file", "memory", "s3"])
        for text in [
            "file:///var/lib/artifactstore", "file://localhost/var/lib/x/", "FILE:///tmp", "file:///", "memory://scratch",
            "memory://a.b-c_d/",
        ] {
            _ = try factory.connector(for: text)
        }
    }

    /// `?sync=` of a file URL chooses how writes are made durable (FileSystemSyncMode).
    @Test func fileSyncModes() throws {
        let factory = StorageFactory(logger: TestLogs.silent)
        let modes: [(String, FileSystemSyncMode)] = [
            ("file:///srv/blobs", .automatic), ("file:///srv/blobs?sync=auto", .automatic),
            ("file:///srv/blobs?sync=file", .eachFile), ("file:///srv/blobs?sync=filesystem", .sharedFlush),
        ]
        for (text, mode) in modes {
            let connector = try #require(try factory.connector(for: text) as? FileSystemConnector)
            #expect(connector.syncMode == mode, "\(text)")
            #expect(connector.rootPath == "/srv/blobs")
        }
    }
}
