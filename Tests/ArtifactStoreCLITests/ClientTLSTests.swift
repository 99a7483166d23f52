import ArtifactStoreAPI
import ArtifactStoreClient
import ArtifactStoreTestSupport
import AsyncHTTPClient
import Foundation
import Logging
import Testing

/// The client and the CLI against `serve --tls-cert/--tls-key` (issue 20, part 1): a custom CA
/// trusted by `--ca-cert`, `ARTIFACTSTORE_CA_CERT` or the library's configuration; without it the
/// server is refused with `tlsUntrusted`; a bad CA file is refused before any request.
@Suite(
    "client and CLI with a custom CA",
    .serialized,
    .timeLimit(.minutes(5)),
    .enabled(if: TestCertificateAuthority.isAvailable, "openssl is not on PATH")
)
struct ClientTLSTests {
    static func withServer(_ body: (ServerProcess, TestCertificateAuthority) async throws -> Void) async throws {
        let authority = try TestCertificateAuthority()
        defer { authority.remove() }
        let issued = try authority.issue("server")
        let server = try ServerProcess(tls: (issued.certificatePath, issued.keyPath, authority.certificatePath))
        try await body(server, authority)
    }

    static func whoami(_ server: ServerProcess, _ configuration: HTTPClient.Configuration) async throws -> Set<Grant> {
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let client = ArtifactStoreClient(
                server: server.url,
                token: server.adminToken,
                httpClient: httpClient,
                logger: Logger(label: "test")
            )
            let grants = Set(try await client.whoami().grants)
            try await httpClient.shutdown()
            return grants
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
    }

    @Test("the library trusts the CA file it is given; without it the server is refused with tlsUntrusted (exit 7)")
    func library() async throws {
        try await Self.withServer { server, authority in
            let trusting = try ArtifactStoreClient.commandLineHTTPConfiguration(caCertificateFile: authority.certificatePath)
            #expect(try await Self.whoami(server, trusting).contains(.global(.admin)))
            let error = await #expect(throws: ClientError.self) {
                _ = try await Self.whoami(server, ArtifactStoreClient.commandLineHTTPConfiguration)
            }
            #expect(error?.kind == .tlsUntrusted && error?.exitStatus == .server)
            #expect(error?.message.contains("--ca-cert") == true && error?.message.contains("NIOSSL") == false)
        }
    }

    @Test("the CLI with --ca-cert and with ARTIFACTSTORE_CA_CERT answers; without, exit 7 tlsUntrusted")
    func commandLine() async throws {
        try await Self.withServer { server, authority in
            let user = try CLIUser(server)
            let token = ["ARTIFACTSTORE_TOKEN": server.adminToken]
            let flag = try user.run(["token", "list", "--server", server.url, "--ca-cert", authority.certificatePath], extra: token)
            #expect(flag.status == 0, "\(flag.standardError)")
            #expect(flag.standardOutput.contains("bootstrap-admin"))
            let variable = try user.run(
                ["token", "list", "--server", server.url],
                extra: token.merging(["ARTIFACTSTORE_CA_CERT": authority.certificatePath]) { $1 }
            )
            #expect(variable.status == 0, "\(variable.standardError)")
            let refused = try user.run(["token", "list", "--server", server.url], extra: token)
            #expect(refused.status == 7)
            #expect(refused.standardError.hasPrefix("artifactstore: error: tlsUntrusted: the TLS certificate of \(server.url) was refused"))
        }
    }

    @Test("a CA file that is missing or holds no certificate: invalidArgument (exit 2) naming it, no request made")
    func badCAFile() throws {
        let directory = try TemporaryDirectory()
        let missing = directory.url.appendingPathComponent("missing.pem").path
        let notPEM = try directory.file("not.pem", contents: Array("hello\n".utf8))
        for (path, message) in [
            (missing, "cannot read the CA certificate file \"\(missing)\"; check --ca-cert or ARTIFACTSTORE_CA_CERT"),
            (notPEM, "\"\(notPEM)\" holds no PEM certificate (-----BEGIN CERTIFICATE-----); check --ca-cert or ARTIFACTSTORE_CA_CERT"),
        ] {
            let error = #expect(throws: ClientError.self) {
                _ = try ArtifactStoreClient.commandLineHTTPConfiguration(caCertificateFile: path)
            }
            #expect(error?.kind == .invalidArgument && error?.message == message)
            // Port 9 (discard) on loopback: nothing would answer, so exit 2 shows no request was tried first.
            let output = try CLIProcess.run(
                ["ls", "--server", "https://127.0.0.1:9", "--token", "ast_x", "--ca-cert", path],
                environment: ["HOME": directory.url.path, "ARTIFACTSTORE_SERVER": "", "ARTIFACTSTORE_TOKEN": ""]
            )
            #expect(output.status == 2 && output.standardError == "artifactstore: error: invalidArgument: \(message)\n")
        }
    }
}
