import Foundation

/// Runs the built `artifactstore` binary, as a user would, and captures what it prints.
struct CLIProcess {
    struct Output {
        let status: Int32
        let standardOutput: String
        let standardError: String
        var lines: [String] { standardOutput.split(separator: "\n").map(String.init) }
    }

    /// The `artifactstore` executable next to the test bundle in the build folder.
    static let executable: URL = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // The test runner may live inside `<name>.xctest/…`; walk up to the products folder.
        while directory.path != "/" {
            let candidate = directory.appendingPathComponent("artifactstore")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        fatalError("artifactstore executable not found next to \(CommandLine.arguments[0])")
    }()

    /// Runs `artifactstore arguments…`; with `prefix`, runs `prefix… artifactstore arguments…`
    /// (using `executable` instead of the built binary when given). `environment` is added to
    /// (and overrides) this process's environment for the child.
    static func run(
        _ arguments: [String],
        prefix: [String] = [],
        executable: URL = executable,
        environment: [String: String] = [:]
    ) throws -> Output {
        let process = Process()
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        if prefix.isEmpty {
            process.executableURL = executable
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: prefix[0])
            process.arguments = Array(prefix.dropFirst()) + [executable.path] + arguments
        }
        // Capture into files, not pipes, so a chatty child can never block on a full pipe.
        let capture = FileManager.default.temporaryDirectory.appendingPathComponent("cli-\(UUID().uuidString)")
        let outURL = capture.appendingPathExtension("out")
        let errURL = capture.appendingPathExtension("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let outHandle = try FileHandle(forWritingTo: outURL)
        let errHandle = try FileHandle(forWritingTo: errURL)
        process.standardOutput = outHandle
        process.standardError = errHandle
        try process.run()
        process.waitUntilExit()
        try outHandle.close()
        try errHandle.close()
        let outData = try Data(contentsOf: outURL)
        let errData = try Data(contentsOf: errURL)
        return Output(
            status: process.terminationStatus,
            standardOutput: String(decoding: outData, as: UTF8.self),
            standardError: String(decoding: errData, as: UTF8.self)
        )
    }
}

/// A temporary directory removed when the test ends.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("artifactstore-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func file(_ name: String, contents: [UInt8]) throws -> String {
        let path = url.appendingPathComponent(name).path
        guard FileManager.default.createFile(atPath: path, contents: Data(contents)) else {
            throw CocoaError(.fileWriteUnknown)
        }
        return path
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}
