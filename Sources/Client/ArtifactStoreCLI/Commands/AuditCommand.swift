import ArgumentParser
import ArtifactControlPlane
import ArtifactStoreAPI
import ArtifactStoreClient
import Foundation
import NIOCore

/// `artifactstore audit export|verify`.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Export the audit log or verify its hash chain (admin).",
        subcommands: [AuditExportCommand.self, AuditVerifyCommand.self]
    )
}

/// `artifactstore audit export [--since --until --actor --namespace --action]`: JSON Lines on stdout.
struct AuditExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Print audit records as JSON Lines (one record per line), oldest first."
    )

    @OptionGroup var options: ClientOptions

    @Option(name: .long, help: "Only records at or after this RFC 3339 time.")
    var since: String?
    @Option(name: .long, help: "Only records before this RFC 3339 time.")
    var until: String?
    @Option(name: .long, help: "Only records of this actor (e.g. token:<id>).")
    var actor: String?
    @Option(name: .long, help: "Only records about this namespace.")
    var namespace: String?
    @Option(name: .long, help: "Only records of this action (e.g. version.commit).")
    var action: String?

    static func parseDate(_ text: String, option: String) throws(ClientError) -> Date {
        if let date = APIJSON.parseDate(text) { return date }
        throw ClientError(.invalidArgument, "--\(option) \"\(text)\" is not an RFC 3339 time such as 2026-11-21T13:00:00Z")
    }

    func run() async throws {
        let filter = try parseArgument(options) { () throws(ClientError) -> AuditFilter in
            AuditFilter(
                since: try since.map { (text: String) throws(ClientError) -> Date in try Self.parseDate(text, option: "since") },
                until: try until.map { (text: String) throws(ClientError) -> Date in try Self.parseDate(text, option: "until") },
                actor: actor,
                namespace: namespace,
                action: action
            )
        }
        try await options.run { client in
            // Whole lines only, so a record is never split between two writes.
            var pending = ByteBuffer()
            var failure: (code: String, message: String)?
            func emit(_ lines: String) {
                for line in lines.split(separator: "\n", omittingEmptySubsequences: true) {
                    if let stop = Self.errorLine(line) {
                        failure = stop
                    } else {
                        FileOutput.standardOutput.write(line + "\n")
                    }
                }
            }
            try await client.exportAudit(filter) { chunk in
                pending.writeImmutableBuffer(chunk)
                if let lastNewline = pending.readableBytesView.lastIndex(of: UInt8(ascii: "\n")) {
                    let length = lastNewline - pending.readerIndex + 1
                    emit(pending.readString(length: length) ?? "")
                    pending.discardReadBytes()
                }
            }
            if pending.readableBytes > 0 {
                emit(pending.readString(length: pending.readableBytes) ?? "")
            }
            if let failure {
                FileOutput.standardError.write("artifactstore: the audit export stopped early (\(failure.code)): \(failure.message)\n")
                let status: ClientExitStatus = APIErrorCode(rawValue: failure.code) == .auditRecordMalformed ? .integrity : .server
                throw ExitCode(status.rawValue)
            }
        }
    }
}

extension AuditExportCommand {
    /// The code and message of the line that ends an export early (`{"error":{…}}`); `nil` for
    /// a record (records have no `error` key).
    static func errorLine(_ line: Substring) -> (code: String, message: String)? {
        guard line.hasPrefix("{\"error\":"), let value = try? JSONDecoder().decode(JSONValue.self, from: Data(line.utf8)),
            let error = value["error"]
        else { return nil }
        guard case .string(let code)? = error["code"], case .string(let message)? = error["message"] else { return nil }
        return (code, message)
    }
}

/// `artifactstore audit verify`: checks the audit log's hash chain.
struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the audit log's hash chain (exit 6 when a record was edited, removed or reordered)."
    )

    @OptionGroup var options: ClientOptions

    func run() async throws {
        try await options.run { client in
            let report = try await client.verifyAuditChain()
            try CLIOutput(json: options.json).print(report, text: ReportText.lines(report))
            if Self.isBroken(report) { throw ExitCode(ClientExitStatus.integrity.rawValue) }
        }
    }

    /// A report says the chain is broken with `"intact": false` or a non-null `firstFault`.
    static func isBroken(_ report: JSONValue) -> Bool {
        if report["intact"] == .bool(false) { return true }
        if let fault = report["firstFault"], fault != .null { return true }
        return false
    }
}
