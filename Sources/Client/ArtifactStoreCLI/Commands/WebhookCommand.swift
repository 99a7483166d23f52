import ArgumentParser
import ArtifactStoreAPI
import ArtifactStoreClient
import Foundation

/// `artifactstore webhook create|list|deliveries|delete` (admin on the namespace; docs/webhooks.md).
struct WebhookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook",
        abstract: "Create, list and delete a namespace's webhooks; show their deliveries.",
        subcommands: [WebhookCreateCommand.self, WebhookListCommand.self, WebhookDeliveriesCommand.self, WebhookDeleteCommand.self]
    )
}

/// `artifactstore webhook create NAMESPACE URL --secret-file F [--events push,tag.move …]`.
struct WebhookCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create",
        abstract: "Send the namespace's events to URL as signed CloudEvents.",
        discussion: """
            The secret (at most 1024 bytes; one trailing newline is dropped) is read from --secret-file, never \
            from the command line, and is never shown again. --events takes names separated by commas or \
            repeated: push, pull, delete, tag.move, hold, gc.delete, verify.failure, replication.failed (default: all but pull).
            """
    )

    @OptionGroup var options: ClientOptions

    @Argument(help: "The namespace whose events are sent.")
    var namespace: String

    @Argument(help: "Where to POST them: http(s)://host[:port]/path.")
    var url: String

    @Option(name: .customLong("secret-file"), help: "A file holding the HMAC secret that signs each delivery.")
    var secretFile: String

    @Option(name: .long, parsing: .upToNextOption, help: "Event names (comma-separated or repeated).")
    var events: [String] = []

    /// The secret in `path`, without one trailing newline.
    static func readSecret(_ path: String) throws(ClientError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ClientError(.io, "cannot read the secret file \"\(path)\"; check the path and its permissions")
        }
        var text = String(decoding: data, as: UTF8.self)
        if text.hasSuffix("\r\n") { text.removeLast(2) } else if text.hasSuffix("\n") { text.removeLast() }
        return text
    }

    func run() async throws {
        let secret = try parseArgument(options) { () throws(ClientError) -> String in try Self.readSecret(secretFile) }
        let names = events.flatMap { $0.split(separator: ",").map { String($0) } }
        try await options.run { client in
            let endpoint = try await client.createWebhook(in: namespace, url: url, secret: secret, events: names)
            let events = endpoint.events.map(\.rawValue).joined(separator: ",")
            try CLIOutput(json: options.json).print(
                endpoint,
                text: "created webhook \(endpoint.id) of \(namespace) -> \(endpoint.url) (\(events))"
            )
        }
    }
}

/// `artifactstore webhook list NAMESPACE`.
struct WebhookListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List a namespace's webhooks (never their secrets).")

    @OptionGroup var options: ClientOptions

    @Argument(help: "The namespace.")
    var namespace: String

    func run() async throws {
        try await options.run { client in
            let endpoints = try await client.webhooks(in: namespace)
            let lines = endpoints.map { "\($0.id)\t\($0.url)\t\($0.events.map(\.rawValue).joined(separator: ","))" }
            try CLIOutput(json: options.json).print(endpoints, text: lines.joined(separator: "\n"))
        }
    }
}

/// `artifactstore webhook deliveries NAMESPACE ID [--state pending|delivered|dead]`.
struct WebhookDeliveriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliveries",
        abstract: "Show a webhook's deliveries: pending (with the last error), delivered, dead."
    )

    @OptionGroup var options: ClientOptions

    @Argument(help: "The namespace.")
    var namespace: String

    @Argument(help: "The webhook's id (from webhook list).")
    var id: String

    @Option(name: .long, help: "Only deliveries in this state: pending, delivered or dead.")
    var state: String?

    func run() async throws {
        let filter = try parseArgument(options) { () throws(ClientError) -> WebhookDeliveryState? in
            guard let state else { return nil }
            guard let parsed = WebhookDeliveryState(rawValue: state) else {
                throw ClientError(.invalidArgument, "--state \"\(state)\" is not pending, delivered or dead")
            }
            return parsed
        }
        try await options.run { client in
            let deliveries = try await client.webhookDeliveries(in: namespace, id: id, state: filter)
            let lines = deliveries.map { delivery in
                var line = "\(delivery.id)\t\(delivery.event)\t\(delivery.state.rawValue)\tattempts \(delivery.attempts)"
                if let status = delivery.lastStatus { line += "\tstatus \(status)" }
                if let error = delivery.lastError { line += "\t\(error)" }
                return line
            }
            try CLIOutput(json: options.json).print(deliveries, text: lines.joined(separator: "\n"))
        }
    }
}

/// `artifactstore webhook delete NAMESPACE ID`.
struct WebhookDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a webhook and its deliveries.")

    @OptionGroup var options: ClientOptions

    @Argument(help: "The namespace.")
    var namespace: String

    @Argument(help: "The webhook's id (from webhook list).")
    var id: String

    struct Deleted: Encodable { var deleted: String }

    func run() async throws {
        try await options.run { client in
            try await client.deleteWebhook(in: namespace, id: id)
            try CLIOutput(json: options.json).print(Deleted(deleted: id), text: "deleted webhook \(id)")
        }
    }
}
