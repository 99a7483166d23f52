import Foundation
import Testing

/// The S3-compatible server (moto) from `ARTIFACTSTORE_TEST_S3_ENDPOINT`, when set.
enum CLIS3Server {
    static let endpoint: String? = {
        let value = ProcessInfo.processInfo.environment["ARTIFACTSTORE_TEST_S3_ENDPOINT"] ?? ""
        return value.isEmpty ? nil : value
    }()

    /// Whether the S3 test can run; says once, plainly, why it is skipped when not.
    static let isAvailable: Bool = {
        if endpoint == nil {
            print(
                "ArtifactStoreCLITests: storage check S3 test SKIPPED: ARTIFACTSTORE_TEST_S3_ENDPOINT is not set "
                    + "(start `moto_server -H 127.0.0.1 -p 5000` and set it to http://127.0.0.1:5000)"
            )
        }
        return endpoint != nil
    }()
}

/// `artifactstore storage check`, run as a user runs it: output, standard error and exit status.
@Suite("artifactstore storage check", .timeLimit(.minutes(10)))
struct StorageCheckCommandTests {
    @Test func memoryPassesAsJSON() throws {
        let output = try CLIProcess.run(["storage", "check", "memory://x", "--json"])
        #expect(output.status == 0, "\(output.standardError)")
        #expect(output.lines.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)) as? [String: Any])
        #expect(object["passed"] as? Bool == true)
        #expect(object["url"] as? String == "memory://x")
        let steps = try #require(object["steps"] as? [[String: Any]])
        #expect(steps.compactMap { $0["name"] as? String } == ["verifyConnection", "verifyAccess", "connect"])
        #expect(steps.allSatisfy { $0["passed"] as? Bool == true })
    }

    @Test(
        arguments: [
            ("s3://bucket?pathStyle=maybe", "pathStyle"),
            ("s3://Bad_Bucket/prefix", "bucket"),
            ("file://relative/path", "host"),
            ("nope://x", "scheme"),
        ] as [(String, String)]
    )
    func badURLExitsTwo(_ url: String, _ part: String) throws {
        let output = try CLIProcess.run(["storage", "check", url])
        #expect(output.status == 2)
        #expect(output.standardOutput.isEmpty)
        #expect(output.standardError.contains("artifactstore: error: invalidConfiguration: "), "\(output.standardError)")
        #expect(output.standardError.contains(part), "\(output.standardError)")
    }

    @Test func directoryWithModePasses() throws {
        let directory = try TemporaryDirectory()
        let output = try CLIProcess.run(["storage", "check", "file://" + directory.url.path, "--mode", "0640"])
        #expect(output.status == 0, "\(output.standardOutput)\(output.standardError)")
        #expect(output.lines.count == 4)
        #expect(output.lines.prefix(3).allSatisfy { $0.hasPrefix("PASS ") })
        #expect(output.standardOutput.contains("mode 0640 applied"))
        #expect(output.standardOutput.contains("all 3 checks passed"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path).isEmpty)
    }

    @Test func missingDirectoryFails() throws {
        let output = try CLIProcess.run(["storage", "check", "file:///nonexistent-dir-xyz"])
        #expect(output.status == 1)
        #expect(output.standardOutput.contains("FAIL verifyConnection: unreachable: "), "\(output.standardOutput)")
        #expect(output.standardOutput.contains("3 of 3 checks failed"))
        #expect(!FileManager.default.fileExists(atPath: "/nonexistent-dir-xyz"))
    }

    /// Needs moto: `ARTIFACTSTORE_TEST_S3_ENDPOINT`. The bucket is never created.
    @Test(.enabled(if: CLIS3Server.isAvailable, "ARTIFACTSTORE_TEST_S3_ENDPOINT is not set"))
    func missingBucketFails() throws {
        let endpoint = try #require(CLIS3Server.endpoint)
        let bucket = "c-" + UUID().uuidString.lowercased()
        let output = try CLIProcess.run(
            ["storage", "check", "s3://\(bucket)/prefix?endpoint=\(endpoint)&region=us-east-1"],
            environment: ["AWS_ACCESS_KEY_ID": "AKIDTESTING", "AWS_SECRET_ACCESS_KEY": "test-key-not-real"]
        )
        #expect(output.status == 1, "\(output.standardOutput)\(output.standardError)")
        #expect(output.standardOutput.contains("FAIL verifyConnection: unreachable: "), "\(output.standardOutput)")
        #expect(output.standardOutput.contains(bucket), "the reason names the bucket: \(output.standardOutput)")
        #expect(output.standardOutput.contains("checks failed"))
    }
}
