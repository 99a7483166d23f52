import ArgumentParser
import ArtifactStoreAPI
import ArtifactStoreClient
import Foundation

/// `artifactstore namespace create|show|set`.
struct NamespaceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "namespace",
        abstract: "Create namespaces and change their settings (public read, download redirects).",
        subcommands: [NamespaceCreateCommand.self, NamespaceShowCommand.self, NamespaceSetCommand.self]
    )

    /// One line: the name and its settings.
    static func describe(_ namespace: Namespace) -> String {
        var settings = [namespace.publicRead ? "public read" : "private"]
        if namespace.immutableTags { settings.append("immutable tags") }
        if !namespace.downloadRedirects { settings.append("no download redirects") }
        if let quota = namespace.quotaBytes { settings.append("quota \(ByteSize.describe(quota))") }
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

/// `artifactstore namespace set NAME [--public|--private] [--redirects|--no-redirects] [--quota SIZE|--no-quota]`
/// (admin on the namespace).
struct NamespaceSetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Make a namespace public or private, switch its download redirects, or set its quota (needs admin on it)."
    )

    enum Visibility: String, EnumerableFlag {
        case `public`, `private`
    }

    enum Redirects: String, EnumerableFlag {
        case redirects, noRedirects

        static func name(for value: Redirects) -> NameSpecification {
            value == .redirects ? .customLong("redirects") : .customLong("no-redirects")
        }
    }

    @OptionGroup var options: ClientOptions

    @Argument(help: "The namespace's name.")
    var name: String

    @Flag(help: "--public: anyone may read it; --private: only token holders.")
    var visibility: Visibility?

    @Flag(
        help: "--no-redirects: every download comes through the server; --redirects: a backend that offers presigned URLs may redirect."
    )
    var redirects: Redirects?

    @Option(help: "The most bytes the namespace's versions may reference: 10GiB, 500MB, 1.5TiB or a number of bytes.")
    var quota: String?

    @Flag(name: .customLong("no-quota"), help: "Remove the namespace's quota.")
    var noQuota = false

    /// The quota change the options ask for, or `nil` for none.
    func quotaChange() throws -> UpdateNamespaceBody.QuotaChange? {
        if noQuota { return .unlimited }
        guard let quota else { return nil }
        guard let bytes = ByteSize.parse(quota) else {
            throw ValidationError("--quota \"\(quota)\" is not a size: give a number of bytes or one with a unit (10GiB, 500MB, 1.5TiB)")
        }
        return .bytes(bytes)
    }

    func validate() throws {
        guard visibility != nil || redirects != nil || quota != nil || noQuota else {
            throw ValidationError("name a setting to change: --public, --private, --redirects, --no-redirects, --quota SIZE or --no-quota")
        }
        guard quota == nil || !noQuota else { throw ValidationError("give --quota SIZE or --no-quota, not both") }
        _ = try quotaChange()
    }

    func run() async throws {
        let settings = UpdateNamespaceBody(
            publicRead: visibility.map { $0 == .public },
            downloadRedirects: redirects.map { $0 == .redirects },
            quota: try quotaChange()
        )
        try await options.run { client in
            let updated = try await client.updateNamespace(name, settings)
            try CLIOutput(json: options.json).print(updated, text: NamespaceCommand.describe(updated))
        }
    }
}
