import ArgumentParser
import ArtifactControlPlane
import ArtifactServer
import Foundation

/// `artifactstore admin backup --to DIR`: a consistent backup of a store while it serves.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Back up a store (it may be serving) into a new or empty directory.",
        discussion: """
            Writes DIR/metadata.sqlite (a consistent SQLite snapshot, VACUUM INTO), DIR/audit.key, \
            copies of the objects of every file:// backend under DIR/objects/ID/, and last \
            DIR/manifest.json listing every blob the snapshot references. S3 backends are not copied: \
            back their buckets up with versioning. A PostgreSQL database is backed up with pg_dump \
            (docs/operations.md). Exits 0 when written, 5 when DIR is not empty, 2 for a bad \
            configuration or a PostgreSQL database, 1 for any other failure (nothing is left in DIR).
            """
    )

    @OptionGroup var store: StoreLocationOptions

    @Option(name: .long, help: "The backup directory: new, or empty.")
    var to: String

    func run() async throws {
        let report: BackupReport
        do {
            report = try await StoreAdministration.backup(try await store.load(), to: to, logger: AdminCommand.logger())
        } catch {
            throw CLIOutput(json: false).failure(error)
        }
        var lines = [
            "backed up \(report.blobs) \(report.blobs == 1 ? "blob" : "blobs") (\(report.bytes) bytes) into \(report.directory)",
            "copied \(report.objectsCopied) \(report.objectsCopied == 1 ? "object" : "objects") (\(report.bytesCopied) bytes), "
                + "each proved against its address",
        ]
        if !report.backendsNotCopied.isEmpty {
            lines.append("not copied (back their buckets up with versioning): \(report.backendsNotCopied.joined(separator: ", "))")
        }
        FileOutput.standardOutput.write(lines.joined(separator: "\n") + "\n")
    }
}

/// `artifactstore admin restore --from DIR`: a backup into a new, empty store.
struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Restore a backup into a new, empty store, proving every object.",
        discussion: """
            The data directory must be empty or absent (and with --backend, every backend empty). Every \
            object is ingested with its address expected: one that does not match is refused \
            (backupObjectCorrupt) and everything the restore wrote is removed again. The database is put \
            in place last. Then start serve on it, or run admin fsck. Exits 0 when restored, 5 when the \
            destination is not empty, 6 when the backup is damaged, 2 for a bad configuration, 1 otherwise.
            """
    )

    @OptionGroup var store: StoreLocationOptions

    @Option(name: .long, help: "The backup directory (written by admin backup).")
    var from: String

    func run() async throws {
        let report: RestoreReport
        do {
            report = try await StoreAdministration.restore(try await store.load(), from: from, logger: AdminCommand.logger())
        } catch {
            throw CLIOutput(json: false).failure(error)
        }
        var lines = [
            "restored \(report.blobs) \(report.blobs == 1 ? "blob" : "blobs"); \(report.objectsRestored) "
                + "\(report.objectsRestored == 1 ? "object" : "objects") (\(report.bytesRestored) bytes) "
                + "copied and proved against their addresses"
        ]
        if !report.backendsNotCopied.isEmpty {
            lines.append(
                "not in the backup (restore their buckets, then run admin fsck): \(report.backendsNotCopied.joined(separator: ", "))"
            )
        }
        FileOutput.standardOutput.write(lines.joined(separator: "\n") + "\n")
    }
}
