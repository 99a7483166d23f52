import ArgumentParser
import ArtifactStoreAPI
import ArtifactStoreClient
import ArtifactStoreCore
import AsyncHTTPClient
import Foundation
import Logging

/// The options every client command takes: where the server is, which token to send, and
/// whether to print JSON.
struct ClientOptions: ParsableArguments {
    @Option(name: .long, help: "The server, e.g. http://127.0.0.1:8080 (default: $ARTIFACTSTORE_SERVER, then the login file).")
    var server: String?

    @Option(name: .long, help: "The token (default: $ARTIFACTSTORE_TOKEN, then the login file).")
    var token: String?

    @Option(
        name: .customLong("ca-cert"),
        help: "A PEM file of CA certificates to trust for an https:// server, besides the system's (default: $ARTIFACTSTORE_CA_CERT)."
    )
    var caCert: String?

    @Flag(name: .long, help: "Print machine-readable JSON on standard output (errors too).")
    var json = false

    /// Resolves the settings, builds a client and runs `body`; any error is printed (as text on
    /// standard error, or as the JSON error object on standard output) and becomes the exit
    /// status of docs/cli.md.
    func run(requireToken: Bool = true, _ body: (ArtifactStoreClient) async throws -> Void) async throws {
        do {
            let environment = ProcessInfo.processInfo.environment
            let settings = try ClientSettings.resolve(
                server: server,
                token: token,
                environment: environment,
                loginFile: LoginFile(environment: environment),
                requireToken: requireToken
            )
            // One pool per command, shut down before the process exits.
            let caFile = caCert ?? environment["ARTIFACTSTORE_CA_CERT"].flatMap { $0.isEmpty ? nil : $0 }
            let configuration = try ArtifactStoreClient.commandLineHTTPConfiguration(caCertificateFile: caFile)
            let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
            do {
                try await body(makeClient(settings, httpClient: httpClient))
            } catch {
                try? await httpClient.shutdown()
                throw error
            }
            try await httpClient.shutdown()
        } catch let exit as ExitCode {
            throw exit
        } catch {
            throw CLIOutput(json: json).failure(error)
        }
    }

    func makeClient(_ settings: ClientSettings, httpClient: HTTPClient) -> ArtifactStoreClient {
        // The CLI is the application, so it owns its logger: warnings and worse, to standard error.
        var logger = Logger(label: "artifactstore.client", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .warning
        return ArtifactStoreClient(server: settings.server, token: settings.token, httpClient: httpClient, logger: logger)
    }
}

/// How a client command prints: human text, or JSON on standard output.
struct CLIOutput {
    let json: Bool

    /// Prints `value` as one line of JSON (with `--json`) or `text` (without).
    func print(_ value: some Encodable, text: @autoclosure () -> String) throws {
        if json {
            let data = try APIJSON.encoder().encode(value)
            FileOutput.standardOutput.write(String(decoding: data, as: UTF8.self) + "\n")
        } else {
            let line = text()
            if !line.isEmpty { FileOutput.standardOutput.write(line.hasSuffix("\n") ? line : line + "\n") }
        }
    }

    /// Reports `error`: the JSON error object on standard output with `--json`, else
    /// `artifactstore: error: <code>: <message>` on standard error.
    func report(_ error: any Error) {
        if json {
            let code = (error as? any ArtifactStoreError)?.code ?? CLIErrorCode.failure.rawValue
            let message = (error as? any ArtifactStoreError)?.message ?? "\(error)"
            let object = ["error": ["code": code, "message": message]]
            let data = (try? APIJSON.encoder().encode(object)) ?? Data()
            FileOutput.standardOutput.write(String(decoding: data, as: UTF8.self) + "\n")
        } else {
            reportError(error)
        }
    }

    /// Reports `error` (``report(_:)``) and gives the exit status its code declares
    /// (``ExitStatus/init(for:)``): how every command ends on an error, so one code ends any
    /// command with the same status and is printed the same way.
    func failure(_ error: any Error) -> ExitCode {
        report(error)
        return ExitCode(ExitStatus(for: error).rawValue)
    }
}

/// Parses a command-line argument with a library parser, turning its error into a usage error
/// printed the command's way.
func parseArgument<Value>(_ options: ClientOptions, _ parse: () throws -> Value) throws -> Value {
    do {
        return try parse()
    } catch {
        throw CLIOutput(json: options.json).failure(error)
    }
}
