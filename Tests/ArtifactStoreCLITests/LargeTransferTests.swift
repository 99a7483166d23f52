import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A 1 GiB push and pull through the real server, with the pull killed part-way and resumed, and
/// the server's memory bounded throughout (it runs as a process of its own, so its peak resident
/// set is its own, whatever the tests running beside this one allocate).
@Suite("artifactstore 1 GiB push and pull", .serialized, .timeLimit(.minutes(10)))
struct LargeTransferTests {
    static let size: Int64 = 1 << 30

    /// A 1 GiB file made quickly: sparse, with 1 MiB of pseudo-random bytes every 64 MiB so the
    /// content is not uniform.
    static func makeLargeFile(at path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown) }
        defer { close(descriptor) }
        guard ftruncate(descriptor, off_t(size)) == 0 else { throw CocoaError(.fileWriteUnknown) }
        var state: UInt32 = 2026
        let block = (0..<(1 << 20)).map { _ -> UInt8 in
            state = state &* 1_103_515_245 &+ 12345
            return UInt8(truncatingIfNeeded: state >> 16)
        }
        for index in 0..<16 {
            let written = block.withUnsafeBytes {
                pwrite(descriptor, $0.baseAddress, $0.count, off_t(index) * (64 << 20) + off_t(index * 4099))
            }
            guard written == block.count else { throw CocoaError(.fileWriteUnknown) }
        }
    }

    static func blake3(of path: String) throws -> String {
        let output = try CLIProcess.run(["digest", "--algorithm", "blake3", path])
        return String(output.standardOutput.prefix { $0 != " " })
    }

    @Test func oneGibibytePushAndPullKilledAndResumedWithTheDigestChecked() throws {
        let server = try ServerProcess()
        let user = try CLIUser(server)
        let work = try TemporaryDirectory()
        let source = work.url.appendingPathComponent("large.bin").path
        try Self.makeLargeFile(at: source)
        let expected = try Self.blake3(of: source)
        #expect(expected.hasPrefix("blake3:"))

        let push = try user.admin(["push", "big/blob:1", source, "--json"])
        #expect(push.status == 0, "\(push.standardOutput)\(push.standardError)\n\(server.log.suffix(2000))")
        let pushed = try #require(try JSONSerialization.jsonObject(with: Data(push.standardOutput.utf8)) as? [String: Any])
        #expect((pushed["uploadedBytes"] as? NSNumber)?.int64Value == Self.size)
        let listed = try user.admin(["ls", "big/blob:1"])
        #expect(listed.standardOutput.hasPrefix(expected + "  \(Self.size)\t"), "\(listed.standardOutput)")

        // Start a pull and kill it once part of the file is on disk.
        let destination = work.url.appendingPathComponent("out")
        let partial = destination.appendingPathComponent("large.bin.partial").path
        let pull = Process()
        pull.executableURL = CLIProcess.executable
        pull.arguments = ["pull", "big/blob:1", destination.path, "--server", server.url, "--token", server.adminToken]
        pull.environment = ProcessInfo.processInfo.environment.merging(user.environment) { $1 }
        pull.standardOutput = FileHandle.nullDevice
        pull.standardError = FileHandle.nullDevice
        try pull.run()
        var seen: Int64 = 0
        while pull.isRunning {
            if let attributes = try? FileManager.default.attributesOfItem(atPath: partial),
                let size = (attributes[.size] as? NSNumber)?.int64Value, size >= 32 << 20
            {
                seen = size
                kill(pull.processIdentifier, SIGKILL)
                break
            }
            usleep(2_000)
        }
        pull.waitUntilExit()
        #expect(seen > 0, "the pull finished before it could be interrupted")
        #expect(pull.terminationReason == .uncaughtSignal)
        let kept = (try FileManager.default.attributesOfItem(atPath: partial)[.size] as? NSNumber)?.int64Value ?? 0
        #expect(kept > 0 && kept < Self.size)

        // Resume: only the rest comes over the network; the whole file is verified.
        let resumed = try user.admin(["pull", "big/blob:1", destination.path, "--json"])
        #expect(resumed.status == 0, "\(resumed.standardOutput)\(resumed.standardError)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(resumed.standardOutput.utf8)) as? [String: Any])
        let resumedBytes = (result["resumedBytes"] as? NSNumber)?.int64Value ?? 0
        #expect(resumedBytes == kept)
        let pulled = destination.appendingPathComponent("large.bin").path
        #expect(try Self.blake3(of: pulled) == expected)
        #expect(FileManager.default.contentsEqual(atPath: source, andPath: pulled))
        #expect(!FileManager.default.fileExists(atPath: partial))

        // 1 GiB went up and (more than) 1 GiB came down: the server's peak stays far below
        // either (a debug build; the release server peaks near 50 MiB in `scripts/bench.sh http`).
        let peak = try #require(server.peakResidentMiB)
        print("FIGURE server peak RSS over a 1 GiB push and pull: \(peak) MiB")
        #expect(peak < Self.serverMemoryLimitMiB, "the server's resident memory peaked at \(peak) MiB")
    }

    /// The most resident memory the server may reach over the transfers, in MiB.
    static let serverMemoryLimitMiB = 128
}
