import Foundation

/// A certificate authority made with `openssl` in a temporary directory, and server
/// certificates it signs, for the TLS tests.
///
/// Exists so TLS is tested against certificates a real tool made, as an operator would make
/// them, rather than bytes pasted into the tests. Keys are EC P-256; every file is removed by
/// ``remove()``.
public struct TestCertificateAuthority: Sendable {
    /// The directory holding every file.
    public let directory: String
    /// The CA's certificate (PEM): what a client trusts.
    public let certificatePath: String
    let keyPath: String

    /// A server certificate and its key.
    public struct Issued: Sendable {
        public let certificatePath: String
        public let keyPath: String
    }

    /// Whether `openssl` can be run; the TLS tests say plainly that they skipped when not.
    public static let isAvailable: Bool = {
        let found = (try? run(["version"], in: NSTemporaryDirectory())) != nil
        if !found { print("TLS tests SKIPPED: openssl is not on PATH (apt-get install openssl)") }
        return found
    }()

    /// Makes a CA named `name` in a new temporary directory.
    public init(name: String = "ArtifactStore Test CA") throws {
        directory = NSTemporaryDirectory() + "artifactstore-tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        certificatePath = directory + "/ca.pem"
        keyPath = directory + "/ca.key"
        try Self.run(
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", keyPath,
                "-out", certificatePath, "-days", "2", "-subj", "/CN=\(name)",
            ],
            in: directory
        )
    }

    /// A server certificate for `hosts` (DNS names, or IP addresses), signed by this CA, written
    /// as `<file>.pem` and `<file>.key`.
    public func issue(_ file: String, hosts: [String] = ["localhost", "127.0.0.1"]) throws -> Issued {
        let key = "\(directory)/\(file).key"
        let request = "\(directory)/\(file).csr"
        let certificate = "\(directory)/\(file).pem"
        let extensions = "\(directory)/\(file).ext"
        let names = hosts.map { $0.first?.isNumber == true ? "IP:\($0)" : "DNS:\($0)" }.joined(separator: ",")
        try Data("subjectAltName=\(names)\n".utf8).write(to: URL(fileURLWithPath: extensions))
        try Self.run(
            [
                "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", request,
                "-subj", "/CN=\(hosts.first ?? "localhost")",
            ],
            in: directory
        )
        try Self.run(
            [
                "x509", "-req", "-in", request, "-CA", certificatePath, "-CAkey", keyPath, "-CAcreateserial", "-out", certificate,
                "-days", "1", "-extfile", extensions,
            ],
            in: directory
        )
        return Issued(certificatePath: certificate, keyPath: key)
    }

    /// Removes the directory and everything in it.
    public func remove() {
        try? FileManager.default.removeItem(atPath: directory)
    }

    struct OpenSSLFailed: Error, CustomStringConvertible {
        let arguments: [String]
        let status: Int32
        var description: String { "openssl \(arguments.first ?? "") exited \(status)" }
    }

    @discardableResult
    static func run(_ arguments: [String], in directory: String) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw OpenSSLFailed(arguments: arguments, status: process.terminationStatus) }
        return process.terminationStatus
    }
}
