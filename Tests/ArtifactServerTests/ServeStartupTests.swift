import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Testing

/// Issue 22 items 4 and 5 through the real `artifactstore serve`: a port in use and a bad
/// configuration stop the start before anything is created, migrated or minted, with the exact
/// message; `--check-config` validates without starting; a 5xx body names no socket and carries
/// the request id the log has the cause under.
@Suite("serve start-up checks (binary)", .serialized, .timeLimit(.minutes(10)))
struct ServeStartupTests {
    /// Runs `artifactstore` with `arguments` to its end: exit status, standard output and error.
    /// No `ARTIFACTSTORE_*` variable of the test's own reaches it; `environment` is added.
    static func run(
        _ arguments: [String],
        environment: [String: String] = [:]
    ) async throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = ServeBinaryTests.executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ARTIFACTSTORE_") }
            .merging(environment) { $1 }
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        let errorData = error.fileHandleForReading.readDataToEndOfFile()
        while process.isRunning { try await Task.sleep(for: .milliseconds(20)) }
        return (process.terminationStatus, String(decoding: outputData, as: UTF8.self), String(decoding: errorData, as: UTF8.self))
    }

    static func configFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.path + "/artifactstore-config-\(UUID().uuidString).json"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("a port in use: exit 2 naming host and port, and the data directory is never created (nothing migrated or minted)")
    func portInUse() async throws {
        let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(listener.localAddress?.port)
        let directory = ServeBinaryTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await Self.run(["serve", "--port", "\(port)", "--data-dir", directory])
        try await listener.close()
        #expect(result.status == 2)
        #expect(
            result.error
                == "artifactstore: error: addressInUse: port: another process listens on 127.0.0.1:\(port); stop it or pass --port\n"
        )
        #expect(!FileManager.default.fileExists(atPath: directory))
    }

    @Test("--check-config: 0 and a line for a valid configuration; 2 with the exact message for an unknown key or a missing backend")
    func checkConfig() async throws {
        let directory = ServeBinaryTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let valid = try Self.configFile(#"{"port": 0, "dataDir": "\#(directory)", "maxConnections": 10}"#)
        defer { try? FileManager.default.removeItem(atPath: valid) }
        let ok = try await Self.run(["serve", "--check-config", "--config", valid])
        #expect(ok.status == 0, "\(ok.error)")
        #expect(ok.output == "artifactstore: configuration is valid\n")
        #expect(!FileManager.default.fileExists(atPath: directory), "checking starts and creates nothing")

        let misspelt = try Self.configFile(#"{"prot": 9000}"#)
        defer { try? FileManager.default.removeItem(atPath: misspelt) }
        let unknown = try await Self.run(["serve", "--check-config", "--config", misspelt])
        #expect(unknown.status == 2)
        #expect(
            unknown.error == "artifactstore: error: invalidConfiguration: prot: unknown key in configuration file \"\(misspelt)\" "
                + "(did you mean \"port\"?); the keys are \(StrictConfigurationTests.keys)\n"
        )

        let missing = try await Self.run([
            "serve", "--check-config", "--data-dir", directory, "--backend", "main=file://\(directory)-nowhere",
        ])
        #expect(missing.status == 2)
        #expect(
            missing.error
                == "artifactstore: error: invalidConfiguration: backends: backend \"main\" (file://\(directory)-nowhere): storage root "
                + "\(directory)-nowhere does not exist: No such file or directory; create it, make it writable, or correct the URL\n"
        )

        // The same refusal stops `serve` itself before anything is created.
        let serve = try await Self.run(["serve", "--port", "0", "--data-dir", directory, "--backend", "main=file://\(directory)-nowhere"])
        #expect(serve.status == 2)
        #expect(serve.error == missing.error)
        #expect(!FileManager.default.fileExists(atPath: directory + "/metadata.sqlite"))
    }

    @Test("a 5xx body names no socket or path: it says what failed and carries the request id, under which the log has the cause")
    func serverFailureBody() async throws {
        let directory = ServeBinaryTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let socket = "/tmp/artifactstore-nowhere-\(UUID().uuidString.prefix(8)).sock"
        let server = try ServeBinaryTests.Server(dataDirectory: directory, arguments: ["--data-plane", "unix://\(socket)"])
        defer { server.stop(removing: directory) }
        try await server.waitUntilListening()
        let token = try #require(ServeBinaryTests.boxedToken(in: server.standardError))
        #expect(try await server.post("/v1/namespaces", token: token, json: #"{"name":"team"}"#) == 201)

        var request = HTTPClientRequest(url: "http://127.0.0.1:\(server.port)/v1/namespaces/team/blobs")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "X-Request-ID", value: "req-5xx-check")
        request.body = .bytes(ByteBuffer(string: "some bytes"))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = String(buffer: try await response.body.collect(upTo: 1 << 20))
        #expect(response.status.code == 503)
        #expect(!body.contains(socket) && !body.contains("/tmp"), "\(body)")
        let error = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: [String: String]])["error"]
        #expect(
            error == [
                "code": "dataPlaneUnavailable", "requestID": "req-5xx-check",
                "message":
                    "storage is unavailable (dataPlaneUnavailable); retry later; the server log has the cause under request id req-5xx-check",
            ]
        )
        let logged = server.standardError.split(separator: "\n").filter { $0.contains("req-5xx-check") && $0.contains(socket) }
        #expect(!logged.isEmpty, "the log has the cause with the request id:\n\(server.standardError)")
        #expect(await server.terminate() == 0)
    }
}
