import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The real `artifactstore serve`, started on a free loopback port with a fresh data directory
/// and a known admin token (`ARTIFACTSTORE_ADMIN_TOKEN`), stopped with SIGTERM when released.
final class ServerProcess: @unchecked Sendable {
    let url: String
    let adminToken: String
    let dataDirectory: TemporaryDirectory
    private let process: Process
    private let logURL: URL
    private let caFile: String?

    /// - Parameters:
    ///   - dataPath: the data directory to serve (a restored store); a fresh one by default.
    ///   - arguments: added to `serve`'s (a backend, say).
    ///   - environment: added to the server's environment.
    ///   - tls: serve HTTPS with this certificate and key; ``url`` is then `https://localhost:PORT`
    ///     and the health check trusts `tls.ca`.
    init(
        dataPath: String? = nil,
        arguments: [String] = [],
        environment extra: [String: String] = [:],
        tls: (certificate: String, key: String, ca: String)? = nil
    ) throws {
        dataDirectory = try TemporaryDirectory()
        // The token format the server accepts for ARTIFACTSTORE_ADMIN_TOKEN: ast_<16 hex>_<64 hex>.
        let hex = { (count: Int) in String((0..<count).map { _ in "0123456789abcdef".randomElement()! }) }
        adminToken = "ast_\(hex(16))_\(hex(64))"
        let port = try Self.freePort()
        url = tls == nil ? "http://127.0.0.1:\(port)" : "https://localhost:\(port)"
        caFile = tls?.ca
        logURL = dataDirectory.url.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        process = Process()
        process.executableURL = CLIProcess.executable
        process.arguments =
            [
                "serve", "--host", "127.0.0.1", "--port", String(port),
                "--data-dir", dataPath ?? dataDirectory.url.appendingPathComponent("data").path,
            ] + arguments + (tls.map { ["--tls-cert", $0.certificate, "--tls-key", $0.key] } ?? [])
        var environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        environment["ARTIFACTSTORE_ADMIN_TOKEN"] = adminToken
        process.environment = environment
        process.currentDirectoryURL = dataDirectory.url
        process.standardOutput = log
        process.standardError = log
        try process.run()
        try waitUntilHealthy()
    }

    /// The server's peak resident set size so far (`VmHWM` in /proc), in MiB; `nil` once it exited.
    /// The server is a process of its own, so this is its memory alone, whatever else the tests do.
    var peakResidentMiB: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kib = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { return nil }
        return kib / 1024
    }

    /// What the server printed so far (for failure messages).
    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    private func waitUntilHealthy() throws {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            guard process.isRunning else {
                throw ServerStartError(message: "artifactstore serve exited with \(process.terminationStatus):\n\(log)")
            }
            if Self.get(url + "/healthz", caFile: caFile) == 200 { return }
            usleep(100_000)
        }
        process.terminate()
        throw ServerStartError(message: "artifactstore serve did not answer /healthz within 120 s:\n\(log)")
    }

    /// The status of a GET with curl (0 when nothing answered).
    static func get(_ url: String, caFile: String? = nil) -> Int {
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments =
            ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2"] + (caFile.map { ["--cacert", $0] } ?? []) + [url]
        let pipe = Pipe()
        curl.standardOutput = pipe
        curl.standardError = FileHandle.nullDevice
        guard (try? curl.run()) != nil else { return 0 }
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        curl.waitUntilExit()
        return Int(text) ?? 0
    }

    /// A loopback port nothing listens on right now.
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw ServerStartError(message: "socket() failed") }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else { throw ServerStartError(message: "bind() failed") }
        let named = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { throw ServerStartError(message: "getsockname() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    deinit {
        if process.isRunning {
            process.terminate()
            let deadline = Date().addingTimeInterval(20)
            while process.isRunning, Date() < deadline { usleep(50_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
    }
}

struct ServerStartError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// A CLI user with their own home directory (so their own login file) against one server.
struct CLIUser {
    let server: ServerProcess
    let home: TemporaryDirectory

    init(_ server: ServerProcess) throws {
        self.server = server
        home = try TemporaryDirectory()
    }

    /// The environment of every run: this user's home, no server or token from the test's own
    /// environment.
    var environment: [String: String] {
        ["HOME": home.url.path, "XDG_CONFIG_HOME": "", "ARTIFACTSTORE_SERVER": "", "ARTIFACTSTORE_TOKEN": ""]
    }

    func run(_ arguments: [String], extra: [String: String] = [:]) throws -> CLIProcess.Output {
        try CLIProcess.run(arguments, environment: environment.merging(extra) { $1 })
    }

    /// Runs with `--server` and `--token` (the admin token unless another is given).
    func admin(_ arguments: [String], token: String? = nil) throws -> CLIProcess.Output {
        try run(arguments + ["--server", server.url, "--token", token ?? server.adminToken])
    }

    /// Runs with `--json` and parses standard output as one JSON value.
    func json(_ arguments: [String], token: String? = nil) throws -> (CLIProcess.Output, Any) {
        let output = try admin(arguments + ["--json"], token: token)
        let value = try JSONSerialization.jsonObject(with: Data(output.standardOutput.utf8), options: [.fragmentsAllowed])
        return (output, value)
    }
}
