public import AsyncHTTPClient
import Foundation
import NIOSSL

extension ArtifactStoreClient {
    /// ``commandLineHTTPConfiguration`` that also trusts the CA certificates in `caCertificateFile`
    /// (PEM, one or more), besides the system's roots (which a redirect to S3 may still need).
    ///
    /// Exists for servers whose certificate a private CA signed (`--ca-cert`,
    /// `ARTIFACTSTORE_CA_CERT`). Host names are still checked against the certificate.
    ///
    /// - Throws: ``ClientError`` `invalidArgument` naming the file when it cannot be read or holds
    ///   no PEM certificate.
    public static func commandLineHTTPConfiguration(caCertificateFile: String?) throws(ClientError) -> HTTPClient.Configuration {
        var configuration = commandLineHTTPConfiguration
        guard let caCertificateFile else { return configuration }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.additionalTrustRoots = [.certificates(try caCertificates(caCertificateFile))]
        configuration.tlsConfiguration = tls
        return configuration
    }

    /// The certificates in a PEM file, or an error naming the file (never its contents).
    static func caCertificates(_ path: String) throws(ClientError) -> [NIOSSLCertificate] {
        let bytes: Data
        do {
            bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ClientError(
                .invalidArgument,
                "cannot read the CA certificate file \"\(path)\"; check --ca-cert or ARTIFACTSTORE_CA_CERT",
                underlying: error
            )
        }
        let certificates = try? NIOSSLCertificate.fromPEMBytes(Array(bytes))
        guard let certificates, !certificates.isEmpty else {
            throw ClientError(
                .invalidArgument,
                "\"\(path)\" holds no PEM certificate (-----BEGIN CERTIFICATE-----); check --ca-cert or ARTIFACTSTORE_CA_CERT"
            )
        }
        return certificates
    }

    /// A failure to reach `server` as a person reads it: a refused TLS certificate says so and
    /// what to do; anything else keeps the transport's description.
    static func unreachable(_ server: String, _ error: any Error) -> ClientError {
        if error is NIOSSLExtraError || error is NIOSSLError {
            return ClientError(
                .tlsUntrusted,
                "the TLS certificate of \(server) was refused: it is not signed by a trusted CA (pass --ca-cert or set "
                    + "ARTIFACTSTORE_CA_CERT to the CA's PEM file) or not issued for this host name (connect by a name it holds)",
                underlying: error
            )
        }
        return ClientError(.serverUnreachable, "cannot reach the server at \(server): \(error)", underlying: error)
    }
}
