import ArgumentParser
import ArtifactStoreAPI
import ArtifactStoreClient
import Foundation

/// `artifactstore proxy create|list|delete`: proxy namespaces, pull-through caches of an upstream
/// OCI registry (docs/oci.md, "Proxy namespaces"). Needs a global admin token.
struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Manage proxy namespaces (pull-through caches of an upstream OCI registry).",
        subcommands: [Create.self, List.self, Delete.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Make NAMESPACE (created if absent) a pull-through cache of the registry at --upstream.",
            discussion: "The password is read from --password-file (never from the command line), stored by the server and never shown."
        )

        @OptionGroup var options: ClientOptions

        @Argument(help: "The namespace.")
        var namespace: String

        @Option(name: .long, help: "The upstream registry: http://host[:port] or https://host[:port].")
        var upstream: String

        @Option(name: .long, help: "Prepended to the artifact to name the upstream repository (e.g. library/).")
        var prefix: String?

        @Option(name: .customLong("tag-ttl"), help: "Seconds a cached tag is served before it is checked upstream again (default 300).")
        var tagTTL: Int64?

        @Option(name: .long, help: "User name for the upstream (with --password-file).")
        var username: String?

        @Option(name: .customLong("password-file"), help: "A file holding the upstream password (one line).")
        var passwordFile: String?

        @Option(name: .long, help: "An artifact glob that may be pulled through (repeatable; default **).")
        var allow: [String] = []

        @Option(name: .long, help: "An artifact glob that may not be pulled through (repeatable).")
        var deny: [String] = []

        @Option(name: .customLong("redirect-host"), help: "A host the upstream's redirects and token realm may lead to (repeatable).")
        var redirectHost: [String] = []

        @Option(
            name: .customLong("evict-unused-days"),
            help: "Delete cached manifests not pulled for this many days (their blobs then go by GC)."
        )
        var evictUnusedDays: Int64?

        func run() async throws {
            let password = try parseArgument(options) { try PasswordFile.read(passwordFile, username: username) }
            let body = SetProxyBody(
                upstream: upstream,
                prefix: prefix,
                allow: allow.isEmpty ? nil : allow,
                deny: deny.isEmpty ? nil : deny,
                redirectHosts: redirectHost.isEmpty ? nil : redirectHost,
                tagTTLSeconds: tagTTL,
                username: username,
                password: password,
                evictUnusedAfterSeconds: evictUnusedDays.map { $0 * 86_400 }
            )
            try await options.run { client in
                let proxy = try await client.setProxy(namespace, body)
                try CLIOutput(json: options.json).print(proxy, text: "\(proxy.namespace): proxy of \(proxy.upstream)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the proxy namespaces (never their passwords).")

        @OptionGroup var options: ClientOptions

        func run() async throws {
            try await options.run { client in
                let proxies = try await client.proxies()
                let text = proxies.map { proxy in
                    "\(proxy.namespace)\t\(proxy.upstream)\tprefix=\(proxy.prefix)\ttag-ttl=\(proxy.tagTTLSeconds)"
                        + (proxy.username.map { "\tuser=\($0)" } ?? "")
                }.joined(separator: "\n")
                try CLIOutput(json: options.json).print(proxies, text: proxies.isEmpty ? "no proxy namespaces" : text)
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete",
            abstract: "Make NAMESPACE an ordinary namespace again (its cached content stays)."
        )

        @OptionGroup var options: ClientOptions

        @Argument(help: "The namespace.")
        var namespace: String

        struct Deleted: Encodable { var deleted: String }

        func run() async throws {
            try await options.run { client in
                try await client.deleteProxy(namespace)
                try CLIOutput(json: options.json).print(Deleted(deleted: namespace), text: "\(namespace) is no longer a proxy namespace")
            }
        }
    }
}
