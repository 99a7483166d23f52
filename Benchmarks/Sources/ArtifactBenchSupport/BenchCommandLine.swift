import Foundation

/// The few command-line and process facts every benchmark tool needs.
///
/// Exists so the benchmark executables (driven by scripts/bench*.sh, which parse their
/// `key=value` output) read options, fail and report memory the same way.
public struct BenchCommandLine: Sendable {
    /// The tool's name, used as the prefix of error messages.
    public let tool: String
    public let arguments: [String]

    public init(tool: String, arguments: [String] = Array(CommandLine.arguments.dropFirst())) {
        self.tool = tool
        self.arguments = arguments
    }

    /// The value after `name`, if both are present.
    public func option(_ name: String) -> String? {
        guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
        return arguments[index + 1]
    }

    /// A positive integer option, `defaultValue` when absent; fails on anything else.
    public func positiveInteger(_ name: String, default defaultValue: Int) -> Int {
        guard let text = option(name) else { return defaultValue }
        guard let value = Int(text), value > 0 else { fail("\(name) needs a positive number, not \(text)") }
        return value
    }

    public func flag(_ name: String) -> Bool { arguments.contains(name) }

    /// Prints `TOOL: error: MESSAGE` on standard error and exits with status 2.
    public func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("\(tool): error: \(message)\n".utf8))
        exit(2)
    }

    /// The process's peak resident set (VmHWM) in KiB, or -1 where /proc is missing.
    public static func peakRSSKiB() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1]) ?? -1
        }
        return -1
    }
}
