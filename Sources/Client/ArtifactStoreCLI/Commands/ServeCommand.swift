import ArgumentParser
import ArtifactServer
import Configuration
import Foundation
import Logging

/// `artifactstore serve`: runs the server until SIGTERM or SIGINT.
///
/// Configuration comes from `--config FILE` (JSON), then `ARTIFACTSTORE_*` environment
/// variables, then these flags, each overriding the last (docs/operations.md). With none of
/// them it serves 127.0.0.1:8080 from `./artifactstore-data`. Exits 0 after a graceful
/// shutdown, 2 for a bad configuration (an unknown key, a missing backend, a port in use), 1 for
/// any other failure. `--check-config` checks the configuration and exits without serving.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the ArtifactStore HTTP server.",
        discussion: """
            On the first start with an empty store, prints a bootstrap admin token once on \
            standard error (or installs ARTIFACTSTORE_ADMIN_TOKEN, or the token in the file \
            ARTIFACTSTORE_ADMIN_TOKEN_FILE names, if set). SIGHUP reloads the TLS certificate. SIGTERM drains \
            in-flight requests and exits 0.
            """
    )

    @Option(name: .long, help: "Address to listen on (default 127.0.0.1).")
    var host: String?

    @Option(name: .long, help: "Port to listen on (default 8080; 0 picks a free one).")
    var port: Int?

    /// `--data-dir`, `--database`, `--backend`, `--default-backend`, `--audit-key-file` and
    /// `--config`, as the `admin` commands take them.
    @OptionGroup var store: StoreLocationOptions

    @Option(
        name: .customLong("redirect-exempt-namespace"),
        help: "A namespace whose downloads the server always sends itself, never redirected to S3; repeatable."
    )
    var redirectExemptNamespace: [String] = []

    @Option(
        name: .customLong("oci-default-namespace"),
        help: "The namespace single-component OCI repository names (host/app:v1) go into (default: none, refused)."
    )
    var ociDefaultNamespace: String?

    @Option(
        name: .customLong("oci-create-namespaces"),
        help: "Who may create a namespace by pushing into it over /v2: global-write (default), namespace-write or never."
    )
    var ociCreateNamespaces: String?

    @Option(
        name: .customLong("webhook-allowed-network"),
        help: "Non-public addresses webhook URLs may point at: loopback, private or link-local; repeatable (default none)."
    )
    var webhookAllowedNetwork: [String] = []

    @Option(name: .customLong("data-plane"), help: "inprocess, or unix:///path of a data-plane daemon.")
    var dataPlane: String?

    @Option(name: .customLong("gc-interval"), help: "Seconds between garbage collections (default 3600).")
    var gcInterval: Int?

    @Option(name: .customLong("header-read-timeout"), help: "Seconds a connection has to send a request's head (default 10).")
    var headerReadTimeout: Int?

    @Option(name: .customLong("idle-timeout"), help: "Seconds a kept-alive connection may wait for its next request (default 60).")
    var idleTimeout: Int?

    @Option(name: .customLong("body-idle-timeout"), help: "Seconds the server waits for the next bytes of a body (default 60).")
    var bodyIdleTimeout: Int?

    @Option(name: .customLong("max-connections"), help: "Connections open at once; more get 503 (default 4096).")
    var maxConnections: Int?

    @Option(name: .customLong("log-format"), help: "Log lines as text or json, one JSON object per line (default text).")
    var logFormat: String?

    @Flag(
        name: .customLong("registry-token-auth"),
        help: "Send OCI clients to /v2/token for short-lived JWTs (the registry token flow; Basic keeps working)."
    )
    var registryTokenAuth = false

    @Option(name: .customLong("registry-token-realm"), help: "The token endpoint's URL as clients reach it (default http://HOST/v2/token).")
    var registryTokenRealm: String?

    @Option(
        name: .customLong("registry-token-service"),
        help: "The registry's service name in challenges and JWTs (default artifactstore)."
    )
    var registryTokenService: String?

    @Option(
        name: .customLong("tls-cert"),
        help: "PEM certificate chain (leaf first) to serve HTTPS with; needs --tls-key. Reloaded on SIGHUP."
    )
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key (unencrypted) of the --tls-cert certificate.")
    var tlsKey: String?

    @Flag(
        name: .customLong("http2"),
        inversion: .prefixedNo,
        help: "Under TLS, offer HTTP/2 by ALPN, HTTP/1.1 for clients without it (default on; --no-http2: HTTP/1.1 only)."
    )
    var http2: Bool?

    @Flag(
        name: .customLong("check-config"),
        help: "Check the configuration (keys, types, locations) and exit: 0 when valid, 2 with the problem."
    )
    var checkConfig = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        ServerProcessTuning.apply(environment: environment)
        var flags: [ServerConfiguration.Key: ConfigValue] = [:]
        flags.set(.host, host.map(ConfigContent.string))
        flags.set(.port, port.map(ConfigContent.int))
        flags.set(.redirectExemptNamespaces, redirectExemptNamespace.isEmpty ? nil : .stringArray(redirectExemptNamespace))
        flags.set(.dataPlane, dataPlane.map(ConfigContent.string))
        flags.set(.ociDefaultNamespace, ociDefaultNamespace.map(ConfigContent.string))
        flags.set(.ociCreateNamespaces, ociCreateNamespaces.map(ConfigContent.string))
        flags.set(.webhookAllowedNetworks, webhookAllowedNetwork.isEmpty ? nil : .stringArray(webhookAllowedNetwork))
        flags.set(.gcInterval, gcInterval.map(ConfigContent.int))
        flags.set(.headerReadTimeout, headerReadTimeout.map(ConfigContent.int))
        flags.set(.idleTimeout, idleTimeout.map(ConfigContent.int))
        flags.set(.bodyIdleTimeout, bodyIdleTimeout.map(ConfigContent.int))
        flags.set(.maxConnections, maxConnections.map(ConfigContent.int))
        flags.set(.logFormat, logFormat.map(ConfigContent.string))
        flags.set(.registryTokenAuth, registryTokenAuth ? .bool(true) : nil)
        flags.set(.registryTokenRealm, registryTokenRealm.map(ConfigContent.string))
        flags.set(.registryTokenService, registryTokenService.map(ConfigContent.string))
        flags.set(.tlsCert, tlsCert.map(ConfigContent.string))
        flags.set(.tlsKey, tlsKey.map(ConfigContent.string))
        flags.set(.http2, http2.map(ConfigContent.bool))
        let configuration: ServerConfiguration
        let adminToken: String?
        do {
            configuration = try await store.load(adding: flags, environment: environment)
            adminToken = try AdminTokenFile.token(environment: environment)
        } catch {
            throw CLIOutput(json: false).failure(error)
        }
        let level = Logger.Level(rawValue: configuration.logLevel) ?? .info
        LoggingSystem.bootstrap(
            { label, metadataProvider in
                var handler = ServerLogHandler.standardError(
                    label: label,
                    format: configuration.logFormat,
                    metadataProvider: metadataProvider
                )
                handler.logLevel = level
                return handler
            },
            metadataProvider: RequestLogMetadata.provider
        )
        let logger = Logger(label: "artifactstore.server")
        if checkConfig {
            do {
                try await ServeApplication.checkConfiguration(configuration, logger: logger)
            } catch {
                throw CLIOutput(json: false).failure(error)
            }
            FileOutput.standardOutput.write("artifactstore: configuration is valid\n")
            return
        }
        do {
            try await ServeApplication.run(
                configuration,
                adminToken: adminToken,
                logger: logger,
                console: { FileOutput.standardError.write($0) }
            )
        } catch {
            throw CLIOutput(json: false).failure(error)
        }
    }
}
