import Foundation

/// Where the client's server and token come from, highest precedence first: the flags
/// (`--server`, `--token`), the environment (`ARTIFACTSTORE_SERVER`, `ARTIFACTSTORE_TOKEN`), then
/// the login file. Each of the two is looked up on its own, so a flag may override one and the
/// login file provide the other.
public struct ClientSettings: Sendable, Hashable {
    public var server: String
    public var token: String?

    /// The server's address must be `http://` or `https://` with a host.
    public static func validateServer(_ text: String) throws(ClientError) -> String {
        var base = text
        while base.hasSuffix("/") { base.removeLast() }
        guard let url = URL(string: base), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty, url.query == nil, url.fragment == nil
        else {
            throw ClientError(
                .invalidArgument,
                "server \"\(text)\" is not an http:// or https:// URL with a host (e.g. http://127.0.0.1:8080)"
            )
        }
        return base
    }

    /// Resolves the settings.
    ///
    /// - Parameter requireToken: `false` for commands that may run without a token.
    public static func resolve(
        server flagServer: String?,
        token flagToken: String?,
        environment: [String: String],
        loginFile: LoginFile?,
        requireToken: Bool = true
    ) throws(ClientError) -> ClientSettings {
        func nonEmpty(_ value: String?) -> String? {
            guard let value, !value.isEmpty else { return nil }
            return value
        }
        var server = nonEmpty(flagServer) ?? nonEmpty(environment["ARTIFACTSTORE_SERVER"])
        var token = nonEmpty(flagToken) ?? nonEmpty(environment["ARTIFACTSTORE_TOKEN"])
        if server == nil || token == nil, let stored = try loginFile?.read() {
            server = server ?? nonEmpty(stored.server)
            token = token ?? nonEmpty(stored.token)
        }
        guard let server else {
            throw ClientError(
                .notConfigured,
                "no server given: pass --server, set ARTIFACTSTORE_SERVER or run `artifactstore login`"
            )
        }
        if requireToken, token == nil {
            throw ClientError(
                .notConfigured,
                "no token given: pass --token, set ARTIFACTSTORE_TOKEN or run `artifactstore login`"
            )
        }
        return ClientSettings(server: try validateServer(server), token: token)
    }
}
