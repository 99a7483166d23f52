public import ArtifactControlPlane
import ArtifactDataPlane
import ArtifactDataPlaneLocal
import ArtifactDataPlaneRemote
import ArtifactMetadata
import ArtifactOCI
import ArtifactStorage
import ArtifactStorageFactory
import ArtifactStoreAPI
import Foundation
import Hummingbird
public import HummingbirdCore
import HummingbirdHTTP2
import HummingbirdTLS
public import Logging
import NIOCore
import NIOHTTP2
import ServiceLifecycle
import UnixSignals

/// `artifactstore serve`: the data plane, the control plane, the HTTP API, garbage collection,
/// reconciliation, retention and the audit sequencer, in one service group.
///
/// Exists so the whole product starts from one ``ServerConfiguration``. It runs until SIGTERM or
/// SIGINT, then shuts down gracefully: the listener closes, in-flight requests finish (for at
/// most ``ServerConfiguration/shutdownGracePeriod``; then they are cancelled, and an upload cut
/// short stores nothing: the data plane removes its temporary), the GC and retention services
/// stop between runs, and the metadata store is closed.
public enum ServeApplication {
    /// Where messages meant for the operator (the bootstrap token box, the listening address) go.
    public typealias Console = @Sendable (String) -> Void

    /// Opens everything, prints the bootstrap admin token on the first start, and serves until
    /// a shutdown signal.
    ///
    /// - Parameter adminToken: `ARTIFACTSTORE_ADMIN_TOKEN` or the token in `ARTIFACTSTORE_ADMIN_TOKEN_FILE`
    ///   (``AdminTokenFile``): installed as the admin token on the
    ///   first start instead of a generated one; ignored afterwards.
    public static func run(
        _ configuration: ServerConfiguration,
        adminToken: String?,
        logger: Logger,
        console: @escaping Console
    ) async throws {
        // Before anything is migrated or minted.
        try await preflight(configuration, logger: logger)
        let tls = try tlsReloader(configuration, logger: logger)
        let controlPlane = try await openControlPlane(configuration, logger: logger)
        do {
            try await bootstrap(controlPlane, adminToken: adminToken, logger: logger, console: console)
            let metrics = ServerMetrics()
            var api = APIHandlers(controlPlane: controlPlane, metrics: metrics)
            api.ociNaming = configuration.ociNaming
            api.oidc = try configuration.oidc.settings().map { OIDCSignIn(settings: $0, controlPlane: controlPlane) }
            let host = configuration.host
            var services: [any Service] = [
                controlPlane.garbageCollector.service(interval: configuration.gcInterval) { metrics.recordGarbageCollection($0) },
                controlPlane.retention.service(interval: configuration.retentionInterval),
                OCIStore(registry: controlPlane.registry).uploadExpiryService(
                    maximumAge: configuration.ociUploadExpiry,
                    interval: configuration.gcInterval
                ),
                // Proxy namespaces' "unused for N days" (docs/oci.md, "Proxy namespaces").
                OCIProxyStore(controlPlane: controlPlane).evictionService(interval: configuration.gcInterval),
                controlPlane.auditSequencer.service(),
                // Usage changes appended by pushes folded into the namespaces' counter rows.
                controlPlane.registry.usageFoldService(),
                // Every node delivers webhooks; each delivery is leased to one (docs/webhooks.md).
                WebhookDeliveryRunner(
                    controlPlane: controlPlane,
                    settings: WebhookDeliverySettings(),
                    interval: .seconds(1),
                    onReport: { metrics.recordWebhookRound($0) }
                ),
                // Every node replicates; each push item is leased to one, each mirror run claimed
                // by one (docs/replication.md).
                ReplicationService(controlPlane: controlPlane, metrics: metrics, settings: .init(lease: .seconds(60))),
            ]
            // At start and every 15 minutes: what crashed ingests left (a daemon sweeps its own backends).
            if let local = controlPlane.dataPlane as? LocalDataPlane { services.append(local.temporarySweepService()) }
            // Every GC interval: strays found and (past the grace period) removed, missing objects
            // counted; in process, or through the daemon's inventory operations.
            if let reconciler = controlPlane.reconciler {
                services.append(reconciler.service(interval: configuration.gcInterval) { metrics.recordReconciliation($0) })
            }
            services.append(TLSReloadService(reloader: tls, logger: logger))
            let scheme = configuration.scheme
            let app = Application(
                router: api.makeRouter(),
                server: try httpServer(limits: configuration.connectionLimits, tls: tls, http2: configuration.http2),
                configuration: .init(address: .hostname(host, port: configuration.port), serverName: "artifactstore"),
                services: services,
                onServerRunning: { channel in
                    let port = channel.localAddress?.port ?? configuration.port
                    logger.info("listening", metadata: ["address": "\(scheme)://\(host):\(port)"])
                    console("artifactstore: listening on \(scheme)://\(host):\(port)\n")
                },
                logger: logger
            )
            // SIGTERM/SIGINT: graceful shutdown; requests still running after the grace
            // period are cancelled (an upload cancelled mid-body stores nothing).
            let notice = ShutdownNotice(logger: logger, gracePeriod: configuration.shutdownGracePeriod)
            var group = ServiceGroupConfiguration(services: [app, notice], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            group.maximumGracefulShutdownDuration = configuration.shutdownGracePeriod
            try await ServiceGroup(configuration: group).run()
        } catch {
            await close(controlPlane)
            throw error
        }
        await close(controlPlane)
        logger.info("stopped")
    }

    /// HTTP/1 with a ``ConnectionGate`` first on every connection (timeouts, the connection
    /// count, closing after refusals), and an ``ExpectContinueHandler`` and a ``FileRegionSender``
    /// after the codec: `100 Continue` for clients that wait for it, and downloads sent from their
    /// files (``DownloadBody``); each connection's requests are handled on its own event loop
    /// (``EventLoopBoundChannel``).
    public static func httpServer(limits: ConnectionLimits) -> HTTPServerBuilder {
        httpServer(limits: limits, sendsFileRegions: true)
    }

    static func httpServer(limits: ConnectionLimits, sendsFileRegions: Bool) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            // An autoclosure: new handlers for every connection.
            let configuration = HTTP1Channel.Configuration(
                additionalChannelHandlers: sendsFileRegions
                    ? [RequestPhaseObserver(), ExpectContinueHandler(), FileRegionSender()]
                    : [RequestPhaseObserver(), ExpectContinueHandler()]
            )
            return EventLoopBoundChannel(
                base: ConnectionLimitedChannel(
                    base: HTTP1Channel(responder: responder, configuration: configuration),
                    limits: limits,
                    counter: ConnectionCounter()
                )
            )
        }
    }

    /// ``httpServer(limits:)`` inside Hummingbird's TLS channel when `tls` is given: every
    /// handshake presents the reloader's current certificate. Downloads are then written as
    /// buffers (TLS encrypts in this process, so there is no `sendfile`): no ``FileRegionSender``.
    ///
    /// With `http2`, ALPN offers `h2` before `http/1.1` and each connection is served in the
    /// protocol its client chose (``NegotiatedHTTPChannel``): the same gate, responder and
    /// handlers, plus an ``HTTP2StreamGate`` per stream; the gate closes an HTTP/2 connection
    /// without an open stream for ``ConnectionLimits/idleTimeout`` (`GOAWAY` first).
    public static func httpServer(limits: ConnectionLimits, tls: TLSCertificateReloader?, http2: Bool = true) throws -> HTTPServerBuilder {
        guard let tls else { return httpServer(limits: limits) }
        guard http2 else {
            return try .tls(httpServer(limits: limits, sendsFileRegions: false), tlsConfiguration: tls.serverConfiguration())
        }
        let server = HTTPServerBuilder { responder in
            // An autoclosure: new handlers for every HTTP/1 connection and every HTTP/2 stream.
            let streams = HTTP1Channel.Configuration(
                additionalChannelHandlers: [HTTP2StreamGate(limits: limits), RequestPhaseObserver(), ExpectContinueHandler()]
            )
            // No idle timeout of Hummingbird's: the ConnectionGate's closes even a client that never
            // acknowledges the GOAWAY.
            let http2Configuration = HTTP2ChannelConfiguration(streamConfiguration: streams)
            return EventLoopBoundChannel(
                base: ConnectionLimitedChannel(
                    base: NegotiatedHTTPChannel(
                        http1: HTTP1Channel(responder: responder, configuration: streams),
                        http2: HTTP2Channel(responder: responder, configuration: http2Configuration)
                    ),
                    limits: limits,
                    counter: ConnectionCounter()
                )
            )
        }
        return try .tls(server, tlsConfiguration: tls.serverConfiguration(applicationProtocols: NIOHTTP2SupportedALPNProtocols))
    }

    /// The TLS certificate the configuration names, loaded and checked; `nil` for plain HTTP.
    static func tlsReloader(
        _ configuration: ServerConfiguration,
        logger: Logger
    ) throws(ServerConfigurationError) -> TLSCertificateReloader? {
        guard let certificate = configuration.tlsCertificateFile, let key = configuration.tlsKeyFile else { return nil }
        return try TLSCertificateReloader(certificateFile: certificate, keyFile: key, logger: logger)
    }

    /// Closes the metadata store and a remote data plane's connections.
    static func close(_ controlPlane: ControlPlane) async {
        await controlPlane.close()
        (controlPlane.dataPlane as? RemoteDataPlane)?.shutdown()
    }

    /// The data plane the configuration names, and the control plane over it.
    public static func openControlPlane(_ configuration: ServerConfiguration, logger: Logger) async throws -> ControlPlane {
        let dataDirectory = configuration.absoluteDataDirectory
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
            if configuration.backends.isEmpty, configuration.dataPlane == "inprocess" {
                try FileManager.default.createDirectory(atPath: dataDirectory + "/blobs", withIntermediateDirectories: true)
            }
        } catch {
            throw ServerConfigurationError(
                key: "dataDir",
                "cannot create \"\(dataDirectory)\": \(error.localizedDescription)",
                underlying: error
            )
        }
        let dataPlane = try makeDataPlane(configuration, logger: logger)
        let location: MetadataLocation
        do {
            location = try MetadataLocation(parsing: configuration.effectiveDatabase)
        } catch {
            throw ServerConfigurationError(key: "database", error.message, underlying: error)
        }
        let auditKeys = try loadAuditKeys(configuration, logger: logger)
        return try await ControlPlane.open(
            location,
            dataPlane: dataPlane,
            configuration: try controlPlaneConfiguration(configuration, auditKeys: auditKeys),
            logger: logger
        )
    }

    /// The control plane's part of the server configuration.
    static func controlPlaneConfiguration(
        _ configuration: ServerConfiguration,
        auditKeys: AuditKeyring
    ) throws -> ControlPlane.Configuration {
        var result = ControlPlane.Configuration(
            gcGracePeriod: configuration.gcGracePeriod,
            cacheLifetime: configuration.cacheLifetime,
            auditKeys: auditKeys,
            redirectExemptNamespaces: Set(configuration.redirectExemptNamespaces),
            registryTokens: configuration.registryTokenSettings,
            directory: try configuration.directorySettings()
        )
        result.webhookNetworks = configuration.webhookAllowedNetworks
        return result
    }

    /// The audit keys from the configured key file, created on the first start. Never logs a key.
    static func loadAuditKeys(_ configuration: ServerConfiguration, logger: Logger) throws -> AuditKeyring {
        let path = configuration.effectiveAuditKeyFile
        do {
            let keys = try AuditKeyring.loadOrCreate(path: path)
            if AuditKeyring.isExposed(path: path) {
                logger.warning("the audit key file can be read by group or others; make it 0600", metadata: ["file": "\(path)"])
            }
            logger.info("audit keys loaded", metadata: ["file": "\(path)", "activeKey": "\(keys.activeID)", "keys": "\(keys.ids.count)"])
            return keys
        } catch let error as AuditKeyError {
            throw ServerConfigurationError(key: "auditKeyFile", error.message, underlying: error)
        }
    }

    static func makeDataPlane(_ configuration: ServerConfiguration, logger: Logger) throws -> any DataPlane {
        if configuration.dataPlane.hasPrefix("unix://") {
            // The daemon owns the backends (`artifactstore dataplane --backend …`); nothing is
            // connected until the first call, and /readyz reports a daemon that is down.
            guard configuration.backends.isEmpty, configuration.defaultBackend == nil else {
                throw ServerConfigurationError(
                    key: "backends",
                    "backends are configured on the data-plane daemon, not on a server using \(configuration.dataPlane)"
                )
            }
            return RemoteDataPlane(socketPath: String(configuration.dataPlane.dropFirst("unix://".count)), logger: logger)
        }
        let factory = StorageFactory(logger: logger)
        var backends: [LocalDataPlane.Backend] = []
        for text in configuration.effectiveBackends {
            let (id, url) = try ServerConfiguration.splitBackend(text)
            do {
                backends.append(.init(id: id, connector: try factory.connector(for: url)))
            } catch {
                throw ServerConfigurationError(key: "backends", "backend \"\(id)\": \(error.message)", underlying: error)
            }
        }
        do {
            return try LocalDataPlane(backends: backends, defaultBackendID: configuration.defaultBackend, logger: logger)
        } catch {
            throw ServerConfigurationError(key: "backends", error.message, underlying: error)
        }
    }

    /// On an empty store, creates the admin token (generated, or `adminToken`) and shows a
    /// generated one once, boxed, on the console. Never logs it.
    static func bootstrap(_ controlPlane: ControlPlane, adminToken: String?, logger: Logger, console: Console) async throws {
        let provided = adminToken.flatMap { $0.isEmpty ? nil : $0 }
        guard let issued = try await controlPlane.auth.bootstrap(providedToken: provided) else { return }
        if provided != nil {
            logger.notice(
                "first start: the admin token is the one in ARTIFACTSTORE_ADMIN_TOKEN (or ARTIFACTSTORE_ADMIN_TOKEN_FILE)",
                metadata: ["token_id": "\(issued.info.id)"]
            )
            return
        }
        logger.notice(
            "first start: a bootstrap admin token was created and shown once on the console",
            metadata: ["token_id": "\(issued.info.id)"]
        )
        console(bootstrapBox(issued.token))
    }

    /// The boxed message with the bootstrap token.
    static func bootstrapBox(_ token: String) -> String {
        let lines = [
            "ArtifactStore first start: bootstrap admin token (shown only this once)",
            "",
            token,
            "",
            "Store it now: it has every scope on every namespace.",
            "Use it as: Authorization: Bearer <token>",
        ]
        let width = lines.map(\.count).max() ?? 0
        let rule = "+" + String(repeating: "-", count: width + 2) + "+"
        let body = lines.map { "| " + $0.padding(toLength: width, withPad: " ", startingAt: 0) + " |" }
        return ([rule] + body + [rule]).joined(separator: "\n") + "\n"
    }
}
