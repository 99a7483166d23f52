import ArtifactStorage
import ArtifactStorageFactory
import ArtifactStoreTestSupport
import Foundation
import Glibc
import Testing

/// Library-level tests of what `artifactstore storage check` runs and prints.
@Suite("StorageCheck", .timeLimit(.minutes(10)))
struct StorageCheckTests {
    @Test(
        arguments: [("640", 0o640), ("0640", 0o640), ("0o640", 0o640), ("7777", 0o7777), ("0", 0), ("4755", 0o4755)] as [(String, UInt32)]
    )
    func parsesModes(_ text: String, _ expected: UInt32) throws {
        #expect(try StorageCheck.parseMode(text) == expected)
    }

    @Test(arguments: ["", "8", "0x1FF", "-640", "10000", "17777", "64O", "rw-r-----", "0o", "0640 "])
    func refusesModes(_ text: String) {
        let error = #expect(throws: StorageError.self) { try StorageCheck.parseMode(text) }
        #expect(error?.kind == .invalidConfiguration)
    }

    @Test func passingDirectory() async throws {
        let directory = FileManager.default.temporaryDirectory.path + "/artifactstore-check-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let user = getuid() == 0 ? "nobody" : nil
        if user == nil { print("StorageCheckTests: not root, checking without --user") }
        let report = try await StorageCheck.run(
            url: "file://" + directory,
            user: user,
            mode: 0o640,
            factory: StorageFactory(logger: TestLogs.silent)
        )
        #expect(report.passed, "\(report.text)")
        #expect(report.steps.map(\.name) == ["verifyConnection", "verifyAccess", "connect"])
        #expect(report.text.contains("all 3 checks passed"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
        let json = try report.json()
        let decoded = try JSONDecoder().decode(StorageCheck.Report.self, from: Data(json.utf8))
        #expect(decoded == report)
        #expect(json.contains("\"passed\":true"))
        #expect(json.contains("\"mode\":\"0640\""))
    }

    @Test func failingDirectorySaysWhy() async throws {
        let missing = FileManager.default.temporaryDirectory.path + "/artifactstore-check-missing-" + UUID().uuidString
        let report = try await StorageCheck.run(
            url: "file://" + missing,
            user: nil,
            mode: nil,
            factory: StorageFactory(logger: TestLogs.silent)
        )
        #expect(!report.passed)
        #expect(report.steps.allSatisfy { !$0.passed && $0.code == "unreachable" })
        #expect(report.text.contains("FAIL verifyConnection: unreachable:"))
        #expect(report.text.contains("3 of 3 checks failed"))
        #expect(!FileManager.default.fileExists(atPath: missing))
        #expect(try report.json().contains("\"passed\":false"))
    }

    @Test func unknownUserFailsAccessOnly() async throws {
        let report = try await StorageCheck.run(
            url: "memory://check-" + UUID().uuidString,
            user: "no-such-user-artifactstore",
            mode: nil,
            factory: StorageFactory(logger: TestLogs.silent)
        )
        #expect(report.steps.map(\.passed) == [true, false, true])
        #expect(report.steps[1].code == "invalidConfiguration")
    }

    @Test func badURLThrows() async {
        let error = await #expect(throws: StorageError.self) {
            _ = try await StorageCheck.run(url: "nope://x", user: nil, mode: nil, factory: StorageFactory(logger: TestLogs.silent))
        }
        #expect(error?.kind == .invalidConfiguration)
    }
}
