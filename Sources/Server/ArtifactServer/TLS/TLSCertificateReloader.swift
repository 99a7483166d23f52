import Foundation
public import Logging
import NIOCore
public import NIOSSL
import Synchronization

/// The certificate `serve` presents, replaceable while the server runs.
///
/// Exists so a renewed certificate (certbot, cert-manager) takes effect on SIGHUP without a
/// restart and without dropping a connection. Hummingbird's TLS channel builds one
/// `NIOSSLContext` at the start; its configuration here carries an `sslContextCallback`, which
/// BoringSSL calls on every client hello, and which hands that handshake the identity held now.
/// Promises:
/// - a connection keeps the certificate it was opened with; every handshake after a successful
///   ``reload()`` presents the new one;
/// - a reload that fails (unreadable file, not PEM, key and certificate not a pair) changes
///   nothing: the server goes on presenting the previous certificate;
/// - no key material is ever logged or put in an error.
public final class TLSCertificateReloader: Sendable {
    public let certificateFile: String
    public let keyFile: String
    private let current: Mutex<TLSIdentity>
    private let logger: Logger

    /// Loads and checks the pair (``TLSIdentity/load(certificateFile:keyFile:)``).
    public init(certificateFile: String, keyFile: String, logger: Logger) throws(ServerConfigurationError) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.logger = logger
        let identity = try TLSIdentity.load(certificateFile: certificateFile, keyFile: keyFile)
        self.current = Mutex(identity)
        Self.warnIfExpired(identity, file: certificateFile, logger: logger)
    }

    /// The identity presented to the next handshake.
    public var identity: TLSIdentity { current.withLock { $0 } }

    /// Reads the files again; on success the next handshakes present the new pair.
    ///
    /// - Throws: ``ServerConfigurationError`` (`tlsUnusable`); the previous pair stays in use.
    public func reload() throws(ServerConfigurationError) {
        let identity = try TLSIdentity.load(certificateFile: certificateFile, keyFile: keyFile)
        current.withLock { $0 = identity }
        Self.warnIfExpired(identity, file: certificateFile, logger: logger)
        logger.notice(
            "TLS certificate reloaded",
            metadata: ["file": "\(certificateFile)", "notValidAfter": "\(Self.timestamp(identity.notValidAfter))"]
        )
    }

    /// What the signal handler calls: ``reload()``, logging a refusal instead of throwing.
    @discardableResult
    public func reloadLoggingFailure() -> Bool {
        do {
            try reload()
            return true
        } catch {
            logger.error("TLS certificate not reloaded; still presenting the previous one", metadata: ["error": "\(error.message)"])
            return false
        }
    }

    /// The server configuration for Hummingbird's TLS channel: the identity loaded first, and a
    /// callback that gives each handshake the identity current at that moment. The callback
    /// replaces only the certificate and key, so what ALPN offers (`applicationProtocols`, most
    /// preferred first) is the same for every handshake.
    public func serverConfiguration(applicationProtocols: [String] = ["http/1.1"]) -> TLSConfiguration {
        var configuration = identity.baseConfiguration(applicationProtocols: applicationProtocols)
        configuration.sslContextCallback = { [self] _, promise in
            let identity = self.identity
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = identity.certificateChain.map { .certificate($0) }
            override.privateKey = .privateKey(identity.privateKey)
            promise.succeed(override)
        }
        return configuration
    }

    static func warnIfExpired(_ identity: TLSIdentity, file: String, logger: Logger) {
        guard identity.notValidAfter < Int(Date().timeIntervalSince1970) else { return }
        logger.warning(
            "the TLS certificate has expired; clients will refuse it until it is renewed and reloaded (SIGHUP)",
            metadata: ["file": "\(file)", "notValidAfter": "\(timestamp(identity.notValidAfter))"]
        )
    }

    static func timestamp(_ seconds: Int) -> String {
        ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}
