import ArtifactStoreAPI
import ArtifactStoreClient
import Foundation

// `artifactstore login --oidc` (docs/identity.md, docs/cli.md).
extension LoginCommand {
    /// The device grant at the server's provider: prints where to go and the code (to standard
    /// error, so `--json` output stays one line), waits for the approval, then saves the store
    /// token the server minted like a token login does.
    func runOIDC(_ options: ClientOptions) async throws {
        var options = options
        options.token = nil
        try await options.run(requireToken: false) { client in
            guard let file = LoginFile(environment: ProcessInfo.processInfo.environment) else {
                throw ClientError(.configuration, "neither XDG_CONFIG_HOME nor HOME is set: nowhere to store the login")
            }
            let provider = try await client.oidcConfiguration()
            let issued = try await client.deviceSignIn(provider) { authorization in
                let complete = authorization.verificationURIComplete.map { " (or open \($0))" } ?? ""
                let line =
                    "To sign in with \(provider.providerName), open \(authorization.verificationURI)"
                    + " and enter the code \(authorization.userCode)\(complete)\n"
                FileHandle.standardError.write(Data(line.utf8))
            }
            var signedIn = options
            signedIn.token = issued.token
            try await Self.save(client: client.with(token: issued.token), options: signedIn, file: file)
        }
    }
}
