import ArtifactStoreCore

/// An error the CLI reports itself (as opposed to one passed up from a library).
typealias CLIError = LayeredError<CLIErrorCode>

/// The codes of the CLI's own errors: its operator commands' options, the local files `digest`
/// reads, and what `--json` prints for errors that have no code. Never renamed once published.
enum CLIErrorCode: String, ErrorCode {
    case localFileNotFound
    case accessDenied
    case notAFile
    case io
    case invalidBackendArgument
    case invalidArgument
    case usage
    case failure

    static let layer = "CLI"

    var meaning: String {
        switch self {
        case .localFileNotFound: "`digest`: no file at the path given."
        case .accessDenied: "`digest`: the file may not be read (permissions)."
        case .notAFile: "`digest`: the path is a directory, a socket, … not a regular file."
        case .io: "`digest`: reading the file failed otherwise."
        case .invalidBackendArgument: "`dataplane`: no `--backend`, or one that is not `ID=URL`."
        case .invalidArgument: "`dataplane`: a negative `--grace-period` or a `--stall-timeout` that is not positive."
        case .usage: "`--json`: the command line does not parse (a missing argument, an unknown option)."
        case .failure: "`--json`: an error from outside ArtifactStore, which has no code of its own."
        }
    }

    /// `digest` exits 1 when a file could not be read; `dataplane` exits 2 on a bad option.
    var exitStatus: ExitStatus? {
        switch self {
        case .localFileNotFound, .accessDenied, .notAFile, .io: .failure
        case .invalidBackendArgument, .invalidArgument, .usage: .usage
        case .failure: .failure
        }
    }
}

extension CLIError {
    init(code: CLIErrorCode, _ message: String, underlying: (any Error)? = nil) {
        self.init(code, message, underlying: underlying)
    }
}

/// Writes `error: <code>: <message>` to standard error.
func reportError(_ error: any Error) {
    let line: String
    if let error = error as? any ArtifactStoreError {
        line = "artifactstore: error: \(error.code): \(error.message)\n"
    } else {
        line = "artifactstore: error: \(error)\n"
    }
    FileOutput.standardError.write(line)
}
