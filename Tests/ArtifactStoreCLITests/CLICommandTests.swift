import ArtifactStoreCore
import Foundation
import Testing

/// `--version`, shell completion, `logout`, `pull` over existing files, plurals, and the
/// progress line on a narrow terminal: the binary run as a user runs it.
@Suite("artifactstore version, completion, logout, pull --force, plurals, progress width", .serialized, .timeLimit(.minutes(5)))
struct CLICommandTests {
    @Test func versionIsTheOneVersionString() throws {
        let output = try CLIProcess.run(["--version"])
        #expect(output.status == 0)
        #expect(output.standardOutput == ArtifactStoreVersion.current + "\n")
    }

    @Test func completionScriptsAreGenerated() throws {
        for shell in ["bash", "zsh", "fish"] {
            let output = try CLIProcess.run(["--generate-completion-script", shell])
            #expect(output.status == 0, "\(shell): \(output.standardError)")
            #expect(output.standardOutput.contains("logout") && output.standardOutput.contains("pull"), "\(shell)")
        }
        let unknown = try CLIProcess.run(["--generate-completion-script", "tcsh"])
        #expect(unknown.status != 0)
    }

    @Test func logoutRemovesTheSavedLoginAndSaysWhatItDid() throws {
        let server = try ServerProcess()
        let user = try CLIUser(server)
        let loginFile = user.home.url.appendingPathComponent(".config/artifactstore/config.json").path
        #expect(try user.run(["login", "--server", server.url + "/", "--token", server.adminToken]).status == 0)

        // Another server's logout keeps this one's login.
        let other = try user.run(["logout", "--server", "http://127.0.0.1:1"])
        #expect(other.status == 0, "\(other.standardError)")
        let kept = "Not logged in to http://127.0.0.1:1: \(loginFile) holds the login for \(server.url), which was kept\n"
        #expect(other.standardOutput == kept)
        #expect(FileManager.default.fileExists(atPath: loginFile))
        #expect(try user.run(["whoami"]).status == 0)

        let logout = try user.run(["logout", "--server", server.url + "/"])
        #expect(logout.status == 0, "\(logout.standardError)")
        let removed = "Logged out of \(server.url): removed its token from \(loginFile) (the token stays valid on the server)\n"
        #expect(logout.standardOutput == removed)
        #expect(!FileManager.default.fileExists(atPath: loginFile))
        let whoami = try user.run(["whoami"])
        #expect(whoami.status == 2)
        #expect(whoami.standardError.contains("run `artifactstore login`"))

        let again = try user.run(["logout", "--json"])
        #expect(again.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(again.standardOutput.utf8)) as? [String: Any])
        #expect(object["loggedOut"] as? Bool == false && object["loginFile"] as? String == loginFile)

        let malformed = try user.run(["logout", "--server", "ftp://x"])
        #expect(malformed.status == 2)
        #expect(malformed.standardError.contains("invalidArgument"))
    }

    @Test func pullLeavesIdenticalFilesAloneAndRefusesDifferingOnesWithoutForce() throws {
        let server = try ServerProcess()
        let user = try CLIUser(server)
        let work = try TemporaryDirectory()
        let tree = try ClientEndToEndTests.makeTree(in: work)
        #expect(try user.admin(["push", "team/app:1", tree.path]).status == 0)
        let destination = work.url.appendingPathComponent("out")
        #expect(try user.admin(["pull", "team/app:1", destination.path]).status == 0)

        // Identical files: nothing downloaded, nothing touched.
        let big = destination.appendingPathComponent("nested/c.bin").path
        let before = try FileManager.default.attributesOfItem(atPath: big)[.modificationDate] as? Date
        let same = try user.admin(["pull", "team/app:1", destination.path])
        #expect(same.status == 0, "\(same.standardError)")
        #expect(same.standardOutput.contains("5 files, 3.3 MiB, all verified; 5 files already there, left alone"), "\(same.standardOutput)")
        #expect(try FileManager.default.attributesOfItem(atPath: big)[.modificationDate] as? Date == before)

        // One file changed, one removed: refused before anything is downloaded.
        let changed = destination.appendingPathComponent("a.txt").path
        try Data("local edit\n".utf8).write(to: URL(fileURLWithPath: changed))
        try FileManager.default.removeItem(atPath: destination.appendingPathComponent("empty").path)
        let refused = try user.admin(["pull", "team/app:1", destination.path])
        #expect(refused.status == 5)
        #expect(refused.standardError.contains("localFileDiffers"), "\(refused.standardError)")
        #expect(refused.standardError.contains("1 file in \(destination.path) already exists with other content than team/app:1 (a.txt)"))
        #expect(refused.standardError.contains("Pass --force to overwrite"))
        #expect(try String(contentsOfFile: changed, encoding: .utf8) == "local edit\n")
        #expect(!FileManager.default.fileExists(atPath: destination.appendingPathComponent("empty").path))

        let forced = try user.admin(["pull", "team/app:1", destination.path, "--force", "--json"])
        #expect(forced.status == 0, "\(forced.standardError)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(forced.standardOutput.utf8)) as? [String: Any])
        #expect(result["overwrittenFiles"] as? Int == 1 && result["unchangedFiles"] as? Int == 3)
        #expect(try ClientEndToEndTests.sameTree(tree, destination))
    }

    @Test func countsAgreeWithTheirNouns() throws {
        let server = try ServerProcess()
        let user = try CLIUser(server)
        let work = try TemporaryDirectory()
        let file = try work.file("one.txt", contents: Array("one\n".utf8))
        let push = try user.admin(["push", "solo/app:1", file])
        #expect(push.status == 0, "\(push.standardError)")
        let summary = "pushed solo/app:1: 1 file, 4 B; uploaded 1 blob (4 B), skipped 0 blobs the server already had"
        #expect(push.standardOutput.contains(summary), "\(push.standardOutput)")
        let pull = try user.admin(["pull", "solo/app:1", work.url.appendingPathComponent("out").path])
        #expect(pull.standardOutput.contains(": 1 file, 4 B, all verified"), "\(pull.standardOutput)")
        let versions = try user.admin(["ls", "solo/app"])
        #expect(versions.lines.first?.hasPrefix("1\t1 file\t") == true, "\(versions.standardOutput)")
    }

    /// On a 60-column terminal, each redraw replaces the line: no piece between carriage returns
    /// and line feeds is wider than 59 columns, and each phase ends with one line feed.
    @Test func progressLineFitsASixtyColumnTerminal() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else {
            print("progressLineFitsASixtyColumnTerminal SKIPPED: /usr/bin/script (util-linux) is not installed")
            return
        }
        let server = try ServerProcess()
        let user = try CLIUser(server)
        let file = try user.home.file("payload.bin", contents: ClientEndToEndTests.bytes(6 << 20, seed: 3))
        let push = [CLIProcess.executable.path, "push", "narrow/app:1", file, "--server", server.url, "--token", server.adminToken]
            .map { "'" + $0 + "'" }.joined(separator: " ")
        for (setup, environment) in [("stty cols 60 rows 20; ", [:]), ("stty cols 0 rows 0; ", ["COLUMNS": "60"])] {
            let output = try CLIProcess.run(
                [
                    "-qec", setup + push.replacingOccurrences(of: "narrow/app:1", with: "narrow/app:\(environment.isEmpty ? 1 : 2)"),
                    "/dev/null",
                ],
                executable: URL(fileURLWithPath: "/usr/bin/script"),
                environment: user.environment.merging(environment) { $1 }
            )
            #expect(output.status == 0, "\(output.standardOutput)\(output.standardError)")
            // The pseudo-terminal turns each line feed into CR LF (one Character in Swift).
            let text = output.standardOutput.replacingOccurrences(of: "\u{1B}[K", with: "").replacingOccurrences(of: "\r\n", with: "\n")
            let pieces = text.split(whereSeparator: { $0 == "\r" || $0 == "\n" }).filter { !$0.hasPrefix("pushed ") }
            #expect(pieces.contains { $0.hasPrefix("uploading [") }, "\(text)")
            for piece in pieces { #expect(piece.count <= 59, "\(piece.count) columns: \(piece.debugDescription)") }
            let lines = text.split(separator: "\n")
            #expect(lines.filter { $0.contains("hashing") }.count == 1 && lines.filter { $0.contains("uploading") }.count == 1, "\(text)")
        }
    }
}
