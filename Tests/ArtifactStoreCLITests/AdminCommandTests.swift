import Foundation
import Testing

/// `artifactstore admin backup | restore | fsck` as an operator runs them, beside a real
/// `artifactstore serve`: the backup is taken while it serves, the restored store is served by a
/// second `serve` and pulled from, and every refusal has its exit status and code.
@Suite("admin backup, restore and fsck (binary)", .serialized, .timeLimit(.minutes(10)))
struct AdminCommandTests {
    /// A running `serve` with team/app:1 pushed from a tree of files, and its data directory.
    static func servedStore() throws -> (ServerProcess, CLIUser, TemporaryDirectory, URL, String) {
        let server = try ServerProcess()
        let user = try CLIUser(server)
        let work = try TemporaryDirectory()
        let tree = try ClientEndToEndTests.makeTree(in: work)
        #expect(try user.admin(["push", "team/app:1", tree.path]).status == 0)
        return (server, user, work, tree, server.dataDirectory.url.appendingPathComponent("data").path)
    }

    @Test func backupWhileServingRestoreFsckAndServeTheRestoredStore() throws {
        let (server, user, work, tree, data) = try Self.servedStore()
        let backup = work.url.appendingPathComponent("backup").path

        let written = try user.run(["admin", "backup", "--data-dir", data, "--to", backup])
        #expect(written.status == 0, "\(written.standardError)")
        #expect(written.standardOutput.contains("backed up 4 blobs"))
        let again = try user.run(["admin", "backup", "--data-dir", data, "--to", backup])
        #expect(again.status == 5 && again.standardError.contains("backupDestinationNotEmpty") && again.standardError.contains(backup))

        let restored = work.url.appendingPathComponent("restored").path
        let restore = try user.run(["admin", "restore", "--from", backup, "--data-dir", restored])
        #expect(restore.status == 0, "\(restore.standardError)")
        let twice = try user.run(["admin", "restore", "--from", backup, "--data-dir", restored])
        #expect(twice.status == 5 && twice.standardError.contains("restoreDestinationNotEmpty"))

        let fsck = try user.run(["admin", "fsck", "--data-dir", restored, "--json"])
        #expect(fsck.status == 0, "\(fsck.standardOutput)\(fsck.standardError)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(fsck.standardOutput.utf8)) as? [String: Any])
        let report = try #require(object["report"] as? [String: Any])
        #expect(object["clean"] as? Bool == true && report["blobsVerified"] as? Int == 4 && report["strayCount"] as? Int == 0)

        // The restored store, served and pulled from with the original admin token (tokens came with it).
        let second = try ServerProcess(dataPath: restored)
        let destination = work.url.appendingPathComponent("pulled")
        let pull = try user.run(["pull", "team/app:1", destination.path, "--server", second.url, "--token", server.adminToken])
        #expect(pull.status == 0, "\(pull.standardError)")
        #expect(try ClientEndToEndTests.sameTree(tree, destination))
    }

    @Test func fsckReportsDamageWithStatus6AndRefusesAMissingStore() throws {
        let (server, user, work, tree, data) = try Self.servedStore()
        let objects = data + "/blobs/blobs/blake3"
        // One object removed, and an old file no row knows.
        let stored = try FileManager.default.subpathsOfDirectory(atPath: objects).filter { $0.split(separator: "/").count == 3 }.sorted()
        try FileManager.default.removeItem(atPath: objects + "/" + stored[0])
        let stray = "00/11/0011" + String(repeating: "0", count: 59) + "a"
        try FileManager.default.createDirectory(atPath: objects + "/00/11", withIntermediateDirectories: true)
        try Data("stray".utf8).write(to: URL(fileURLWithPath: objects + "/" + stray))
        try FileManager.default.setAttributes(
            [.modificationDate: Date().addingTimeInterval(-3 * 86_400)],
            ofItemAtPath: objects + "/" + stray
        )

        let fsck = try user.run(["admin", "fsck", "--data-dir", data])
        #expect(fsck.status == 6, "\(fsck.standardError)")
        #expect(fsck.standardOutput.contains("missing: 1\n"))
        #expect(fsck.standardOutput.contains("blobs/blake3/\(stray) in backend \"default\", 5 bytes, 3 days old: no blob row knows it"))
        #expect(fsck.standardOutput.hasSuffix("fsck: PROBLEMS FOUND\n"))

        let nowhere = work.url.appendingPathComponent("nowhere").path
        let missing = try user.run(["admin", "fsck", "--data-dir", nowhere])
        #expect(missing.status == 2 && missing.standardError.contains(nowhere + "/metadata.sqlite"))
        #expect(!FileManager.default.fileExists(atPath: nowhere))
    }
}
