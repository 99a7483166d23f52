import ArgumentParser
import ArtifactStorage
import ArtifactStorageFactory
import Logging

/// `artifactstore storage`: operator tools for storage backends.
struct StorageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "storage",
        abstract: "Check and inspect storage backends.",
        subcommands: [StorageCheckCommand.self]
    )
}

/// `artifactstore storage check URL`: verifies that a storage URL is reachable and usable.
///
/// Runs verifyConnection, verifyAccess (create, write, read back, delete a probe object, with
/// the given owner and mode) and connect, and prints each step's outcome. Exit status: 0 when
/// every step passed, 1 when any failed, 2 when the URL or an option is invalid.
struct StorageCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check that a storage URL is reachable, writable and applies owner and mode.",
        discussion: """
            URL is file:///absolute/path, memory://name or s3://bucket/prefix?region=…&endpoint=…&pathStyle=true; \
            S3 credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, never from the URL. \
            Prints PASS or FAIL with a reason for each step, or with --json one JSON object with the keys \
            url, user, mode, steps (name, passed, code, message) and passed. Exits 0 only if every step passed, \
            1 if a step failed, 2 if the URL or an option is invalid.
            """
    )

    @Argument(help: "The storage URL to check.")
    var url: String

    @Option(name: .long, help: "A user the probe object must be owned by (needs privileges).")
    var user: String?

    @Option(name: .long, help: "An octal mode the probe object must get, e.g. 0640 (at most 7777).")
    var mode: String?

    @Flag(name: .long, help: "Print the report as one JSON object.")
    var json = false

    func run() async throws {
        let report: StorageCheck.Report
        do {
            let parsedMode = try mode.map { (text: String) throws(StorageError) -> UInt32 in try StorageCheck.parseMode(text) }
            // The CLI is the application, so it owns its logger; library log lines go to standard error.
            // S3 goes through HTTPClient.shared (the factory's default), which suits a one-shot command.
            let logger = Logger(label: "artifactstore.storage", factory: { StreamLogHandler.standardError(label: $0) })
            report = try await StorageCheck.run(url: url, user: user, mode: parsedMode, factory: StorageFactory(logger: logger))
        } catch {
            reportError(error)
            throw ExitCode(2)
        }
        FileOutput.standardOutput.write((json ? try report.json() : report.text) + "\n")
        if !report.passed { throw ExitCode(1) }
    }
}
