import Foundation
import Testing

/// The S3 server (moto) of `ARTIFACTSTORE_TEST_S3_ENDPOINT`; says once, plainly, when it is missing.
let redirectTestEndpoint: String? = {
    let value = ProcessInfo.processInfo.environment["ARTIFACTSTORE_TEST_S3_ENDPOINT"] ?? ""
    if value.isEmpty { print("CLI redirect tests SKIPPED: ARTIFACTSTORE_TEST_S3_ENDPOINT is not set") }
    return value.isEmpty ? nil : value
}()

/// The CLI and curl against `serve` over an S3 backend (moto) with `redirect=true`: downloads are
/// answered `307`, both follow to the presigned URL, curl's Range reaches S3, and the CLI still
/// proves what it wrote: bytes changed behind the server's back are refused (`digestMismatch`).
/// Skipped, saying so, without ARTIFACTSTORE_TEST_S3_ENDPOINT.
@Suite(
    "CLI pulls through S3 redirects",
    .serialized,
    .timeLimit(.minutes(10)),
    .enabled(if: redirectTestEndpoint != nil, "ARTIFACTSTORE_TEST_S3_ENDPOINT is not set")
)
struct RedirectedPullTests {
    static var endpoint: String? { redirectTestEndpoint }

    /// curl with `arguments`; its standard output.
    static func curl(_ arguments: [String]) throws -> String {
        let output = try CLIProcess.run(["-sS", "--max-time", "120"] + arguments, executable: URL(fileURLWithPath: "/usr/bin/curl"))
        #expect(output.status == 0, "curl \(arguments): \(output.standardError)")
        return output.standardOutput
    }

    @Test func pullFollowsRedirectsAndVerifiesTheBytes() throws {
        let endpoint = try #require(Self.endpoint)
        let bucket = "cli-redirect-\(UUID().uuidString.lowercased())"
        #expect(try Self.curl(["-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "\(endpoint)/\(bucket)"]) == "200")
        let backend = "s3=s3://\(bucket)/store?endpoint=\(endpoint)&redirect=true&redirectExpiry=60"
        let server = try ServerProcess(
            arguments: ["--backend", backend],
            environment: ["AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"]
        )
        let user = try CLIUser(server)
        let work = try TemporaryDirectory()
        let tree = try ClientEndToEndTests.makeTree(in: work)
        #expect(try user.admin(["push", "team/app:1.0.0", tree.path]).status == 0, "\(server.log)")

        // The CLI follows every file's 307 and writes the same tree.
        let pulled = work.url.appendingPathComponent("pulled")
        let pull = try user.admin(["pull", "team/app:1.0.0", pulled.path])
        #expect(pull.status == 0, "\(pull.standardOutput)\(pull.standardError)\n\(server.log)")
        #expect(try ClientEndToEndTests.sameTree(tree, pulled))

        // curl: a 307 to the bucket, followed (the token is not sent to another origin), and a
        // Range resent to S3.
        let fileURL = "\(server.url)/v1/namespaces/team/artifacts/app/versions/1.0.0/files/nested/c.bin"
        let auth = ["-H", "Authorization: Bearer \(server.adminToken)"]
        let head = try Self.curl(auth + ["-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", fileURL])
        #expect(head.hasPrefix("307 \(endpoint)/\(bucket)/store/blobs/blake3/"), "\(head)")
        let original = try Data(contentsOf: tree.appendingPathComponent("nested/c.bin"))
        let whole = work.url.appendingPathComponent("curl-whole")
        #expect(try Self.curl(auth + ["-L", "-o", whole.path, "-w", "%{http_code}", fileURL]) == "200")
        #expect(try Data(contentsOf: whole) == original)
        let part = work.url.appendingPathComponent("curl-part")
        #expect(try Self.curl(auth + ["-L", "-r", "1000-1999", "-o", part.path, "-w", "%{http_code}", fileURL]) == "206")
        #expect(try Data(contentsOf: part) == original[1000..<2000])

        // Bytes changed in the bucket behind the server's back: the CLI refuses them (exit 6)
        // and keeps nothing.
        let location = String(head.dropFirst("307 ".count))
        let objectURL = String(location[..<(location.firstIndex(of: "?") ?? location.endIndex)])
        var damaged = original
        damaged[12_345] ^= 0xFF
        let damagedFile = work.url.appendingPathComponent("damaged")
        try damaged.write(to: damagedFile)
        #expect(try Self.curl(Self.mockSignature + ["-o", "/dev/null", "-w", "%{http_code}", "-T", damagedFile.path, objectURL]) == "200")
        let second = work.url.appendingPathComponent("second")
        let refused = try user.admin(["pull", "team/app:1.0.0", second.path])
        #expect(refused.status == 6, "\(refused.standardOutput)\(refused.standardError)")
        #expect(refused.standardError.contains("digestMismatch"))
        #expect(!FileManager.default.fileExists(atPath: second.appendingPathComponent("nested/c.bin").path))
        #expect(!FileManager.default.fileExists(atPath: second.appendingPathComponent("nested/c.bin.partial").path))
        try Self.removeBucket("\(endpoint)/\(bucket)")
    }

    /// moto refuses an unsigned overwrite or delete but checks no signature: any Authorization
    /// header stands in for the server's credentials here.
    static let mockSignature = [
        "-H", "Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0",
    ]

    /// Deletes every object of the bucket at `url` (one listing page is enough here), then the bucket.
    static func removeBucket(_ url: String) throws {
        let listing = try curl(mockSignature + [url + "?list-type=2"])
        for match in listing.matches(of: /<Key>([^<]+)<\/Key>/) {
            _ = try curl(mockSignature + ["-X", "DELETE", "-o", "/dev/null", url + "/" + match.1])
        }
        _ = try curl(mockSignature + ["-X", "DELETE", "-o", "/dev/null", url])
    }
}
