import ArgumentParser
import ArtifactStoreClient

/// `artifactstore verify NS/NAME:VERSION`: the server re-reads every file and checks its digest.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Have the server re-read every file of NS/NAME:VERSION and check it against its digest (exit 6 on a mismatch)."
    )

    @OptionGroup var options: ClientOptions

    @Argument(help: "NS/NAME:VERSION.")
    var reference: String

    func run() async throws {
        let reference = try parseArgument(options) { try ArtifactReference(parsing: self.reference) }
        try await options.run { client in
            let report = try await client.verifyVersion(reference)
            let verified = report["verified"] == .bool(true)
            var lines: [String] = []
            if case .array(let files) = report["files"] ?? .null {
                for file in files {
                    let ok = file["verified"] == .bool(true)
                    var line = "\(ok ? "OK  " : "BAD ") \(file["path"]?.text ?? "?")  \(file["address"]?.text ?? "")"
                    if let mismatch = file["mismatch"], mismatch != .null { line += "  \(mismatch.text)" }
                    lines.append(line)
                }
            }
            lines.append(verified ? "verified \(reference): every file matches its digest" : "verify \(reference): FAILED")
            try CLIOutput(json: options.json).print(report, text: lines.joined(separator: "\n"))
            if !verified { throw ExitCode(ClientExitStatus.integrity.rawValue) }
        }
    }
}

/// `artifactstore gc [--dry-run]`: runs garbage collection on the server.
struct GarbageCollectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gc",
        abstract: "Run garbage collection on the server (admin), or with --dry-run report what it would do."
    )

    @OptionGroup var options: ClientOptions

    @Flag(name: .long, help: "Report only; delete nothing.")
    var dryRun = false

    func run() async throws {
        try await options.run { client in
            let report = try await client.collectGarbage(dryRun: dryRun)
            try CLIOutput(json: options.json).print(report, text: ReportText.lines(report))
        }
    }
}

/// A JSON object report as `key: value` lines, keys sorted.
enum ReportText {
    static func lines(_ report: JSONValue) -> String {
        guard case .object(let members) = report else { return report.text }
        return members.keys.sorted().map { "\($0): \(members[$0]!.text)" }.joined(separator: "\n")
    }
}
