public import ArtifactControlPlane
public import AsyncHTTPClient
public import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// Webhook requests over AsyncHTTPClient, bounded: no redirect is followed (a 3xx is a failed
/// attempt), connecting and each request have timeouts, and at most ``maximumResponseBytes`` of
/// an answer are read (the rest is dropped with the connection). No proxy from the environment
/// is used, so the SSRF check (``WebhookNetworkPolicy``) sees where requests really go.
public struct WebhookHTTPTransport: WebhookTransport {
    let client: HTTPClient
    let requestTimeout: TimeAmount
    static let maximumResponseBytes = 64 * 1024

    /// A client for webhooks (shut it down with ``HTTPClient/shutdown()``).
    public static func makeClient(connectTimeout: TimeAmount = .seconds(5), readTimeout: TimeAmount = .seconds(10)) -> HTTPClient {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: connectTimeout, read: readTimeout)
        )
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    public init(client: HTTPClient, requestTimeout: TimeAmount = .seconds(30)) {
        self.client = client
        self.requestTimeout = requestTimeout
    }

    public func post(url: String, headers: [(String, String)], body: [UInt8]) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "User-Agent", value: "artifactstore-webhooks")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: requestTimeout)
            var read = 0
            for try await chunk in response.body {
                read += chunk.readableBytes
                if read >= Self.maximumResponseBytes { break }
            }
            return Int(response.status.code)
        } catch {
            throw WebhookTransportFailure(Self.reason(error))
        }
    }

    /// What a failed request's error means, without the library's type names.
    static func reason(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .connectTimeout: return "connecting to the endpoint timed out"
            case .readTimeout, .deadlineExceeded: return "the endpoint did not answer in time"
            case .remoteConnectionClosed: return "the endpoint closed the connection without an answer"
            default: return "the request failed (\(error.shortDescription))"
            }
        }
        if let error = error as? IOError, error.errnoCode == ECONNREFUSED { return "the connection was refused" }
        if error is NIOConnectionError { return "the endpoint could not be reached" }
        return "the request failed without an answer"
    }
}

/// Runs ``WebhookDeliveryService`` with an HTTP client that lives as long as the service.
struct WebhookDeliveryRunner: Service {
    let controlPlane: ControlPlane
    let settings: WebhookDeliverySettings
    let interval: Duration
    /// Called with each round's report (the server's metrics).
    let onReport: @Sendable (WebhookRoundReport) -> Void

    func run() async throws {
        let client = WebhookHTTPTransport.makeClient()
        let transport = WebhookHTTPTransport(client: client, requestTimeout: .seconds(30))
        let dispatcher = WebhookDispatcher(controlPlane: controlPlane, transport: transport, settings: settings)
        do {
            try await WebhookDeliveryService(dispatcher: dispatcher, interval: interval, onReport: onReport).run()
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }
}
