import ArgumentParser
import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactServer
import ArtifactStoreClient
import Configuration
import Foundation

/// `artifactstore admin fsck`: proves every referenced blob and lists what is wrong.
struct FsckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fsck",
        abstract: "Prove every referenced blob of a store and list stray and missing objects.",
        discussion: """
            Reads every live blob whole and proves it against its address (BLAKE3), looks for rows \
            whose object is missing, and lists files in the backends that no row accounts for (strays) \
            with their age. Changes nothing, and may run while the server serves. A stray younger than \
            the GC grace period may be an upload in flight: it is listed but is not a fault. \
            Exits 0 when the store is clean, 6 when a blob is missing or corrupt or a stray is past the \
            grace period, 2 for a bad configuration, 1 for any other failure.
            """
    )

    @OptionGroup var store: StoreLocationOptions

    @Option(name: .customLong("data-plane"), help: "inprocess (default) or unix:///path of the data-plane daemon serve uses.")
    var dataPlane: String?

    @Flag(name: .long, help: "Print the report as one JSON object.")
    var json = false

    func run() async throws {
        let report: ReconcileReport
        do {
            var flags: [ServerConfiguration.Key: ConfigValue] = [:]
            flags.set(.dataPlane, dataPlane.map(ConfigContent.string))
            report = try await StoreAdministration.fsck(try await store.load(adding: flags), logger: AdminCommand.logger())
        } catch {
            throw CLIOutput(json: json).failure(error)
        }
        FileOutput.standardOutput.write(json ? try Self.json(report) : Self.text(report, now: Date()))
        if !report.isClean { throw ExitCode(ClientExitStatus.integrity.rawValue) }
    }

    /// The report as one JSON object: `clean`, then every field of ``ReconcileReport``.
    static func json(_ report: ReconcileReport) throws -> String {
        struct Output: Encodable {
            var clean: Bool
            var report: ReconcileReport
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(Output(clean: report.isClean, report: report)), as: UTF8.self) + "\n"
    }

    /// The report for a person: counts, then each finding on a line of its own.
    static func text(_ report: ReconcileReport, now: Date) -> String {
        var lines = [
            "blobs:   \(report.blobsChecked) live, \(report.blobsVerified) proved against their address",
            "missing: \(report.missingCount)",
        ]
        for blob in report.damaged where blob.problem == .missing {
            lines.append("  \(blob.address) in backend \"\(blob.backendID)\" (\(blob.size) bytes): \(blob.detail)")
        }
        lines.append("corrupt: \(report.corruptCount)")
        for blob in report.damaged where blob.problem == .corrupt {
            lines.append("  \(blob.address) in backend \"\(blob.backendID)\" (\(blob.size) bytes): \(blob.detail)")
        }
        lines.append(
            "strays:  \(report.strayCount) (\(report.straysPastGrace) past the GC grace period) among "
                + "\(report.objectsListed) objects and \(report.outboardsListed) outboards"
        )
        for stray in report.strays {
            let age = stray.object.modified.map { Self.age(now.timeIntervalSince($0)) } ?? "age unknown"
            let note = stray.pastGrace ? "" : "; may be an upload in flight"
            lines.append(
                "  \(stray.object.path) in backend \"\(stray.object.backendID)\", \(stray.object.size) bytes, \(age): "
                    + Self.reason(stray.reason) + note
            )
        }
        if report.truncated {
            lines.append("(lists cut at \(ReconcileOptions(removesStrays: false).listLimit) entries each; --json has the same lists)")
        }
        lines.append(report.isClean ? "fsck: clean" : "fsck: PROBLEMS FOUND")
        return lines.joined(separator: "\n") + "\n"
    }

    static func reason(_ reason: StrayObject.Reason) -> String {
        switch reason {
        case .noRow: "no blob row knows it"
        case .collected: "its blob was garbage-collected"
        case .otherBackend: "its blob row places it in another backend"
        case .objectMissing: "an outboard whose object is missing"
        case .unrecognisedName: "not named by a content address"
        }
    }

    static func age(_ seconds: TimeInterval) -> String {
        switch max(0, seconds) {
        case ..<120: "\(Int(seconds)) s old"
        case ..<7200: "\(Int(seconds / 60)) min old"
        case ..<172_800: "\(Int(seconds / 3600)) h old"
        default: "\(Int(seconds / 86_400)) days old"
        }
    }
}
