import ArgumentParser
import ArtifactControlPlane
import ArtifactStoreAPI
import ArtifactStoreClient
import Foundation

/// `artifactstore login`: checks a token against a server and stores both in the login file.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Check a token with the server and save the server and token for later commands.",
        discussion: """
            The token is checked with GET /v1/whoami before anything is written. The login file is \
            $XDG_CONFIG_HOME/artifactstore/config.json, or ~/.config/artifactstore/config.json, mode 0600 \
            in a directory of mode 0700. The server and token come from --server/--token, then \
            ARTIFACTSTORE_SERVER/ARTIFACTSTORE_TOKEN; with --token-stdin the token is read from standard input.
            """
    )

    @OptionGroup var options: ClientOptions

    @Flag(name: .long, help: "Read the token from standard input (keeps it out of the process list).")
    var tokenStdin = false

    @Flag(name: .long, help: "Sign in at the server's OpenID provider with a code shown here (device grant) instead of a token.")
    var oidc = false

    struct Result: Encodable {
        var server: String
        var tokenID: String
        var name: String
        var grants: [String]
        var loginFile: String
    }

    func run() async throws {
        var options = self.options
        if oidc {
            guard !tokenStdin, options.token == nil else {
                throw ValidationError("--oidc signs in at the provider: give no --token or --token-stdin")
            }
            return try await runOIDC(options)
        }
        if tokenStdin {
            let line = readLine(strippingNewline: true) ?? ""
            options.token = line.trimmingCharacters(in: .whitespaces)
        }
        try await options.run { client in
            guard let file = LoginFile(environment: ProcessInfo.processInfo.environment) else {
                throw ClientError(.configuration, "neither XDG_CONFIG_HOME nor HOME is set: nowhere to store the login")
            }
            try await Self.save(client: client, options: options, file: file)
        }
    }

    /// Checks the token the client carries with `whoami`, writes the login file, and says so.
    static func save(client: ArtifactStoreClient, options: ClientOptions, file: LoginFile) async throws {
        let identity = try await client.whoami()
        guard let token = options.token ?? ProcessInfo.processInfo.environment["ARTIFACTSTORE_TOKEN"] ?? (try? file.read())?.token
        else { throw ClientError(.notConfigured, "no token given") }
        try file.write(LoginFile.Contents(server: client.server, token: token))
        let result = Result(
            server: client.server,
            tokenID: identity.tokenID,
            name: identity.name,
            grants: identity.grants.map(\.description),
            loginFile: file.path
        )
        try CLIOutput(json: options.json).print(
            result,
            text:
                "Logged in to \(client.server) as \"\(identity.name)\" (token \(identity.tokenID), \(result.grants.joined(separator: " "))); saved in \(file.path)"
        )
    }
}

/// `artifactstore whoami`: the token the client sends, as the server sees it.
struct WhoAmICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "whoami", abstract: "Show the token's name, id and scopes.")

    @OptionGroup var options: ClientOptions

    func run() async throws {
        try await options.run { client in
            let identity = try await client.whoami()
            try CLIOutput(json: options.json).print(
                identity,
                text:
                    "\(identity.name) (token \(identity.tokenID)) at \(client.server): \(identity.grants.map(\.description).joined(separator: " "))"
            )
        }
    }
}
