import Foundation
public import NIOSSL

/// The server's certificate chain and private key, read from PEM files and checked to belong
/// together.
///
/// Exists so a bad certificate or key stops `serve` before anything is opened, with a message
/// naming the file and the configuration key (`tlsCert`, `tlsKey`) and never the key's bytes,
/// and so a reload (SIGHUP) can refuse a bad pair while the server keeps the one it has.
public struct TLSIdentity: Sendable {
    /// The leaf certificate first, then its intermediates.
    public let certificateChain: [NIOSSLCertificate]
    public let privateKey: NIOSSLPrivateKey

    /// Reads and checks `certificateFile` and `keyFile`.
    ///
    /// - Throws: ``ServerConfigurationError`` with code `tlsUnusable` when a file cannot be read,
    ///   is not PEM, holds no certificate, or the key does not belong to the first certificate.
    public static func load(certificateFile: String, keyFile: String) throws(ServerConfigurationError) -> TLSIdentity {
        let certificateBytes = try read(certificateFile, key: "tlsCert", what: "certificate")
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(certificateBytes)
        } catch {
            throw ServerConfigurationError(
                .tlsUnusable,
                key: "tlsCert",
                "\"\(certificateFile)\" is not a PEM certificate chain (-----BEGIN CERTIFICATE-----); check --tls-cert"
            )
        }
        guard !chain.isEmpty else {
            throw ServerConfigurationError(
                .tlsUnusable,
                key: "tlsCert",
                "\"\(certificateFile)\" holds no certificate; check --tls-cert"
            )
        }
        let keyBytes = try read(keyFile, key: "tlsKey", what: "private key")
        let privateKey: NIOSSLPrivateKey
        do {
            // No passphrase callback: an encrypted key is refused here rather than prompting.
            privateKey = try NIOSSLPrivateKey(bytes: keyBytes, format: .pem)
        } catch {
            throw ServerConfigurationError(
                .tlsUnusable,
                key: "tlsKey",
                "\"\(keyFile)\" is not an unencrypted PEM private key (-----BEGIN PRIVATE KEY-----); check --tls-key"
            )
        }
        let identity = TLSIdentity(certificateChain: chain, privateKey: privateKey)
        do {
            // BoringSSL compares the key with the leaf certificate's public key here.
            _ = try NIOSSLContext(configuration: identity.baseConfiguration())
        } catch {
            throw ServerConfigurationError(
                .tlsUnusable,
                key: "tlsKey",
                "the private key in \"\(keyFile)\" does not belong to the certificate in \"\(certificateFile)\"; "
                    + "pass the key the certificate was issued for"
            )
        }
        return identity
    }

    /// A server configuration presenting this identity, TLS 1.2 or later, offering
    /// `applicationProtocols` by ALPN in order of preference (HTTP/1.1 alone by default).
    func baseConfiguration(applicationProtocols: [String] = ["http/1.1"]) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: certificateChain.map { .certificate($0) },
            privateKey: .privateKey(privateKey)
        )
        configuration.minimumTLSVersion = .tlsv12
        configuration.applicationProtocols = applicationProtocols
        return configuration
    }

    /// The seconds since 1970 after which the leaf certificate is no longer valid.
    public var notValidAfter: Int { Int(certificateChain[0].notValidAfter) }

    /// The bytes of `path`; an error naming the key and the reason otherwise (no contents).
    private static func read(_ path: String, key: String, what: String) throws(ServerConfigurationError) -> [UInt8] {
        guard !path.isEmpty else {
            throw ServerConfigurationError(.tlsUnusable, key: key, "the \(what) file path is empty")
        }
        do {
            return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ServerConfigurationError(
                .tlsUnusable,
                key: key,
                "cannot read the \(what) file \"\(path)\": \(ServerConfiguration.reason(error)); check the path and its permissions"
            )
        }
    }
}
