import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("artifactstore digest", .timeLimit(.minutes(10)))
struct DigestCommandTests {
    // b3sum / sha256sum of "hello world\n".
    static let helloBLAKE3 = "blake3:dc5a4edb8240b018124052c330270696f96771a63b45250a5c17d3000e823355"
    static let helloSHA256 = "sha256:a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"
    static let emptyBLAKE3 = "blake3:af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
    static let emptySHA256 = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    @Test func printsBothDigestsSizeAndPath() throws {
        let directory = try TemporaryDirectory()
        let hello = try directory.file("hello.txt", contents: Array("hello world\n".utf8))
        let empty = try directory.file("empty", contents: [])
        let output = try CLIProcess.run(["digest", hello, empty])
        #expect(output.status == 0)
        #expect(output.standardError.isEmpty)
        #expect(
            output.lines == [
                "\(Self.helloBLAKE3) \(Self.helloSHA256) 12 \(hello)",
                "\(Self.emptyBLAKE3) \(Self.emptySHA256) 0 \(empty)",
            ]
        )
    }

    @Test func singleAlgorithmPrintsOnlyThatDigest() throws {
        let directory = try TemporaryDirectory()
        let hello = try directory.file("hello.txt", contents: Array("hello world\n".utf8))
        let blake3 = try CLIProcess.run(["digest", "--algorithm", "blake3", hello])
        #expect(blake3.status == 0)
        #expect(blake3.lines == ["\(Self.helloBLAKE3) 12 \(hello)"])
        let sha256 = try CLIProcess.run(["digest", "--algorithm", "sha256", hello])
        #expect(sha256.lines == ["\(Self.helloSHA256) 12 \(hello)"])
    }

    @Test func jsonPrintsOneObjectPerLine() throws {
        let directory = try TemporaryDirectory()
        let hello = try directory.file("hello \"quoted\".txt", contents: Array("hello world\n".utf8))
        let output = try CLIProcess.run(["digest", "--json", hello, hello])
        #expect(output.status == 0)
        #expect(output.lines.count == 2)
        for line in output.lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(Set(object.keys) == ["blake3", "sha256", "size", "path"])
            #expect(object["blake3"] as? String == Self.helloBLAKE3)
            #expect(object["sha256"] as? String == Self.helloSHA256)
            #expect(object["size"] as? Int == 12)
            #expect(object["path"] as? String == hello)
        }
        let single = try CLIProcess.run(["digest", "--json", "--algorithm", "sha256", hello])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(single.standardOutput.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["sha256", "size", "path"])
    }

    @Test func missingFileIsReportedByNameAndOthersStillDigested() throws {
        let directory = try TemporaryDirectory()
        let hello = try directory.file("hello.txt", contents: Array("hello world\n".utf8))
        let missing = directory.url.appendingPathComponent("does-not-exist").path
        let output = try CLIProcess.run(["digest", missing, hello])
        #expect(output.status == 1)
        #expect(output.lines == ["\(Self.helloBLAKE3) \(Self.helloSHA256) 12 \(hello)"])
        #expect(output.standardError.contains("localFileNotFound"))
        #expect(output.standardError.contains(missing))
    }

    @Test func directoryIsNotAFile() throws {
        let directory = try TemporaryDirectory()
        let output = try CLIProcess.run(["digest", directory.url.path])
        #expect(output.status == 1)
        #expect(output.standardOutput.isEmpty)
        #expect(output.standardError.contains("notAFile"))
        #expect(output.standardError.contains(directory.url.path))
    }

    @Test func unreadableFileIsReportedAsAccessDenied() throws {
        let directory = try TemporaryDirectory()
        let secret = try directory.file("secret", contents: Array("top secret".utf8))
        let hello = try directory.file("hello.txt", contents: Array("hello world\n".utf8))
        #expect(chmod(secret, 0o000) == 0)
        // Root reads anything, so as root run the CLI as `nobody` (the files' folders stay traversable).
        var prefix: [String] = []
        var executable = CLIProcess.executable
        if geteuid() == 0 {
            #expect(chmod(directory.url.path, 0o755) == 0)
            #expect(chmod(hello, 0o644) == 0)
            prefix = ["/usr/bin/setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
            // The build folder may sit below a directory `nobody` cannot enter: run a copy.
            executable = directory.url.appendingPathComponent("artifactstore")
            try FileManager.default.copyItem(at: CLIProcess.executable, to: executable)
            #expect(chmod(executable.path, 0o755) == 0)
        }
        let output = try CLIProcess.run(["digest", secret, hello], prefix: prefix, executable: executable)
        #expect(output.status == 1)
        #expect(output.standardError.contains("accessDenied"))
        #expect(output.standardError.contains(secret))
        #expect(output.lines == ["\(Self.helloBLAKE3) \(Self.helloSHA256) 12 \(hello)"])
    }

    @Test func noFilesAndUnknownAlgorithmAreUsageErrors() throws {
        let none = try CLIProcess.run(["digest"])
        #expect(none.status != 0)
        #expect(none.standardOutput.isEmpty)
        let bad = try CLIProcess.run(["digest", "--algorithm", "md5", "/dev/null"])
        #expect(bad.status != 0)
        #expect(bad.standardError.contains("md5"))
    }

    @Test func pathsWithLineBreaksStayOnOneLine() throws {
        let directory = try TemporaryDirectory()
        let odd = try directory.file("odd\nname", contents: [])
        let output = try CLIProcess.run(["digest", "--algorithm", "blake3", odd])
        #expect(output.status == 0)
        #expect(output.lines == ["\\\(Self.emptyBLAKE3) 0 \(odd.replacingOccurrences(of: "\n", with: "\\n"))"])
    }

    @Test func largeFileMatchesIndependentHashes() throws {
        // 3 MiB + 1 of pseudo-random bytes: several read chunks and an odd tail.
        var state: UInt32 = 12345
        let bytes = (0..<(3 << 20) + 1).map { _ -> UInt8 in
            state = state &* 1_103_515_245 &+ 12345
            return UInt8(truncatingIfNeeded: state >> 16)
        }
        let directory = try TemporaryDirectory()
        let path = try directory.file("big", contents: bytes)
        let both = try CLIProcess.run(["digest", "--json", path])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(both.standardOutput.utf8)) as? [String: Any])
        let sha = try CLIProcess.run(["digest", "--algorithm", "sha256", path])
        let blake = try CLIProcess.run(["digest", "--algorithm", "blake3", path])
        #expect(sha.lines.first?.hasPrefix(object["sha256"] as! String) == true)
        #expect(blake.lines.first?.hasPrefix(object["blake3"] as! String) == true)
        #expect(object["size"] as? Int == bytes.count)
        // Independent reference: coreutils sha256sum.
        let reference = Process()
        reference.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        reference.arguments = [path]
        let pipe = Pipe()
        reference.standardOutput = pipe
        try reference.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        reference.waitUntilExit()
        #expect(object["sha256"] as? String == "sha256:" + text.prefix(64))
    }
}
