public import ArtifactStoreCore

/// The exit status of an `artifactstore` client command (docs/cli.md, "Exit codes").
public typealias ClientExitStatus = ExitStatus

extension ExitStatus {
    /// The status a command ends with because of `error`, by its code alone, whichever command
    /// met it (the client commands, `serve`, the `admin` commands):
    /// - a ``ClientError``'s own (``ClientError/exitStatus``);
    /// - for a code of another layer, the status it declares for the command line itself (one
    ///   with no HTTP status: a configuration refused is ``usage``, a backup destination that is
    ///   not empty ``conflict``);
    /// - ``integrity`` for a code that says bytes did not match;
    /// - ``failure`` otherwise: a status that comes from a code's HTTP status describes a server's
    ///   answer, which an error met locally is not.
    public init(for error: any Error) {
        switch error {
        case let error as ClientError:
            self = error.exitStatus
        case let error as any ArtifactStoreError:
            let kind = error.kind
            switch kind.exitStatus {
            case .integrity?: self = .integrity
            case let status? where kind.httpStatus == nil: self = status
            default: self = .failure
            }
        default:
            self = .failure
        }
    }
}
