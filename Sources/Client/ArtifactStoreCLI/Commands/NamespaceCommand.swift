import ArgumentParser
import ArtifactStoreAPI
import ArtifactStoreClient
import Foundation

/// `artifactstore namespace create|show|set`.
struct NamespaceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "namespace", abstract: "Create namespaces and change their settings (public read).",
        subcommands: [NamespaceCreateCommand.self, NamespaceShowCommand.self, NamespaceSetCommand.self])

    /// One line: the name and its settings.
    static func describe(_ namespace: Namespace) -> String {
        var settings = [namespace.publicRead ? "public read" : "private"]
        if namespace.immutableTags { settings.append("immutable tags") }
        return "\(namespace.name)\t\(settings.joined(separator: ", "))"
    }
}

/// `artifactstore namespace create NAME [--immutable-tags] [--public]` (admin).
struct NamespaceCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a namespace (needs admin on the store).")

    @OptionGroup var options: ClientOptions

    @Argument(help: "The namespace's name.")
    var name: String

    @Flag(name: .customLong("immutable-tags"), help: "Tags once set can neither move nor be removed.")
    var immutableTags = false

    @Flag(name: .customLong("public"), help: "Anyone may read the namespace without a token (writes still need one).")
    var publicRead = false

    func run() async throws {
        try await options.run { client in
            let created = try await client.createNamespace(name, immutableTags: immutableTags, publicRead: publicRead)
            try CLIOutput(json: options.json).print(created, text: NamespaceCommand.describe(created))
        }
    }
}

/// `artifactstore namespace show NAME`.
struct NamespaceShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show a namespace's settings.")

    @OptionGroup var options: ClientOptions

    @Argument(help: "The namespace's name.")
    var name: String

    func run() async throws {
        try await options.run { client in
            let namespace = try await client.namespace(name)
            try CLIOutput(json: options.json).print(namespace, text: NamespaceCommand.describe(namespace))
        }
    }
}

/// `artifactstore namespace set NAME --public|--private` (admin on the namespace).
struct NamespaceSetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Make a namespace public (anonymous read) or private again (needs admin on it).")

    enum Visibility: String, EnumerableFlag {
        case `public`, `private`
    }

    @OptionGroup var options: ClientOptions

    @Argument(help: "The namespace's name.")
    var name: String

    @Flag(help: "--public: anyone may read it; --private: only token holders.")
    var visibility: Visibility

    func run() async throws {
        try await options.run { client in
            let updated = try await client.setPublicRead(name, visibility == .public)
            try CLIOutput(json: options.json).print(updated, text: NamespaceCommand.describe(updated))
        }
    }
}
