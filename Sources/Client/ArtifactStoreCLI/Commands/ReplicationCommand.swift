import ArgumentParser
import ArtifactStoreAPI
import ArtifactStoreClient
import Foundation

/// `artifactstore replication create|list|status|delete`: copying to and from other OCI
/// registries (docs/replication.md). Needs a global admin token.
struct ReplicationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replication",
        abstract: "Manage replication rules (push to or mirror from other OCI registries).",
        subcommands: [Create.self, List.self, Status.self, Delete.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Create rule NAME copying the repositories --repositories covers to --push-to, or from --pull-from.",
            discussion: "The password is read from --password-file (never from the command line), stored sealed and never shown."
        )

        @OptionGroup var options: ClientOptions

        @Argument(help: "The rule's name.")
        var name: String

        @Option(name: .customLong("push-to"), help: "Copy every new manifest to this registry: http(s)://host[:port].")
        var pushTo: String?

        @Option(name: .customLong("pull-from"), help: "Mirror from this registry every --interval: http(s)://host[:port].")
        var pullFrom: String?

        @Option(name: .long, help: "The repositories (namespace/artifact) covered: a glob with *, ** and ?.")
        var repositories: String

        @Option(name: .long, help: "Seconds between mirror runs of a pull rule (default 300).")
        var interval: Int64?

        @Option(name: .long, help: "User name for the remote (with --password-file).")
        var username: String?

        @Option(name: .customLong("password-file"), help: "A file holding the remote's password (one line).")
        var passwordFile: String?

        func run() async throws {
            let password = try parseArgument(options) { try PasswordFile.read(passwordFile, username: username) }
            try parseArgument(options) { () throws in
                if (pushTo == nil) == (pullFrom == nil) {
                    throw ClientError(.invalidArgument, "give exactly one of --push-to and --pull-from")
                }
            }
            let body = CreateReplicationBody(
                name: name,
                pushTo: pushTo,
                pullFrom: pullFrom,
                repositories: repositories,
                intervalSeconds: interval,
                username: username,
                password: password
            )
            try await options.run { client in
                let rule = try await client.createReplication(body)
                try CLIOutput(json: options.json).print(
                    rule,
                    text: "\(rule.name): \(rule.direction.rawValue) \(rule.remote) \(rule.repositories)"
                )
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List the replication rules (never their passwords)."
        )

        @OptionGroup var options: ClientOptions

        func run() async throws {
            try await options.run { client in
                let rules = try await client.replications()
                let text = rules.map { rule in
                    "\(rule.name)\t\(rule.direction.rawValue)\t\(rule.remote)\t\(rule.repositories)"
                        + (rule.direction == .pull ? "\tinterval=\(rule.intervalSeconds)" : "")
                        + (rule.username.map { "\tuser=\($0)" } ?? "")
                }.joined(separator: "\n")
                try CLIOutput(json: options.json).print(rules, text: rules.isEmpty ? "no replication rules" : text)
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "status",
            abstract: "Show each rule's (or NAME's) last success, lag (pending items, age of the oldest) and last error."
        )

        @OptionGroup var options: ClientOptions

        @Argument(help: "One rule's name (default: every rule).")
        var name: String?

        func run() async throws {
            try await options.run { client in
                let rules = if let name { [try await client.replication(name)] } else { try await client.replications() }
                let text = rules.map(Self.line).joined(separator: "\n")
                try CLIOutput(json: options.json).print(rules, text: rules.isEmpty ? "no replication rules" : text)
            }
        }

        static func line(_ rule: ReplicationRule) -> String {
            let status = rule.status
            let formatter = ISO8601DateFormatter()
            var parts = [
                rule.name, rule.direction.rawValue, "pending=\(status.pending)", "lag=\(status.lagSeconds)s", "dead=\(status.dead)",
                "last-success=\(status.lastSuccessAt.map(formatter.string(from:)) ?? "never")",
            ]
            if let error = status.lastError { parts.append("last-error=\(error)") }
            return parts.joined(separator: "\t")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete rule NAME and its pending items.")

        @OptionGroup var options: ClientOptions

        @Argument(help: "The rule's name.")
        var name: String

        struct Deleted: Encodable { var deleted: String }

        func run() async throws {
            try await options.run { client in
                try await client.deleteReplication(name)
                try CLIOutput(json: options.json).print(Deleted(deleted: name), text: "replication rule \(name) deleted")
            }
        }
    }
}
