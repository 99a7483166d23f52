import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import Testing

/// A real docker-registry (CNCF Distribution, Debian's `docker-registry`) on a random 127.0.0.1
/// port with its storage in a temporary directory and its access log in a file: the upstream of
/// the proxy-namespace tests.
///
/// Exists so pull-through is tested against a real registry, not a mock. ``start()`` answers
/// `nil`, after saying plainly that the tests are skipped, when the binary is not installed
/// (`.ci/run` installs it).
final class DockerRegistryProcess: @unchecked Sendable {
    let directory: String
    let port: Int
    private var process: Process?

    var url: String { "http://127.0.0.1:\(port)" }
    var logFile: String { directory + "/registry.log" }
    var storage: String { directory + "/storage" }

    static let binary = "/usr/bin/docker-registry"

    private init(directory: String, port: Int) {
        self.directory = directory
        self.port = port
    }

    /// A started registry, or `nil` (skipped, said on stdout) without the binary.
    static func start(test: String = #function) async throws -> DockerRegistryProcess? {
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            print("\(test) SKIPPED: \(binary) is not installed (apt-get install docker-registry; .ci/run does)")
            return nil
        }
        let directory = FileManager.default.temporaryDirectory.path + "/docker-registry-\(UUID().uuidString.lowercased())"
        try FileManager.default.createDirectory(atPath: directory + "/storage", withIntermediateDirectories: true)
        let registry = DockerRegistryProcess(directory: directory, port: try freePort())
        try await registry.launch()
        return registry
    }

    /// Starts (or restarts) the registry process on the same port and storage.
    func launch() async throws {
        let configuration = """
            version: 0.1
            log: {level: info, accesslog: {disabled: false}}
            storage:
              filesystem: {rootdirectory: \(storage)}
              delete: {enabled: true}
              cache: {blobdescriptor: ""}
            http: {addr: 127.0.0.1:\(port)}
            """
        try configuration.write(toFile: directory + "/registry.yml", atomically: true, encoding: .utf8)
        if !FileManager.default.fileExists(atPath: logFile) { FileManager.default.createFile(atPath: logFile, contents: nil) }
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logFile))
        try log.seekToEnd()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["serve", directory + "/registry.yml"]
        // The registry reads REGISTRY_* variables as configuration: none may leak in.
        process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("REGISTRY_") }
        process.standardOutput = log
        process.standardError = log
        try process.run()
        self.process = process
        for _ in 0..<100 {
            if (try? await Self.status("\(url)/v2/")) != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("docker-registry did not answer on \(url)")
    }

    /// Stops the registry (the storage stays, for a restart).
    func stop() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)  // an upstream that goes away at once, not a graceful drain
        process.waitUntilExit()
        self.process = nil
    }

    /// Stops it and removes its directory.
    func remove() {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// How many times the access log shows `GET path` answered 200.
    func servedGETs(_ path: String) throws -> Int {
        let text = try String(contentsOfFile: logFile, encoding: .utf8)
        return text.components(separatedBy: "\"GET \(path) HTTP/1.1\" 200 ").count - 1
    }

    /// The file docker-registry keeps a blob's bytes in.
    func blobFile(_ digest: String) -> String {
        let hex = String(digest.dropFirst("sha256:".count))
        return "\(storage)/docker/registry/v2/blobs/sha256/\(hex.prefix(2))/\(hex)/data"
    }

    // MARK: Pushing

    /// Pushes `bytes` as a blob of `repository` (POST, then PUT with the body and `?digest=`).
    func pushBlob(_ repository: String, _ bytes: [UInt8]) async throws {
        var start = HTTPClientRequest(url: "\(url)/v2/\(repository)/blobs/uploads/")
        start.method = .POST
        let started = try await HTTPClient.shared.execute(start, timeout: .seconds(30))
        guard started.status == .accepted, let location = started.headers.first(name: "Location") else {
            throw TestFailure("docker-registry answered \(started.status) to an upload start")
        }
        _ = try await started.body.collect(upTo: 1 << 20)
        let absolute = location.hasPrefix("http") ? location : url + location
        let target = absolute + (absolute.contains("?") ? "&" : "?") + "digest=\(OCITest.digest(bytes))"
        try await put(target, contentType: "application/octet-stream", bytes, timeout: .seconds(120))
    }

    /// Pushes a manifest under `reference`.
    func pushManifest(_ repository: String, _ reference: String, _ bytes: [UInt8]) async throws {
        try await put("\(url)/v2/\(repository)/manifests/\(reference)", contentType: "application/vnd.oci.image.manifest.v1+json", bytes)
    }

    /// `PUT url` with `bytes`, which must be answered 201.
    private func put(_ target: String, contentType: String, _ bytes: [UInt8], timeout: TimeAmount = .seconds(30)) async throws {
        var put = HTTPClientRequest(url: target)
        put.method = .PUT
        put.headers.add(name: "Content-Type", value: contentType)
        put.body = .bytes(ByteBuffer(bytes: bytes))
        let answer = try await HTTPClient.shared.execute(put, timeout: timeout)
        _ = try await answer.body.collect(upTo: 1 << 20)
        guard answer.status == .created else { throw TestFailure("docker-registry answered \(answer.status) to PUT \(target)") }
    }

    /// Pushes an image (config, layers, manifest under `tag`); returns the manifest.
    @discardableResult
    func pushImage(_ repository: String, tag: String, config: [UInt8], layers: [[UInt8]]) async throws -> [UInt8] {
        try await pushBlob(repository, config)
        for layer in layers { try await pushBlob(repository, layer) }
        let manifest = OCITest.manifest(config: config, layers: layers)
        try await pushManifest(repository, tag, manifest)
        return manifest
    }

    static func status(_ url: String) async throws -> Int {
        let answer = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(2))
        _ = try await answer.body.collect(upTo: 1 << 20)
        return Int(answer.status.code)
    }

    static func freePort() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
            }
        }
        guard bound else { throw TestFailure("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
