import ArgumentParser
import ArtifactControlPlane
import ArtifactStoreAPI
import ArtifactStoreClient
import Foundation

/// `artifactstore token create|list|revoke` (admin).
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, list and revoke tokens (admin).",
        subcommands: [TokenCreateCommand.self, TokenListCommand.self, TokenRevokeCommand.self]
    )
}

/// `artifactstore token create --name N --scope read|write|admin[:NS] … [--expires-in 30d]`.
struct TokenCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Create a token and print it (the only time it is shown).",
        discussion: """
            Without --json, standard output is the token alone (TOKEN=$(artifactstore token create …)) and \
            its id and scopes go to standard error. --scope is read, write or admin, for every namespace, \
            or read:NS, write:NS, admin:NS for one.
            """
    )

    @OptionGroup var options: ClientOptions

    @Option(name: .long, help: "A name for the token (who or what uses it).")
    var name: String

    @Option(name: .long, parsing: .singleValue, help: "read|write|admin[:NAMESPACE] (repeatable).")
    var scope: [String] = []

    @Option(name: .long, help: "Expire after this long: e.g. 3600s, 90m, 12h, 30d.")
    var expiresIn: String?

    static func parseScope(_ text: String) throws(ClientError) -> Grant {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard let scope = Scope(rawValue: String(parts[0])) else {
            throw ClientError(.invalidArgument, "scope \"\(text)\" is not read, write or admin (optionally :NAMESPACE)")
        }
        guard parts.count == 2, parts[1] != "*" else { return .global(scope) }
        do {
            try NameGrammar.checkNamespace(String(parts[1]))
        } catch {
            throw ClientError(.invalidArgument, "scope \"\(text)\": \(error.message)", underlying: error)
        }
        return Grant(scope, namespace: String(parts[1]))
    }

    /// `3600`, `3600s`, `90m`, `12h`, `30d` as seconds.
    static func parseDuration(_ text: String) throws(ClientError) -> Int {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        var digits = Substring(text)
        var unit = 1
        if let last = text.last, let factor = units[last] {
            unit = factor
            digits = digits.dropLast()
        }
        guard let value = Int(digits), value > 0, value <= 100 * 365 * 86400 / unit else {
            throw ClientError(.invalidArgument, "--expires-in \"\(text)\" is not a positive duration such as 3600s, 90m, 12h or 30d")
        }
        return value * unit
    }

    func run() async throws {
        let grants = try parseArgument(options) { () throws(ClientError) -> [Grant] in
            guard !scope.isEmpty else { throw ClientError(.invalidArgument, "give at least one --scope") }
            return try scope.map { (text: String) throws(ClientError) -> Grant in try Self.parseScope(text) }
        }
        let expiresAt = try parseArgument(options) { () throws(ClientError) -> Date? in
            try expiresIn.map { (text: String) throws(ClientError) -> Date in
                Date().addingTimeInterval(TimeInterval(try Self.parseDuration(text)))
            }
        }
        try await options.run { client in
            let created = try await client.createToken(name: name, grants: grants, expiresAt: expiresAt)
            if !options.json {
                FileOutput.standardError.write(
                    "created token \(created.info.id) \"\(created.info.name)\" (\(created.info.grants.map(\.description).joined(separator: " "))); it is shown only once:\n"
                )
            }
            try CLIOutput(json: options.json).print(created, text: created.token)
        }
    }
}

/// `artifactstore token list`.
struct TokenListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List tokens (never their secrets).")

    @OptionGroup var options: ClientOptions

    func run() async throws {
        try await options.run { client in
            let tokens = try await client.tokens()
            let style = Date.ISO8601FormatStyle()
            let lines = tokens.map { token in
                var line = "\(token.id)\t\(token.name)\t\(token.grants.map(\.description).joined(separator: " "))"
                if let revoked = token.revokedAt {
                    line += "\trevoked \(revoked.formatted(style))"
                } else if let expires = token.expiresAt {
                    line += "\texpires \(expires.formatted(style))"
                }
                return line
            }
            try CLIOutput(json: options.json).print(tokens, text: lines.joined(separator: "\n"))
        }
    }
}

/// `artifactstore token revoke ID`.
struct TokenRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke the token with this id.")

    @OptionGroup var options: ClientOptions

    @Argument(help: "The token's id (from token list).")
    var id: String

    struct Revoked: Encodable { var revoked: String }

    func run() async throws {
        try await options.run { client in
            try await client.revokeToken(id: id)
            try CLIOutput(json: options.json).print(Revoked(revoked: id), text: "revoked token \(id)")
        }
    }
}
