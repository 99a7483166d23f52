import ArgumentParser
import ArtifactControlPlane
import ArtifactServer
import ArtifactStoreClient
import Configuration
import Foundation
import Logging

/// `artifactstore admin`: the store's own checks and copies, run on the machine that holds it
/// (no server needed, none stopped).
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin",
        abstract: "Check, back up and restore a store directly, or mint a new admin token (fsck, backup, restore, reset-token).",
        subcommands: [FsckCommand.self, BackupCommand.self, RestoreCommand.self, ResetTokenCommand.self]
    )
}

extension AdminCommand {
    /// Library log lines (warnings and worse) go to standard error; the report goes to standard output.
    static func logger() -> Logger {
        var logger = Logger(label: "artifactstore.admin", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .warning
        return logger
    }
}
