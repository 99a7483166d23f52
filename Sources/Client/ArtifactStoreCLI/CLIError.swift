import ArtifactStoreCore

/// An error the CLI reports itself (as opposed to one passed up from a library).
struct CLIError: ArtifactStoreError {
    let code: String
    let message: String
    let underlying: (any Error)?

    init(code: String, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
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
