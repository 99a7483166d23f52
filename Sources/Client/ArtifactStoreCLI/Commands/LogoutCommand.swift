import ArgumentParser
import ArtifactStoreClient
import Foundation

/// `artifactstore logout`: removes the saved login (server and token) from the login file.
struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "Remove the server and token `artifactstore login` saved.",
        discussion: """
            With --server, removes the login only if it is for that server. The token stays valid on \
            the server: revoke it with `artifactstore token revoke ID` to end it everywhere. Exit 0 \
            also when there was nothing to remove.
            """
    )

    @Option(name: .long, help: "Only log out of this server (default: whichever the login file names).")
    var server: String?

    @Flag(name: .long, help: "Print machine-readable JSON on standard output (errors too).")
    var json = false

    struct Result: Encodable {
        var loggedOut: Bool
        var server: String?
        var loginFile: String
    }

    func run() async throws {
        let output = CLIOutput(json: json)
        do {
            guard let file = LoginFile(environment: ProcessInfo.processInfo.environment) else {
                throw ClientError(.configuration, "neither XDG_CONFIG_HOME nor HOME is set: there is no login file")
            }
            switch try file.remove(server: server) {
            case .removed(let saved):
                try output.print(
                    Result(loggedOut: true, server: saved, loginFile: file.path),
                    text: "Logged out of \(saved): removed its token from \(file.path) (the token stays valid on the server)"
                )
            case .notLoggedIn:
                try output.print(
                    Result(loggedOut: false, server: nil, loginFile: file.path),
                    text: "Not logged in (no login file at \(file.path)); nothing removed"
                )
            case .otherServer(let saved):
                try output.print(
                    Result(loggedOut: false, server: saved, loginFile: file.path),
                    text: "Not logged in to \(server ?? ""): \(file.path) holds the login for \(saved), which was kept"
                )
            }
        } catch let error as ClientError {
            throw output.failure(error)
        }
    }
}
