import ArtifactStoreTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The `artifactstore` client commands against the real `artifactstore serve`, both run as
/// processes exactly as a user runs them.
@Suite("artifactstore client against a live server", .serialized, .timeLimit(.minutes(10)))
struct ClientEndToEndTests {
    /// Deterministic pseudo-random bytes.
    static func bytes(_ count: Int, seed: UInt32) -> [UInt8] {
        var state = seed
        return [UInt8](count: count) { _ in
            state = state &* 1_103_515_245 &+ 12345
            return UInt8(truncatingIfNeeded: state >> 16)
        }
    }

    /// A directory tree to push: nested files, an empty file and two files with equal content.
    static func makeTree(in directory: TemporaryDirectory) throws -> URL {
        let root = directory.url.appendingPathComponent("tree")
        let files: [(String, [UInt8])] = [
            ("a.txt", Array("alpha\n".utf8)),
            ("copy-of-a.txt", Array("alpha\n".utf8)),
            ("empty", []),
            ("nested/deep/b.bin", bytes(300_000, seed: 7)),
            ("nested/c.bin", bytes(3 << 20, seed: 9)),
        ]
        for (path, contents) in files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(contents).write(to: url)
        }
        return root
    }

    static func sameTree(_ left: URL, _ right: URL) throws -> Bool {
        let manager = FileManager.default
        let leftFiles = try manager.subpathsOfDirectory(atPath: left.path).filter { !isDirectory(left.appendingPathComponent($0)) }.sorted()
        let rightFiles = try manager.subpathsOfDirectory(atPath: right.path).filter { !isDirectory(right.appendingPathComponent($0)) }
            .sorted()
        guard leftFiles == rightFiles else { return false }
        return leftFiles.allSatisfy {
            manager.contentsEqual(atPath: left.appendingPathComponent($0).path, andPath: right.appendingPathComponent($0).path)
        }
    }

    static func isDirectory(_ url: URL) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &directory) && directory.boolValue
    }

    static func object(_ value: Any) throws -> [String: Any] {
        try #require(value as? [String: Any])
    }

    @Test func loginPushPullRepushAndPullByTag() throws {
        let server = try ServerProcess()
        let user = try CLIUser(server)
        let work = try TemporaryDirectory()
        let tree = try Self.makeTree(in: work)

        // login validates the token and writes the login file, owner-only.
        let login = try user.run(["login", "--server", server.url, "--token", server.adminToken])
        #expect(login.status == 0, "\(login.standardError)\n\(server.log)")
        let loginFile = user.home.url.appendingPathComponent(".config/artifactstore/config.json").path
        let attributes = try FileManager.default.attributesOfItem(atPath: loginFile)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let directoryAttributes = try FileManager.default.attributesOfItem(
            atPath: user.home.url.appendingPathComponent(".config/artifactstore").path
        )
        #expect((directoryAttributes[.posixPermissions] as? NSNumber)?.intValue == 0o700)

        // push: every distinct blob uploaded once (a.txt and its copy share one).
        let push = try user.run(["push", "team/app:1.0.0", tree.path, "--json"])
        #expect(push.status == 0, "\(push.standardOutput)\(push.standardError)")
        let pushed = try Self.object(JSONSerialization.jsonObject(with: Data(push.standardOutput.utf8)))
        #expect(pushed["files"] as? Int == 5)
        #expect(pushed["uploadedBlobs"] as? Int == 4)
        #expect(pushed["skippedBlobs"] as? Int == 0)
        #expect(pushed["createdNamespace"] as? Bool == true)
        // No progress bar when standard error is not a terminal.
        #expect(push.standardError.isEmpty, "\(push.standardError)")

        // pull it back: byte for byte.
        let destination = work.url.appendingPathComponent("pulled")
        let pull = try user.run(["pull", "team/app:1.0.0", destination.path])
        #expect(pull.status == 0, "\(pull.standardOutput)\(pull.standardError)")
        #expect(pull.standardOutput.contains("5 files"))
        #expect(try Self.sameTree(tree, destination))
        #expect(try FileManager.default.subpathsOfDirectory(atPath: destination.path).allSatisfy { !$0.hasSuffix(".partial") })

        // push the same files again as another version: nothing uploaded.
        let again = try user.run(["push", "team/app:1.0.1", tree.path, "--json"])
        #expect(again.status == 0, "\(again.standardError)")
        let repushed = try Self.object(JSONSerialization.jsonObject(with: Data(again.standardOutput.utf8)))
        #expect(repushed["uploadedBlobs"] as? Int == 0)
        #expect(repushed["skippedBlobs"] as? Int == 4)
        #expect(repushed["uploadedBytes"] as? Int == 0)

        // A version is immutable: the same reference again is a conflict.
        let conflict = try user.run(["push", "team/app:1.0.1", tree.path])
        #expect(conflict.status == 5, "\(conflict.standardError)")
        #expect(conflict.standardError.contains("versionExists"))

        // tag and pull by tag.
        let tag = try user.run(["tag", "team/app:1.0.1", "latest"])
        #expect(tag.status == 0, "\(tag.standardError)")
        let byTag = work.url.appendingPathComponent("by-tag")
        let pullTag = try user.run(["pull", "team/app:latest", byTag.path, "--json"])
        #expect(pullTag.status == 0, "\(pullTag.standardError)")
        let pulledTag = try Self.object(JSONSerialization.jsonObject(with: Data(pullTag.standardOutput.utf8)))
        #expect(pulledTag["version"] as? String == "1.0.1")
        #expect(try Self.sameTree(tree, byTag))

        // ls at every level, text and JSON.
        #expect(try user.run(["ls"]).lines == ["team"])
        #expect(try user.run(["ls", "team"]).lines == ["team/app"])
        let versions = try user.run(["ls", "team/app"])
        #expect(versions.lines.count == 2)
        #expect(versions.lines.contains { $0.hasPrefix("1.0.1\t") && $0.contains("tags: latest") })
        let files = try user.run(["ls", "team/app:1.0.0"])
        #expect(files.lines.count == 5)
        #expect(files.lines.contains { $0.hasSuffix("\tnested/deep/b.bin") && $0.hasPrefix("blake3:") })
        let listing = try JSONSerialization.jsonObject(with: Data(user.run(["ls", "team/app:1.0.0", "--json"]).standardOutput.utf8))
        let version = try Self.object(listing)
        #expect((version["files"] as? [Any])?.count == 5)

        // Deleting the tag, then the version; the tag is gone and the version too.
        #expect(try user.run(["tag", "--delete", "team/app", "latest"]).status == 0)
        #expect(try user.run(["pull", "team/app:latest", work.url.appendingPathComponent("gone").path]).status == 3)
        #expect(try user.run(["rm", "team/app:1.0.0"]).status == 0)
        let missing = try user.run(["pull", "team/app:1.0.0", work.url.appendingPathComponent("gone").path, "--json"])
        #expect(missing.status == 3)
        let error = try Self.object(JSONSerialization.jsonObject(with: Data(missing.standardOutput.utf8)))
        let body = try #require(error["error"] as? [String: Any])
        #expect(body["code"] as? String == "versionNotFound")
        #expect((body["message"] as? String)?.isEmpty == false)
    }

    @Test func interruptedPullResumesWithRangeAndCorruptPartialIsCaught() throws {
        let server = try ServerProcess()
        let user = try CLIUser(server)
        let work = try TemporaryDirectory()
        let size = 8 << 20
        let content = Self.bytes(size, seed: 42)
        let file = try work.file("blob.bin", contents: content)
        #expect(try user.admin(["push", "team/data:1", file]).status == 0)

        // An earlier pull left the first half behind: only the rest is fetched, all verified.
        let destination = work.url.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
        let partial = destination.appendingPathComponent("blob.bin.partial")
        try Data(content[0..<(size / 2)]).write(to: partial)
        let (resumed, value) = try user.json(["pull", "team/data:1", destination.path])
        #expect(resumed.status == 0, "\(resumed.standardOutput)\(resumed.standardError)")
        #expect(try Self.object(value)["resumedBytes"] as? Int == size / 2)
        #expect(FileManager.default.contents(atPath: destination.appendingPathComponent("blob.bin").path) == Data(content))
        #expect(!FileManager.default.fileExists(atPath: partial.path))

        // A .partial whose bytes are wrong: the whole-file check fails, exit 6, nothing kept.
        let second = work.url.appendingPathComponent("second")
        try FileManager.default.createDirectory(at: second, withIntermediateDirectories: true)
        var corrupt = Array(content[0..<(size / 2)])
        corrupt[1234] ^= 0xFF
        let badPartial = second.appendingPathComponent("blob.bin.partial")
        try Data(corrupt).write(to: badPartial)
        let caught = try user.admin(["pull", "team/data:1", second.path])
        #expect(caught.status == 6, "\(caught.standardOutput)\(caught.standardError)")
        #expect(caught.standardError.contains("digestMismatch"))
        #expect(!FileManager.default.fileExists(atPath: badPartial.path))
        #expect(!FileManager.default.fileExists(atPath: second.appendingPathComponent("blob.bin").path))
        // The next pull starts afresh and succeeds.
        #expect(try user.admin(["pull", "team/data:1", second.path]).status == 0)
        #expect(FileManager.default.contents(atPath: second.appendingPathComponent("blob.bin").path) == Data(content))

        // A .partial longer than the file is discarded, not trusted.
        let third = work.url.appendingPathComponent("third")
        try FileManager.default.createDirectory(at: third, withIntermediateDirectories: true)
        try Data(Self.bytes(size + 10, seed: 1)).write(to: third.appendingPathComponent("blob.bin.partial"))
        let (fresh, freshValue) = try user.json(["pull", "team/data:1", third.path])
        #expect(fresh.status == 0)
        #expect(try Self.object(freshValue)["resumedBytes"] as? Int == 0)
        #expect(FileManager.default.contents(atPath: third.appendingPathComponent("blob.bin").path) == Data(content))
    }

    @Test func authErrorsNotFoundAndBadInput() throws {
        let server = try ServerProcess()
        let user = try CLIUser(server)
        let work = try TemporaryDirectory()
        let file = try work.file("f.txt", contents: Array("x".utf8))

        // No token at all: the CLI says so before any request (usage).
        let none = try user.run(["ls", "--server", server.url])
        #expect(none.status == 2)
        #expect(none.standardError.contains("notConfigured"))
        // An unknown token: 401, exit 4; login refuses it and writes nothing.
        let unknown = try user.admin(["ls"], token: "not-a-real-token")
        #expect(unknown.status == 4, "\(unknown.standardError)")
        let badLogin = try user.run(["login", "--server", server.url, "--token", "not-a-real-token", "--json"])
        #expect(badLogin.status == 4)
        let badLoginError = try Self.object(JSONSerialization.jsonObject(with: Data(badLogin.standardOutput.utf8)))
        #expect((badLoginError["error"] as? [String: Any])?["code"] as? String == "unauthenticated")
        #expect(!FileManager.default.fileExists(atPath: user.home.url.appendingPathComponent(".config/artifactstore/config.json").path))

        // A read-only token: listing works, pushing is forbidden (exit 4), and nothing is stored.
        #expect(try user.admin(["push", "team/app:1", file]).status == 0)
        let (created, createdValue) = try user.json(["token", "create", "--name", "reader", "--scope", "read:team"])
        #expect(created.status == 0, "\(created.standardError)")
        let reader = try #require(try Self.object(createdValue)["token"] as? String)
        #expect(try user.admin(["ls", "team"], token: reader).lines == ["team/app"])
        let forbidden = try user.admin(["push", "team/app:2", file], token: reader)
        #expect(forbidden.status == 4, "\(forbidden.standardError)")
        #expect(forbidden.standardError.contains("forbidden"))
        #expect(try user.admin(["ls", "team/app"]).lines.count == 1)

        // Not found: exit 3.
        #expect(try user.admin(["pull", "team/app:9", work.url.path]).status == 3)
        #expect(try user.admin(["ls", "nope"]).status == 3)
        #expect(try user.admin(["rm", "team/other:1"]).status == 3)

        // Bad input, refused locally with exit 2 and nothing changed.
        for reference in ["team/app", "Team/app:1", "team/../x:1", "team/%2e%2e:1", "team/app:.."] {
            let refused = try user.admin(["push", reference, file, "--json"])
            #expect(refused.status == 2, "\(reference): \(refused.standardOutput)")
            let error = try Self.object(JSONSerialization.jsonObject(with: Data(refused.standardOutput.utf8)))
            #expect((error["error"] as? [String: Any])?["code"] as? String == "invalidReference")
        }
        let noFile = try user.admin(["push", "team/app:3", work.url.appendingPathComponent("absent").path])
        #expect(noFile.status == 2)
        #expect(noFile.standardError.contains("invalidPath"))
        #expect(try user.admin(["ls"]).lines == ["team"])
        #expect(try user.admin(["ls", "team/app"]).lines.count == 1)

        // token list and revoke: the revoked token stops working (exit 4).
        let (_, tokens) = try user.json(["token", "list"])
        let readerInfo = try #require((tokens as? [[String: Any]])?.first { $0["name"] as? String == "reader" })
        let readerID = try #require(readerInfo["id"] as? String)
        #expect(try user.admin(["token", "list"]).standardOutput.contains("reader"))
        #expect(try user.admin(["token", "revoke", readerID]).status == 0)
        let revoked = try user.admin(["ls", "team"], token: reader)
        #expect(revoked.status == 4)
        #expect(revoked.standardError.contains("tokenRevoked") || revoked.standardError.contains("unauthenticated"))
    }

    @Test func holdsVerifyGarbageCollectionAndAudit() throws {
        let server = try ServerProcess()
        let user = try CLIUser(server)
        let work = try TemporaryDirectory()
        let file = try work.file("f.bin", contents: Self.bytes(10_000, seed: 3))
        #expect(try user.admin(["push", "team/app:1", file]).status == 0)

        let (verify, report) = try user.json(["verify", "team/app:1"])
        #expect(verify.status == 0, "\(verify.standardOutput)\(verify.standardError)")
        #expect(try Self.object(report)["verified"] as? Bool == true)

        #expect(try user.admin(["hold", "team/app:1", "--reason", "case 42"]).status == 0)
        #expect(try user.admin(["hold", "team/app:1"]).status == 5)
        let held = try user.admin(["rm", "team/app:1"])
        #expect(held.status == 5)
        #expect(held.standardError.contains("versionHeld"))
        #expect(try user.admin(["release", "team/app:1"]).status == 0)
        #expect(try user.admin(["release", "team/app:1"]).status == 3)
        #expect(try user.admin(["rm", "team/app:1"]).status == 0)

        let (gc, gcReport) = try user.json(["gc", "--dry-run"])
        #expect(gc.status == 0, "\(gc.standardOutput)\(gc.standardError)")
        #expect(try Self.object(gcReport)["dryRun"] as? Bool == true)
        #expect(try user.admin(["gc", "--dry-run"]).standardOutput.contains("dryRun: true"))

        let export = try user.admin(["audit", "export", "--namespace", "team"])
        #expect(export.status == 0, "\(export.standardError)")
        let records = try export.lines.map { try Self.object(JSONSerialization.jsonObject(with: Data($0.utf8))) }
        #expect(records.count >= 4)
        let bad = try user.admin(["audit", "export", "--since", "yesterday"])
        #expect(bad.status == 2)
        let (auditVerify, chain) = try user.json(["audit", "verify"])
        #expect(auditVerify.status == 0)
        #expect(try Self.object(chain)["intact"] as? Bool == true)
    }

    @Test func unreachableServerIsExitSeven() throws {
        let home = try TemporaryDirectory()
        let port = try ServerProcess.freePort()
        let output = try CLIProcess.run(
            ["ls", "--server", "http://127.0.0.1:\(port)", "--token", "t", "--json"],
            environment: ["HOME": home.url.path, "XDG_CONFIG_HOME": "", "ARTIFACTSTORE_SERVER": "", "ARTIFACTSTORE_TOKEN": ""]
        )
        #expect(output.status == 7)
        let error = try Self.object(JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8)))
        #expect((error["error"] as? [String: Any])?["code"] as? String == "serverUnreachable")
    }

    @Test func usageErrorsAreExitTwo() throws {
        let missing = try CLIProcess.run(["push"])
        #expect(missing.status == 2)
        #expect(missing.standardError.contains("Usage"))
        let json = try CLIProcess.run(["pull", "--json"])
        #expect(json.status == 2)
        let error = try Self.object(JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)))
        #expect((error["error"] as? [String: Any])?["code"] as? String == "usage")
        let badParallel = try CLIProcess.run(["push", "team/app:1", "/dev/null", "--parallel", "0", "--json"])
        #expect(badParallel.status == 2)
        #expect(badParallel.standardOutput.contains("invalidArgument"))
        let badScope = try CLIProcess.run([
            "token", "create", "--name", "x", "--scope", "root", "--server", "http://127.0.0.1:1", "--token", "t",
        ])
        #expect(badScope.status == 2)
        #expect(badScope.standardError.contains("root"))
    }
}

/// The progress bar appears only on a terminal: `script` gives the CLI a pseudo-terminal.
@Suite("artifactstore progress bar", .serialized, .timeLimit(.minutes(10)))
struct ProgressBarEndToEndTests {
    @Test func progressBarIsDrawnOnATerminalWithBytesRateAndETA() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            print("ProgressBarEndToEndTests SKIPPED: /usr/bin/script (util-linux) is not installed")
            return
        }
        let server = try ServerProcess()
        let user = try CLIUser(server)
        let file = try user.home.file("payload.bin", contents: ClientEndToEndTests.bytes(4 << 20, seed: 5))
        let command = [CLIProcess.executable.path, "push", "term/app:1", file, "--server", server.url, "--token", server.adminToken]
            .map { "'" + $0 + "'" }.joined(separator: " ")
        // `script -qec COMMAND /dev/null` runs COMMAND on a new pseudo-terminal and copies what it
        // prints to its own standard output.
        let output = try CLIProcess.run(
            ["-qec", command, "/dev/null"],
            executable: URL(fileURLWithPath: "/usr/bin/script"),
            environment: user.environment
        )
        #expect(output.status == 0, "\(output.standardOutput)\(output.standardError)")
        #expect(output.standardOutput.contains("hashing ["), "\(output.standardOutput)")
        #expect(output.standardOutput.contains("uploading ["))
        #expect(output.standardOutput.contains("4.0 MiB / 4.0 MiB"))
        #expect(output.standardOutput.contains("/s"))
        #expect(output.standardOutput.contains("pushed term/app:1"))
    }
}
