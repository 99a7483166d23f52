import ArtifactDataPlane
import ArtifactDataPlaneRemote
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Foundation
import Logging
import NIOCore
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The running daemon process, with its standard error collected.
final class DaemonProcess: Sendable {
    let process: Process
    let listening = AsyncStream<Void>.makeStream()
    let log = CollectedText()

    init(_ arguments: [String]) throws {
        process = Process()
        process.executableURL = CLIProcess.executable
        process.arguments = ["dataplane"] + arguments
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let handle = pipe.fileHandleForReading
        let listening = listening.continuation
        let log = log
        Thread.detachNewThread {
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                let text = log.append(String(decoding: data, as: UTF8.self))
                if text.contains("data plane daemon listening") { listening.yield() }
            }
            listening.finish()
        }
    }

    /// Returns when the daemon said it listens, or it ended (then `false`).
    func waitUntilListening() async -> Bool {
        for await _ in listening.stream { return true }
        return false
    }

    func terminate() -> Int32 {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// Text collected from another thread.
final class CollectedText: Sendable {
    private let text = Mutex("")

    /// Appends and returns everything so far.
    func append(_ more: String) -> String {
        text.withLock {
            $0 += more
            return $0
        }
    }

    var value: String { text.withLock { $0 } }
}

/// `artifactstore dataplane`, the real binary: socket mode, one ingest and serve through
/// RemoteDataPlane, SIGTERM, and bad options.
@Suite("artifactstore dataplane", .timeLimit(.minutes(10)))
struct DataPlaneCommandTests {
    @Test func servesUntilSIGTERM() async throws {
        let directory = try TemporaryDirectory()
        let socketPath = "/tmp/ascli-\(UUID().uuidString.prefix(8)).sock"
        let daemon = try DaemonProcess(["--socket", socketPath, "--backend", "main=file://\(directory.url.path)"])
        #expect(await daemon.waitUntilListening(), "\(daemon.log.value)")
        // Through FileManager: with jwt-kit and the LDAP client in the graph, a bare `stat()`
        // resolves ambiguously across the C overlays under MemberImportVisibility.
        let attributes = try FileManager.default.attributesOfItem(atPath: socketPath)
        #expect(attributes[.type] as? FileAttributeType == .typeSocket)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)

        let remote = RemoteDataPlane(socketPath: socketPath, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let content = ByteBuffer(bytes: [UInt8](count: 3_000_000) { UInt8(truncatingIfNeeded: $0 &* 7) })
        let result = try await remote.ingest(ByteStream(content))
        #expect(result.receipt.backendID == "main")
        #expect(FileManager.default.fileExists(atPath: directory.url.path + "/" + result.receipt.storageKey))
        var served = ByteBuffer()
        for try await chunk in try await remote.serve(result.address) {
            var chunk = chunk
            served.writeBuffer(&chunk)
        }
        #expect(served == content)
        remote.shutdown()

        #expect(daemon.terminate() == 0, "\(daemon.log.value)")
        #expect(daemon.process.terminationReason == .exit)
        #expect(!FileManager.default.fileExists(atPath: socketPath), "the socket file is still there")
    }

    @Test(
        arguments: [
            (["--backend", "no-equals-sign"], "invalidBackendArgument", "no-equals-sign"),
            (["--backend", "=file:///tmp"], "invalidBackendArgument", "ID=URL"),
            (["--backend", "a=ftp://host/x"], "invalidConfiguration", "ftp"),
            (["--backend", "a=file://relative/path"], "invalidConfiguration", "host"),
            (["--backend", "bad id=memory://x"], "invalidConfiguration", "bad id"),
            (["--backend", "a=memory://x", "--default-backend", "b"], "invalidConfiguration", "\"b\""),
            (["--backend", "a=memory://x", "--group", "no-such-group-xyz"], "invalidConfiguration", "no-such-group-xyz"),
            ([] as [String], "invalidBackendArgument", "--backend"),
        ] as [([String], String, String)]
    )
    func badOptionsExitTwo(_ options: [String], _ code: String, _ mention: String) throws {
        let socketPath = "/tmp/ascli-\(UUID().uuidString.prefix(8)).sock"
        let output = try CLIProcess.run(["dataplane", "--socket", socketPath] + options)
        #expect(output.status == 2)
        #expect(output.standardError.contains("artifactstore: error: \(code): "), "\(output.standardError)")
        #expect(output.standardError.contains(mention), "\(output.standardError)")
        #expect(!FileManager.default.fileExists(atPath: socketPath))
    }

    @Test func aPathThatIsNotASocketIsRefused() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.file("not-a-socket", contents: Array("data".utf8))
        let output = try CLIProcess.run(["dataplane", "--socket", path, "--backend", "a=memory://x"])
        #expect(output.status == 2)
        #expect(output.standardError.contains("artifactstore: error: socketPathNotSocket: "), "\(output.standardError)")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "data")
    }
}
