public import ArtifactStoreCore

/// The exit status of an `artifactstore` client command (docs/cli.md, "Exit codes").
public typealias ClientExitStatus = ExitStatus

extension ExitStatus {
    /// The status for `error`: a ``ClientError``'s own (``ClientError/exitStatus``); for an error
    /// of another layer met locally, ``integrity`` when its code says bytes did not match and
    /// ``failure`` otherwise (its other statuses are for answers of the server).
    public init(for error: any Error) {
        switch error {
        case let error as ClientError:
            self = error.exitStatus
        case let error as any ArtifactStoreError:
            self = error.kind.exitStatus == .integrity ? .integrity : .failure
        default:
            self = .failure
        }
    }
}
