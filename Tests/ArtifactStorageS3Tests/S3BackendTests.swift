import ArtifactStorage
import ArtifactStorageS3
import ArtifactStoreCore
import ArtifactStoreTestSupport
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// S3Backend against a real S3-compatible server (moto). Skipped, with a printed reason, when
/// ARTIFACTSTORE_TEST_S3_ENDPOINT is not set.
@Suite(
    "S3Backend on a real server",
    .enabled(if: S3TestServer.isAvailable, "ARTIFACTSTORE_TEST_S3_ENDPOINT is not set"),
    .timeLimit(.minutes(10))
)
struct S3BackendTests {
    @Test func putGetHeadDelete() async throws {
        try await S3TestServer.withBucket { client, backend in
            let file = try path("dir/hello.txt")
            let info = try await backend.write(file, from: stream("hello, s3"))
            #expect(info.size == 9)
            #expect(info.path == file)
            #expect(try await backend.exists(file))
            #expect(try await backend.stat(file).size == 9)
            #expect(String(decoding: try await backend.read(file).collectBytes(), as: UTF8.self) == "hello, s3")
            // Overwrite replaces.
            try await backend.write(file, from: stream("second"))
            #expect(String(decoding: try await backend.read(file).collectBytes(), as: UTF8.self) == "second")
            // overwrite: false refuses.
            let refused = await storageError { _ = try await backend.write(file, from: stream("x"), options: .init(overwrite: false)) }
            #expect(refused?.kind == .alreadyExists)
            // An empty object.
            let empty = try path("empty")
            #expect(try await backend.write(empty, from: .empty).size == 0)
            #expect(try await backend.read(empty).collectBytes().isEmpty)

            try await backend.delete(file)
            #expect(try await backend.exists(file) == false)
            #expect(await storageError { try await backend.delete(file) }?.kind == .objectNotFound)
            #expect(await storageError { _ = try await backend.read(file) }?.kind == .objectNotFound)
            #expect(await storageError { _ = try await backend.stat(file) }?.kind == .objectNotFound)
            // A directory is not an object.
            try await backend.write(try path("d/x"), from: stream("x"))
            #expect(try await backend.exists(try path("d")) == false)
            _ = client
        }
    }

    /// A write given the SHA-256 of its bytes signs that hash instead of hashing them, and
    /// stores the bytes. (AWS S3 refuses a body whose hash is not the signed one,
    /// `XAmzContentSHA256Mismatch`; moto does not check it, so a wrong one is not tried here.)
    @Test func givenSHA256IsSigned() async throws {
        try await S3TestServer.withBucket { client, backend in
            let bytes = ByteBuffer(string: "hashed by the ingest")
            let right = SigV4Signer.sha256Hex(bytes.readableBytesView)
            let given = String(repeating: "0", count: 64)
            let request = client.signedRequest(method: .PUT, key: "k", body: bytes, payloadHash: given)
            #expect(request.headers.first(name: "x-amz-content-sha256") == given)
            let unhinted = client.signedRequest(method: .PUT, key: "k", body: bytes)
            #expect(unhinted.headers.first(name: "x-amz-content-sha256") == right)
            let file = try path("given/right")
            try await backend.write(file, from: ByteStream(bytes), options: StorageWriteOptions(overwrite: false, contentSHA256: right))
            #expect(String(decoding: try await backend.read(file).collectBytes(), as: UTF8.self) == "hashed by the ingest")
        }
    }

    @Test func multipartUploadOf40MiB() async throws {
        let adjust: (inout S3Configuration) -> Void = {
            $0.partSize = 5 * 1024 * 1024
            $0.maxPartsInFlight = 3
        }
        try await S3TestServer.withBucket(adjust: adjust) { client, backend in
            let source = TestStream(size: 40 * 1024 * 1024 + 12_345, chunkSize: 256 * 1024 + 3, seed: 7)
            let expected = try await source.sha256()
            let file = try path("big/object.bin")
            let info = try await backend.write(file, from: ByteStream(source))
            #expect(info.size == UInt64(source.size))
            #expect(try await backend.read(file).sha256() == expected)
            #expect(try await client.listMultipartUploads(prefix: "").isEmpty)
            // A multipart object's ETag has the "-<parts>" suffix: 9 parts of 5 MiB.
            let head = try #require(try await client.headObject(key: "big/object.bin"))
            #expect(head.etag?.contains("-9") == true)
        }
    }

    /// Incomplete multipart uploads: a dead writer's are aborted at once, another node's (or one
    /// with no writer in its key) only once still for the rule's age, this process's never.
    @Test(.timeLimit(.minutes(5))) func abandonedMultipartUploadsAreAborted() async throws {
        try await S3TestServer.withBucket(prefix: "root") { client, backend in
            let here = StorageWriterIdentity.current
            let dead = StorageWriterIdentity(boot: here.boot, pidNamespace: here.pidNamespace, pid: 1, startTime: 1)
            let elsewhere = StorageWriterIdentity(boot: "ffffffffffffffff", pidNamespace: 7, pid: 42, startTime: 9)
            let keys = [
                "root/tmp/ingest/\(here.token)_a", "root/tmp/ingest/\(dead.token)_b", "root/tmp/ingest/\(elsewhere.token)_c",
                "root/blobs/no-writer",
            ]
            for key in keys {
                let id = try await client.createMultipartUpload(key: key)
                _ = try await client.uploadPart(key: key, uploadID: id, partNumber: 1, body: ByteBuffer(string: "part"))
            }
            // Outside the backend's prefix: never its business.
            let outside = try await client.createMultipartUpload(key: "elsewhere/tmp/ingest/\(dead.token)_d")
            #expect(try await backend.removeAbandonedTemporaries(AbandonedTemporaryRule()) == 1)
            #expect(Set(try await client.listMultipartUploads(prefix: "root/").map(\.key)) == Set([keys[0], keys[2], keys[3]]))
            #expect(try await backend.removeAbandonedTemporaries(AbandonedTemporaryRule(minimumAge: .seconds(-1))) == 2)
            #expect(try await client.listMultipartUploads(prefix: "root/").map(\.key) == [keys[0]])
            try await client.abortMultipartUpload(
                key: keys[0],
                uploadID: try await client.listMultipartUploads(prefix: "root/")[0].uploadID
            )
            try await client.abortMultipartUpload(key: "elsewhere/tmp/ingest/\(dead.token)_d", uploadID: outside)
        }
    }

    @Test func exactlyOnePartUsesPutObject() async throws {
        let adjust: (inout S3Configuration) -> Void = { $0.partSize = 5 * 1024 * 1024 }
        try await S3TestServer.withBucket(adjust: adjust) { client, backend in
            let source = TestStream(size: 5 * 1024 * 1024, chunkSize: 1024 * 1024, seed: 3)
            let file = try path("one-part")
            try await backend.write(file, from: ByteStream(source))
            #expect(try await backend.read(file).sha256() == (try await source.sha256()))
            let head = try #require(try await client.headObject(key: "one-part"))
            #expect(head.etag?.contains("-") == false)
        }
    }

    @Test func failingStreamAbortsTheUpload() async throws {
        let adjust: (inout S3Configuration) -> Void = {
            $0.partSize = 5 * 1024 * 1024
            $0.maxPartsInFlight = 2
        }
        try await S3TestServer.withBucket(adjust: adjust) { client, backend in
            var source = TestStream(size: 30 * 1024 * 1024, chunkSize: 512 * 1024, seed: 9)
            source.failAfter = 16 * 1024 * 1024
            let file = try path("broken")
            let error = await storageError { try await backend.write(file, from: ByteStream(source)) }
            #expect(error != nil)
            #expect(try await client.listMultipartUploads(prefix: "").isEmpty)
            #expect(try await backend.exists(file) == false)
            // A small stream that fails never reaches S3 at all.
            var small = TestStream(size: 1024, chunkSize: 100, seed: 1)
            small.failAfter = 500
            #expect(await storageError { try await backend.write(file, from: ByteStream(small)) } != nil)
            #expect(try await backend.exists(file) == false)
        }
    }

    @Test func cancelledWriteAbortsTheUpload() async throws {
        let adjust: (inout S3Configuration) -> Void = { $0.partSize = 5 * 1024 * 1024 }
        try await S3TestServer.withBucket(adjust: adjust) { client, backend in
            let file = try path("cancelled")
            let (chunks, continuation) = AsyncStream<ByteBuffer>.makeStream()
            let task = Task {
                try await backend.write(file, from: ByteStream(chunks))
            }
            // Feed two full parts so the multipart upload has started, then cancel mid-stream.
            let chunk = ByteBuffer(repeating: 0x61, count: 1024 * 1024)
            for _ in 0..<11 { continuation.yield(chunk) }
            while try await client.listMultipartUploads(prefix: "").isEmpty {
                try await Task.sleep(for: .milliseconds(20))
            }
            task.cancel()
            continuation.finish()
            let result = await task.result
            let error = #expect(throws: StorageError.self, "a cancelled write fails") { try result.get() }
            #expect(error?.message.contains("was cancelled; nothing was stored") == true, "\(String(describing: error))")
            #expect(try await client.listMultipartUploads(prefix: "").isEmpty)
            #expect(try await backend.exists(file) == false)
        }
    }

    @Test func rangedReads() async throws {
        try await S3TestServer.withBucket { _, backend in
            let file = try path("r.bin")
            let bytes = (0..<1000).map { UInt8($0 % 251) }
            try await backend.write(file, from: ByteStream(ByteBuffer(bytes: bytes)))
            #expect(try await backend.read(file, range: 10...19).collectBytes() == Array(bytes[10...19]))
            #expect(try await backend.read(file, range: 0...0).collectBytes() == [0])
            #expect(try await backend.read(file, range: 990...999).collectBytes() == Array(bytes[990...999]))
            #expect(await storageError { _ = try await backend.read(file, range: 995...1000) }?.kind == .invalidRange)
            #expect(await storageError { _ = try await backend.read(file, range: 1000...1000) }?.kind == .invalidRange)
            #expect(await storageError { _ = try await backend.read(try path("missing"), range: 0...1) }?.kind == .objectNotFound)
            let empty = try path("empty")
            try await backend.write(empty, from: .empty)
            #expect(await storageError { _ = try await backend.read(empty, range: 0...0) }?.kind == .invalidRange)
        }
    }

    @Test func listPagesAcrossMoreThan1000Keys() async throws {
        try await S3TestServer.withBucket(prefix: "root") { client, backend in
            let names = (0..<1050).map { String(format: "many/k%04d", $0) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, name) in names.enumerated() {
                    if index >= 16 { try await group.next() }
                    group.addTask { try await backend.write(try path(name), from: stream(name)) }
                }
                try await group.waitForAll()
            }
            try await backend.write(try path("many/sub/deep"), from: stream("d"))
            try await backend.write(try path("top.txt"), from: stream("t"))
            // Outside the backend's prefix: never listed.
            try await client.putObject(key: "elsewhere/x", body: ByteBuffer(string: "x"))
            try await client.putObject(key: "rootless", body: ByteBuffer(string: "x"))

            var recursive: [StorageEntry] = []
            var cursor: String?
            var pages = 0
            repeat {
                let page = try await backend.list(under: try path("many"), recursive: true, limit: 1000, cursor: cursor)
                #expect(page.entries.count <= 1000)
                recursive += page.entries
                cursor = page.nextCursor
                pages += 1
            } while cursor != nil
            #expect(pages == 2)
            #expect(recursive.count == 1051)
            #expect(recursive.allSatisfy { $0.kind == .object })
            #expect(recursive.map(\.path.string) == (names + ["many/sub/deep"]).sorted())
            #expect(recursive.first?.size == UInt64("many/k0000".utf8.count))

            var shallow: [StorageEntry] = []
            cursor = nil
            repeat {
                let page = try await backend.list(under: try path("many"), recursive: false, limit: 400, cursor: cursor)
                shallow += page.entries
                cursor = page.nextCursor
            } while cursor != nil
            #expect(shallow.count == 1051)
            #expect(shallow.filter { $0.kind == .directory }.map(\.path.string) == ["many/sub"])

            let root = try await backend.list(under: nil, recursive: false, limit: 100, cursor: nil)
            #expect(root.entries.map(\.path.string) == ["many", "top.txt"])
            #expect(root.entries.map(\.kind) == [.directory, .object])
            #expect(root.nextCursor == nil)

            let missing = try await backend.list(under: try path("nothing"), recursive: true, limit: 10, cursor: nil)
            #expect(missing.entries.isEmpty)
        }
    }

    /// S3 orders the common prefix `d/` after `d-x` and `d.y`; the contract wants `d` first.
    /// Every page size must give the same, strictly ordered listing.
    @Test func directoryOrderAcrossPageBoundaries() async throws {
        try await S3TestServer.withBucket(prefix: "r") { _, backend in
            for name in ["d-x", "d.y", "d/in", "d/deeper/z", "d!", "e", "c"] {
                try await backend.write(try path("top/" + name), from: stream(name))
            }
            let expected = ["top/c", "top/d", "top/d!", "top/d-x", "top/d.y", "top/e"]
            for limit in [1, 2, 3, 1000] {
                var names: [String] = []
                var cursor: String?
                repeat {
                    let page = try await backend.list(under: try path("top"), recursive: false, limit: limit, cursor: cursor)
                    #expect(!page.entries.isEmpty || page.nextCursor == nil)
                    #expect(page.entries.count <= limit)
                    names += page.entries.map(\.path.string)
                    cursor = page.nextCursor
                } while cursor != nil
                #expect(names == expected, "limit \(limit)")
            }
            let afterD = try await backend.list(under: try path("top"), recursive: false, limit: 10, cursor: "top/d")
            #expect(afterD.entries.map(\.path.string) == ["top/d!", "top/d-x", "top/d.y", "top/e"])
            let pastEnd = try await backend.list(under: nil, recursive: true, limit: 10, cursor: "zzz")
            #expect(pastEnd.entries.isEmpty && pastEnd.nextCursor == nil)
        }
    }

    @Test func prefixConfinesTheBackend() async throws {
        try await S3TestServer.withBucket(prefix: "tenant/a") { client, backend in
            try await backend.write(try path("file"), from: stream("mine"))
            #expect(try await client.headObject(key: "tenant/a/file") != nil)
            try await client.putObject(key: "tenant/ab/file", body: ByteBuffer(string: "neighbour"))
            try await client.putObject(key: "tenant/file", body: ByteBuffer(string: "parent"))
            let all = try await backend.list(under: nil, recursive: true, limit: 100, cursor: nil)
            #expect(all.entries.map(\.path.string) == ["file"])
            #expect(await storageError { _ = try await backend.read(try path("ab/file")) }?.kind == .objectNotFound)
            #expect(backend.key(for: try path("x/y")) == "tenant/a/x/y")
        }
    }

    @Test func directories() async throws {
        try await S3TestServer.withBucket { _, backend in
            let dir = try path("d")
            try await backend.makeDirectory(dir)  // no-op
            #expect(await storageError { try await backend.removeDirectory(dir) }?.kind == .objectNotFound)
            try await backend.write(try path("d/x"), from: stream("x"))
            #expect(await storageError { try await backend.removeDirectory(dir) }?.kind == .io)
            #expect(await storageError { try await backend.makeDirectory(try path("d/x")) }?.kind == .alreadyExists)
            try await backend.delete(try path("d/x"))
            #expect(await storageError { try await backend.removeDirectory(dir) }?.kind == .objectNotFound)
        }
    }

    @Test func moveWithCopyObject() async throws {
        try await S3TestServer.withBucket { _, backend in
            let a = try path("a/one")
            let b = try path("b/two with space+plus")
            try await backend.write(a, from: stream("moving"))
            try await backend.move(from: a, to: b, overwrite: false)
            #expect(try await backend.exists(a) == false)
            #expect(String(decoding: try await backend.read(b).collectBytes(), as: UTF8.self) == "moving")

            try await backend.write(a, from: stream("again"))
            #expect(await storageError { try await backend.move(from: a, to: b, overwrite: false) }?.kind == .alreadyExists)
            try await backend.move(from: a, to: b, overwrite: true)
            #expect(String(decoding: try await backend.read(b).collectBytes(), as: UTF8.self) == "again")
            #expect(await storageError { try await backend.move(from: a, to: b, overwrite: true) }?.kind == .objectNotFound)
        }
    }

    @Test func moveWithUploadPartCopy() async throws {
        let adjust: (inout S3Configuration) -> Void = {
            $0.multipartCopyThreshold = 1024 * 1024
            $0.copyPartSize = 5 * 1024 * 1024
            $0.partSize = 5 * 1024 * 1024
        }
        try await S3TestServer.withBucket(adjust: adjust) { client, backend in
            let source = TestStream(size: 12 * 1024 * 1024 + 7, chunkSize: 1024 * 1024, seed: 11)
            let a = try path("copy/source")
            let b = try path("copy/destination")
            try await backend.write(a, from: ByteStream(source))
            try await backend.move(from: a, to: b, overwrite: true)
            #expect(try await backend.exists(a) == false)
            #expect(try await backend.read(b).sha256() == (try await source.sha256()))
            #expect(try await backend.stat(b).size == UInt64(source.size))
            let head = try #require(try await client.headObject(key: "copy/destination"))
            #expect(head.etag?.contains("-3") == true)
            #expect(try await client.listMultipartUploads(prefix: "").isEmpty)
        }
    }

    @Test func presignedGetNeedsNoAuthorizationHeader() async throws {
        try await S3TestServer.withBucket { client, backend in
            let file = try path("shared/report file.txt")
            try await backend.write(file, from: stream("presigned body"))
            let url = try client.presignedGetURL(key: backend.key(for: file), expires: 300)
            #expect(url.contains("X-Amz-Signature="))
            #expect(url.contains("/shared/report%20file.txt?"))
            var request = HTTPClientRequest(url: url)
            request.method = .GET
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            #expect(response.status.code == 200)
            let body = try await response.body.collect(upTo: 1024)
            #expect(String(buffer: body) == "presigned body")
            #expect(await storageError { _ = try client.presignedGetURL(key: "x", expires: 700_000) }?.kind == .invalidConfiguration)
        }
    }

    @Test func healthReportsReachable() async throws {
        try await S3TestServer.withBucket { _, backend in
            let health = await backend.health()
            #expect(health.reachable)
            #expect(health.message.contains("HeadBucket"))
        }
    }

    @Test func errorMapping() async throws {
        // NoSuchBucket → unreachable.
        let configuration = try S3TestServer.configuration(bucket: S3TestServer.uniqueBucketName())
        let client = try S3Client(configuration: configuration, httpClient: .shared, logger: S3TestServer.logger)
        let backend = S3Backend(client: client, logger: S3TestServer.logger)
        // Requests whose answer has a body carry S3's code. (HEAD-based calls, such as read,
        // stat and exists, cannot tell a missing bucket from a missing key: they say notFound;
        // connect() checks the bucket first.)
        let write = await storageError { _ = try await backend.write(try path("x"), from: stream("x")) }
        #expect(write?.kind == .unreachable)
        #expect(write?.message.contains("NoSuchBucket") == true)
        let list = await storageError { _ = try await backend.list(under: nil, recursive: true, limit: 10, cursor: nil) }
        #expect(list?.kind == .unreachable)
        #expect(await storageError { _ = try await backend.read(try path("x")) }?.kind == .objectNotFound)
        #expect(await storageError { try await client.headBucket() }?.kind == .unreachable)
        #expect(await backend.health().reachable == false)
        // NoSuchKey → notFound naming the path.
        try await S3TestServer.withBucket { _, backend in
            let error = await storageError { _ = try await backend.read(try path("no/such/key")) }
            #expect(error?.kind == .objectNotFound)
            #expect(error?.path == "no/such/key")
        }
    }
}

/// No server needed: addressing, request construction, parsing, connection failures.
@Suite("S3 client offline", .timeLimit(.minutes(10)))
struct S3ClientOfflineTests {
    static func client(_ configuration: S3Configuration) throws -> S3Client {
        try S3Client(configuration: configuration, httpClient: .shared, logger: S3TestServer.logger, environment: [:])
    }

    @Test func virtualHostedAddressing() throws {
        let client = try Self.client(
            S3Configuration(
                bucket: "my-bucket",
                region: "eu-west-1",
                endpoint: S3Endpoint(scheme: "https", host: "s3.example.com"),
                pathStyle: false,
                credentials: S3TestServer.credentials
            )
        )
        let target = client.target(key: "dir/a b+c")
        #expect(target.authority == "my-bucket.s3.example.com")
        #expect(target.url == "https://my-bucket.s3.example.com/dir/a%20b%2Bc")
        let request = client.signedRequest(method: .GET, key: "dir/a b+c", date: Date(timeIntervalSince1970: 1_369_353_600))
        #expect(request.url == "https://my-bucket.s3.example.com/dir/a%20b%2Bc")
        #expect(request.headers.first(name: "Host") == "my-bucket.s3.example.com")
        let authorization = try #require(request.headers.first(name: "Authorization"))
        #expect(
            authorization.hasPrefix(
                "AWS4-HMAC-SHA256 Credential=AKIDTESTING/20130524/eu-west-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature="
            )
        )
        #expect(!authorization.contains(S3TestServer.credentials.secretAccessKey))
        #expect(client.target(key: nil).url == "https://my-bucket.s3.example.com/")
    }

    @Test func defaultAWSEndpointAndPathStyle() throws {
        let aws = try Self.client(S3Configuration(bucket: "b-1", region: "us-west-2", credentials: S3TestServer.credentials))
        #expect(aws.target(key: "k").url == "https://b-1.s3.us-west-2.amazonaws.com/k")
        let local = try Self.client(
            S3Configuration(
                bucket: "b-1",
                endpoint: S3Endpoint(scheme: "http", host: "127.0.0.1", port: 9000),
                pathStyle: true,
                credentials: S3TestServer.credentials
            )
        )
        #expect(local.target(key: "k/é").url == "http://127.0.0.1:9000/b-1/k/%C3%A9")
        #expect(local.target(key: nil).url == "http://127.0.0.1:9000/b-1")
        let request = local.signedRequest(method: .GET, key: nil, query: [.init("list-type", "2"), .init("continuation-token", "a+b/c=")])
        #expect(request.url == "http://127.0.0.1:9000/b-1?list-type=2&continuation-token=a%2Bb%2Fc%3D")
        #expect(request.headers.first(name: "Host") == "127.0.0.1:9000")
    }

    @Test func uploadPartCopyRequestConstruction() throws {
        let client = try Self.client(
            S3Configuration(
                bucket: "bkt",
                endpoint: S3Endpoint(scheme: "http", host: "127.0.0.1", port: 9000),
                pathStyle: true,
                credentials: S3TestServer.credentials
            )
        )
        let headers = client.uploadPartCopyHeaders(source: "p/src key", range: 5_242_880...10_485_759)
        #expect(headers.map(\.0) == ["x-amz-copy-source", "x-amz-copy-source-range"])
        #expect(headers.map(\.1) == ["/bkt/p/src%20key", "bytes=5242880-10485759"])
        #expect(S3Backend.copyPartRanges(size: 12, partSize: 5) == [0...4, 5...9, 10...11])
        #expect(S3Backend.copyPartRanges(size: 10, partSize: 5) == [0...4, 5...9])
        #expect(S3Backend.copyPartRanges(size: 0, partSize: 5).isEmpty)
    }

    @Test func missingCredentialsAreAConfigurationError() throws {
        #expect(throws: StorageError.self) {
            try S3Client(
                configuration: S3Configuration(bucket: "bkt"),
                httpClient: .shared,
                logger: S3TestServer.logger,
                environment: [:]
            )
        }
        // The same configuration with credentials in the environment is accepted.
        _ = try S3Client(
            configuration: S3Configuration(bucket: "bkt"),
            httpClient: .shared,
            logger: S3TestServer.logger,
            environment: ["AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "SECRET"]
        )
    }

    @Test func connectionRefusedIsUnreachable() async throws {
        // A client that gives up on a refused connection at once (HTTPClient.shared would keep
        // retrying for its 90 s connect timeout, or until the request deadline).
        var httpConfiguration = HTTPClient.Configuration(timeout: .init(connect: .seconds(2), read: .seconds(5)))
        httpConfiguration.connectionPool.retryConnectionEstablishment = false
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
        do {
            let client = try S3Client(
                configuration: S3Configuration(
                    bucket: "bkt",
                    endpoint: S3Endpoint(scheme: "http", host: "127.0.0.1", port: 1),
                    pathStyle: true,
                    credentials: S3TestServer.credentials
                ),
                httpClient: http,
                logger: S3TestServer.logger,
                environment: [:]
            )
            let error = await storageError { try await client.headBucket() }
            #expect(error?.kind == .unreachable)
            #expect(error?.message.contains("127.0.0.1:1") == true)
            let backend = S3Backend(client: client, logger: S3TestServer.logger)
            #expect(await storageError { _ = try await backend.read(try path("x")) }?.kind == .unreachable)
        }
        try await http.shutdown()
    }

    @Test func errorDocumentsMapToStorageCodes() {
        func map(_ status: Int, _ xml: String) -> StorageError.Code {
            S3ErrorResponse(status: status, body: Array(xml.utf8)).storageError(operation: "op", path: "p").kind
        }
        func document(_ code: String) -> String {
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>\(code)</Code><Message>m</Message><RequestId>r</RequestId></Error>"
        }
        #expect(map(404, document("NoSuchKey")) == .objectNotFound)
        #expect(map(404, document("NoSuchBucket")) == .unreachable)
        #expect(map(403, document("AccessDenied")) == .accessDenied)
        #expect(map(403, document("InvalidAccessKeyId")) == .accessDenied)
        #expect(map(403, document("SignatureDoesNotMatch")) == .accessDenied)
        #expect(map(416, document("InvalidRange")) == .invalidRange)
        #expect(map(500, document("InternalError")) == .io)
        #expect(map(404, "") == .objectNotFound)
        #expect(map(403, "") == .accessDenied)
        #expect(map(416, "") == .invalidRange)
        let error = S3ErrorResponse(status: 500, body: Array(document("SlowDown").utf8)).storageError(operation: "PutObject", path: "a/b")
        #expect(error.kind == .io)
        #expect(error.message.contains("SlowDown"))
        #expect(error.message.contains("a/b"))
    }
}
