import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real `artifactstore serve` binary: first start, bootstrap token, readiness, SIGTERM.
@Suite("artifactstore serve (binary)", .serialized, .timeLimit(.minutes(10)))
struct ServeBinaryTests {
    /// A running `artifactstore serve` with its standard error captured in a file.
    final class Server {
        let process = Process()
        let errorFile: URL
        private(set) var port = 0

        init(dataDirectory: String, environment: [String: String] = [:], arguments: [String] = []) throws {
            errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("serve-\(UUID().uuidString).err")
            _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
            process.executableURL = ServeBinaryTests.executable
            process.arguments = ["serve", "--port", "0", "--data-dir", dataDirectory, "--gc-interval", "3600"] + arguments
            var childEnvironment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ARTIFACTSTORE_") }
            childEnvironment.merge(environment) { $1 }
            process.environment = childEnvironment
            process.standardError = try FileHandle(forWritingTo: errorFile)
            process.standardOutput = FileHandle.nullDevice
            try process.run()
        }

        var standardError: String { (try? String(contentsOf: errorFile, encoding: .utf8)) ?? "" }

        /// Waits for the "listening on" line and reads the port from it.
        func waitUntilListening() async throws {
            let line = try await waitForLine(containing: "listening on http://")
            guard let port = Int(line.split(separator: ":").last ?? "") else {
                throw TestFailure("no port in the line \"\(line)\"; stderr:\n\(standardError)")
            }
            self.port = port
        }

        /// Waits (polling its standard error, for up to 60 s) until the server has logged a line
        /// containing `text`: the process tells when it has reached a state, so the test never
        /// waits a fixed time and hopes.
        @discardableResult
        func waitForLine(containing text: String) async throws -> Substring {
            let deadline = ContinuousClock.now + .seconds(60)
            while true {
                if let line = standardError.split(separator: "\n").first(where: { $0.contains(text) }) { return line }
                guard ContinuousClock.now < deadline, process.isRunning else { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            throw TestFailure("serve logged no line with \"\(text)\" (running: \(process.isRunning)); stderr:\n\(standardError)")
        }

        /// SIGTERM, then the exit status.
        func terminate() async -> Int32 {
            kill(process.processIdentifier, SIGTERM)
            while process.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
            try? FileManager.default.removeItem(at: errorFile)
            return process.terminationStatus
        }

        /// `POST path` with a JSON body; the status.
        func post(_ path: String, token: String, json: String) async throws -> UInt {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
            request.method = .POST
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
            return try await HTTPClient.shared.execute(request, timeout: .seconds(30)).status.code
        }

        /// The size of each of an upload's three chunks: together above the size the data plane
        /// takes whole into memory (1 MiB), so the server streams it into a temporary file.
        static let uploadChunkSize = 512 * 1024

        /// Starts a 3-chunk upload into namespace `team`, sends the first chunk, and returns
        /// once the server has begun storing it (its temporary exists under `dataDirectory`).
        /// The caller sends the rest through the continuation, or never.
        func startUpload(
            token: String,
            dataDirectory: String
        ) async throws
            -> (rest: AsyncStream<ByteBuffer>.Continuation, response: Task<HTTPClientResponse, any Error>)
        {
            let (chunks, continuation) = AsyncStream<ByteBuffer>.makeStream()
            var upload = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/namespaces/team/blobs")
            upload.method = .POST
            upload.headers.add(name: "Authorization", value: "Bearer \(token)")
            upload.body = .stream(chunks, length: .known(Int64(3 * Self.uploadChunkSize)))
            let response = Task { try await HTTPClient.shared.execute(upload, timeout: .seconds(60)) }
            continuation.yield(ByteBuffer(repeating: 1, count: Self.uploadChunkSize))
            let deadline = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < deadline {
                // The folder appears with the first temporary; until then there is nothing to list.
                let temporaries = (try? FileManager.default.contentsOfDirectory(atPath: dataDirectory + "/blobs/tmp/ingest")) ?? []
                if !temporaries.isEmpty { return (continuation, response) }
                try await Task.sleep(for: .milliseconds(20))
            }
            continuation.finish()
            throw TestFailure("the server stored no temporary for the upload within 30 s; stderr:\n\(standardError)")
        }

        func get(_ path: String, token: String? = nil) async throws -> (status: UInt, body: String) {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
            if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 1 << 20)
            return (response.status.code, String(buffer: body))
        }
    }

    /// The `artifactstore` executable in the build products folder.
    static let executable: URL = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("artifactstore")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        fatalError("artifactstore executable not found next to \(CommandLine.arguments[0])")
    }()

    static func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.path + "/artifactstore-serve-\(UUID().uuidString.lowercased())"
    }

    /// The token in the boxed first-start message.
    static func boxedToken(in text: String) -> String? {
        text.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: CharacterSet(charactersIn: "| "))
            return trimmed.hasPrefix("ast_") ? trimmed : nil
        }.first
    }

    @Test("first start prints the admin token once, /readyz answers, SIGTERM exits 0; a second start prints no token")
    func firstAndSecondStart() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let first = try Server(dataDirectory: directory)
        try await first.waitUntilListening()
        #expect(try await first.get("/readyz").status == 200)
        let output = first.standardError
        let token = try #require(Self.boxedToken(in: output), "no boxed token in:\n\(output)")
        #expect(output.components(separatedBy: token).count == 2, "the token must appear exactly once")
        #expect(try await first.get("/v1/whoami", token: token).status == 200)
        #expect(await first.terminate() == 0)

        let second = try Server(dataDirectory: directory)
        try await second.waitUntilListening()
        #expect(try await second.get("/readyz").status == 200)
        #expect(Self.boxedToken(in: second.standardError) == nil)
        #expect(!second.standardError.contains(token))
        #expect(try await second.get("/v1/whoami", token: token).status == 200)
        #expect(await second.terminate() == 0)
        #expect(FileManager.default.fileExists(atPath: directory + "/metadata.sqlite"))
    }

    @Test("ARTIFACTSTORE_ADMIN_TOKEN at the first start becomes the admin token and is never printed")
    func providedAdminToken() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let token = "ast_00112233aabbccdd_" + String(repeating: "7e", count: 32)
        let server = try Server(dataDirectory: directory, environment: ["ARTIFACTSTORE_ADMIN_TOKEN": token])
        try await server.waitUntilListening()
        #expect(try await server.get("/v1/whoami", token: token).status == 200)
        #expect(Self.boxedToken(in: server.standardError) == nil)
        #expect(!server.standardError.contains(token))
        #expect(await server.terminate() == 0)
    }

    @Test("SIGTERM during an upload lets it finish (201) before the process exits 0")
    func drainsInFlightUpload() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let token = "ast_00112233aabbccdd_" + String(repeating: "7e", count: 32)
        let server = try Server(dataDirectory: directory, environment: ["ARTIFACTSTORE_ADMIN_TOKEN": token])
        try await server.waitUntilListening()
        #expect(try await server.post("/v1/namespaces", token: token, json: #"{"name":"team"}"#) == 201)
        let (continuation, response) = try await server.startUpload(token: token, dataDirectory: directory)
        kill(server.process.processIdentifier, SIGTERM)
        // The shutdown has begun (the notice is the first service told); the upload is still
        // open, so the process must still be there, and the rest of the body is then accepted.
        try await server.waitForLine(containing: "shutting down")
        #expect(server.process.isRunning, "the server must wait for the upload in flight")
        continuation.yield(ByteBuffer(repeating: 2, count: Server.uploadChunkSize))
        continuation.yield(ByteBuffer(repeating: 3, count: Server.uploadChunkSize))
        continuation.finish()
        #expect(try await response.value.status == .created)
        #expect(await server.terminate() == 0)
    }
}

extension ServeBinaryTests {
    /// Writes `path` (and its directories), dated `age` seconds ago.
    static func plant(_ path: String, age: TimeInterval = 0) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: path, contents: Data("left behind".utf8)))
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -age)], ofItemAtPath: path)
    }

    /// Polls (every 20 ms, up to `seconds`) until `condition` holds; whether it did.
    static func eventually(within seconds: Int = 90, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }

    @Test("serve removes abandoned ingest temporaries at start: one still for two hours goes, a fresh one stays")
    func sweepsTemporariesAtStart() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let old = directory + "/blobs/tmp/ingest/left-behind-old"
        let fresh = directory + "/blobs/tmp/ingest/left-behind-fresh"
        try Self.plant(old, age: 7200)
        try Self.plant(fresh)
        let server = try Server(dataDirectory: directory)
        try await server.waitUntilListening()
        #expect(try await Self.eventually { !FileManager.default.fileExists(atPath: old) }, "stderr:\n\(server.standardError)")
        #expect(FileManager.default.fileExists(atPath: fresh))
        #expect(await server.terminate() == 0)
    }

    @Test("serve --data-plane unix:///… through the real daemon: store, serve, the daemon's sweep, reconciliation in /metrics, fsck")
    func throughTheDaemon() async throws {
        let directory = Self.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory + "/daemon-blobs", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // What a crashed ingest leaves in the daemon's backend: a temporary, and an object no row knows.
        let temporary = directory + "/daemon-blobs/tmp/ingest/left-behind"
        try Self.plant(temporary, age: 7200)
        let strayHex = String(repeating: "ab", count: 32)
        try Self.plant(directory + "/daemon-blobs/blobs/blake3/ab/ab/" + strayHex)
        let socket = directory + "/dataplane.sock"
        let daemon = Process()
        daemon.executableURL = Self.executable
        daemon.arguments = ["dataplane", "--socket", socket, "--backend", "main=file://\(directory)/daemon-blobs"]
        daemon.standardOutput = FileHandle.nullDevice
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        defer { if daemon.isRunning { kill(daemon.processIdentifier, SIGKILL) } }
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline, daemon.isRunning, !FileManager.default.fileExists(atPath: socket) {
            try await Task.sleep(for: .milliseconds(20))
        }
        try #require(FileManager.default.fileExists(atPath: socket), "the data plane daemon made no socket within 60 s")
        #expect(try await Self.eventually { !FileManager.default.fileExists(atPath: temporary) }, "the daemon kept an abandoned temporary")

        let token = "ast_00112233aabbccdd_" + String(repeating: "7e", count: 32)
        let server = try Server(
            dataDirectory: directory + "/server",
            environment: ["ARTIFACTSTORE_ADMIN_TOKEN": token, "ARTIFACTSTORE_DATA_PLANE": "unix://\(socket)"]
        )
        try await server.waitUntilListening()
        let ready = try await server.get("/readyz")
        #expect(ready.status == 200, "\(ready.body)")
        #expect(ready.body.contains("\"backendID\":\"main\""))

        #expect(try await server.post("/v1/namespaces", token: token, json: #"{"name":"team"}"#) == 201)
        var upload = HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/v1/namespaces/team/blobs")
        upload.method = .POST
        upload.headers.add(name: "Authorization", value: "Bearer \(token)")
        upload.body = .bytes(ByteBuffer(string: "bytes through the daemon"))
        let uploaded = try await HTTPClient.shared.execute(upload, timeout: .seconds(30))
        #expect(uploaded.status == .created)
        let json =
            try JSONSerialization.jsonObject(with: Data((try await uploaded.body.collect(upTo: 1 << 16)).readableBytesView))
            as? [String: Any]
        let address = try #require(json?["address"] as? String)
        let downloaded = try await server.get("/v1/namespaces/team/blobs/\(address)", token: token)
        #expect(downloaded.status == 200 && downloaded.body == "bytes through the daemon")
        // The bytes live in the daemon's backend, not in the server's data directory.
        let hex = String(address.dropFirst("blake3:".count))
        #expect(
            FileManager.default.fileExists(
                atPath: "\(directory)/daemon-blobs/blobs/blake3/\(hex.prefix(2))/\(hex.dropFirst(2).prefix(2))/\(hex)"
            )
        )
        #expect(!FileManager.default.fileExists(atPath: directory + "/server/blobs"))
        // The reconciler lists the daemon's backend through the protocol: the young stray is
        // counted (within the grace period: reported, kept).
        #expect(
            try await Self.eventually {
                let metrics = try await server.get("/metrics", token: token).body
                return metrics.contains("artifactstore_reconcile_runs_total 1")
                    && metrics.contains(#"artifactstore_stray_objects{age="within_grace"} 1.0"#)
            },
            "no reconciliation through the daemon in /metrics"
        )
        #expect(await server.terminate() == 0)
        // fsck through the daemon: the stray is listed, young, so not a fault (exit 0).
        let fsck = Process()
        fsck.executableURL = Self.executable
        fsck.arguments = ["admin", "fsck", "--json", "--data-dir", directory + "/server", "--data-plane", "unix://\(socket)"]
        fsck.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ARTIFACTSTORE_") }
        let output = Pipe()
        fsck.standardOutput = output
        fsck.standardError = FileHandle.nullDevice
        try fsck.run()
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        fsck.waitUntilExit()
        #expect(fsck.terminationStatus == 0, "\(report)")
        #expect(report.contains(strayHex) && report.contains(#""clean":true"#), "\(report)")
        kill(daemon.processIdentifier, SIGTERM)
        daemon.waitUntilExit()
        #expect(daemon.terminationStatus == 0)
    }
}

extension ServeBinaryTests {
    @Test("an upload still running when the shutdown grace period ends is cancelled and stores nothing")
    func gracePeriodCancelsUpload() async throws {
        let directory = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let token = "ast_00112233aabbccdd_" + String(repeating: "7e", count: 32)
        let server = try Server(
            dataDirectory: directory,
            environment: ["ARTIFACTSTORE_ADMIN_TOKEN": token, "ARTIFACTSTORE_SHUTDOWN_GRACE_PERIOD": "1"]
        )
        try await server.waitUntilListening()
        #expect(try await server.post("/v1/namespaces", token: token, json: #"{"name":"team"}"#) == 201)
        let (continuation, response) = try await server.startUpload(token: token, dataDirectory: directory)
        // The rest of the body never comes: the grace period ends and the upload is cancelled.
        let status = await server.terminate()
        continuation.finish()
        _ = try? await response.value
        #expect(status == 0)
        let temporaries = (try? FileManager.default.contentsOfDirectory(atPath: directory + "/blobs/tmp/ingest")) ?? []
        #expect(temporaries.isEmpty, "\(temporaries)")
        let objects = FileManager.default.enumerator(atPath: directory + "/blobs/blobs")?.allObjects ?? []
        #expect(objects.isEmpty, "\(objects)")
    }
}
