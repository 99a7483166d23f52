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

    /// Reports `error` and exits with the status its code declares (docs/errors.md): 2 for a
    /// configuration or a PostgreSQL store, 5 for a destination that is not empty, 6 for a damaged
    /// backup, 1 for anything else.
    static func fail(_ error: any Error) -> ExitCode {
        reportError(error)
        if error is ServerConfigurationError { return ExitCode(ExitStatus.usage.rawValue) }
        if let error = error as? ControlPlaneError, error.kind.httpStatus == nil, let status = error.kind.exitStatus {
            return ExitCode(status.rawValue)
        }
        return ExitCode(ExitStatus.failure.rawValue)
    }
}
