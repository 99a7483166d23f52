import ArtifactStoreAPI
import ArtifactStoreCore
public import AsyncHTTPClient
import Foundation
public import Logging
public import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// A typed client for the ArtifactStore `/v1` HTTP API (docs/api.md).
///
/// Exists so the CLI, scripts and other services talk to a server through one code path that
/// turns every answer into a value or a ``ClientError`` with the server's stable code. Bytes are
/// streamed in both directions: uploads read a file chunk by chunk, downloads write each chunk to
/// disk as it arrives, so memory does not grow with object size. The client is a value: cheap to
/// copy and safe to share between tasks.
public struct ArtifactStoreClient: Sendable {
    /// The server's base URL, e.g. `http://127.0.0.1:8080`, without a trailing `/`.
    public let server: String
    let token: String?
    let httpClient: HTTPClient
    let logger: Logger
    /// The deadline for one JSON request (not for a transfer, which has no overall deadline).
    public var requestTimeout: TimeAmount = .seconds(120)
    /// The most bytes of an error or JSON response body the client reads.
    static let maximumJSONBytes = 64 << 20

    /// - Parameters:
    ///   - server: `http://host:port` or `https://…`; a trailing `/` is ignored.
    ///   - token: sent as `Authorization: Bearer`; `nil` for the unauthenticated endpoints.
    ///   - httpClient: the connection pool to use; its lifetime is the caller's.
    public init(server: String, token: String?, httpClient: HTTPClient = .shared, logger: Logger) {
        var base = server
        while base.hasSuffix("/") { base.removeLast() }
        self.server = base
        self.token = token
        self.httpClient = httpClient
        self.logger = logger
    }

    // MARK: Requests

    /// Builds a request for `/v1/<segments…>`; each segment is percent-encoded on its own, so a
    /// `/` inside a segment stays inside it.
    func makeRequest(
        _ method: HTTPMethod,
        _ segments: [String],
        query: [(String, String)] = []
    ) -> HTTPClientRequest {
        var url = server + "/v1"
        for segment in segments {
            url += "/" + Self.encodePathSegment(segment)
        }
        if !query.isEmpty {
            url += "?" + query.map { "\(Self.encodeQueryPart($0.0))=\(Self.encodeQueryPart($0.1))" }.joined(separator: "&")
        }
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token {
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        request.headers.add(name: "User-Agent", value: "artifactstore-cli/\(ArtifactStoreVersion.current)")
        return request
    }

    /// Percent-encodes one path segment; `.` and `..` are encoded too, so no URL normalisation
    /// can turn a segment into a step up the path (the server refuses them).
    static func encodePathSegment(_ segment: String) -> String {
        if segment == "." || segment == ".." { return String(repeating: "%2E", count: segment.count) }
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        allowed.insert(charactersIn: "-._~:@")
        return segment.addingPercentEncoding(withAllowedCharacters: allowed) ?? segment
    }

    static func encodeQueryPart(_ part: String) -> String {
        var allowed = CharacterSet.alphanumerics.intersection(CharacterSet(charactersIn: Unicode.Scalar(0)...Unicode.Scalar(127)))
        allowed.insert(charactersIn: "-._~:")
        return part.addingPercentEncoding(withAllowedCharacters: allowed) ?? part
    }

    /// Sends `request`; a failure to reach the server becomes `serverUnreachable`.
    func execute(_ request: HTTPClientRequest, timeout: TimeAmount? = nil) async throws -> HTTPClientResponse {
        do {
            return try await httpClient.execute(request, timeout: timeout ?? requestTimeout, logger: logger)
        } catch let error as ClientError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw Self.unreachable(server, error)
        }
    }

    /// Sends `request` and decodes the JSON body of a response with one of `expected` statuses;
    /// any other status becomes the server's error.
    func send<Response: Decodable>(
        _ request: HTTPClientRequest,
        body: (some Encodable)? = nil as Empty?,
        expected: Set<Int> = [200, 201],
        as type: Response.Type = Response.self
    ) async throws -> Response {
        let (request, bytes) = try await exchange(request, body: body, expected: expected)
        do {
            return try APIJSON.decoder().decode(Response.self, from: Data(buffer: bytes))
        } catch {
            throw ClientError(
                .badResponse,
                "the server's answer to \(request.method.rawValue) \(request.url) is not the expected JSON: \(error)",
                underlying: error
            )
        }
    }

    /// Sends `request` and expects an empty success (204, or 200/201 whose body is ignored).
    func sendExpectingNoContent(_ request: HTTPClientRequest, body: (some Encodable)? = nil as Empty?) async throws {
        _ = try await exchange(request, body: body, expected: Set(200..<300))
    }

    /// Sends `request` with `body` as JSON and reads the answer's body; a status outside
    /// `expected` becomes the server's error.
    private func exchange(
        _ request: HTTPClientRequest,
        body: (some Encodable)?,
        expected: Set<Int>
    ) async throws -> (HTTPClientRequest, ByteBuffer) {
        var request = request
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try APIJSON.encoder().encode(body)))
        }
        let response = try await execute(request)
        let bytes = try await readBody(response, what: request.url)
        guard expected.contains(Int(response.status.code)) else {
            throw Self.serverError(status: Int(response.status.code), body: bytes, request: request)
        }
        return (request, bytes)
    }

    func readBody(_ response: HTTPClientResponse, what: String) async throws -> ByteBuffer {
        do {
            return try await response.body.collect(upTo: Self.maximumJSONBytes)
        } catch {
            throw ClientError(.serverUnreachable, "the answer to \(what) was cut off: \(error)", underlying: error)
        }
    }

    /// The server's `{"error":{"code","message"}}` as a ``ClientError``; a body without that
    /// shape (a proxy's page, a HEAD) gets the code the server gives that status, or
    /// `badResponse` when it has none; the status is kept either way.
    static func serverError(status: Int, body: ByteBuffer, request: HTTPClientRequest) -> ClientError {
        if let envelope = try? APIJSON.decoder().decode(ErrorBody.self, from: Data(buffer: body)) {
            return ClientError(serverCode: envelope.error.code, message: envelope.error.message, status: status)
        }
        let message = "\(request.method.rawValue) \(request.url) answered HTTP \(status)"
        let code: APIErrorCode
        switch status {
        case 400: code = .badRequest
        case 401: code = .unauthenticated
        case 403: code = .forbidden
        case 404: code = .notFound
        case 416: code = .rangeNotSatisfiable
        case 500..<600: code = .internalError
        default: return ClientError(.badResponse, message, status: status)
        }
        return ClientError(code, message: message, status: status)
    }
}

/// A JSON body with no fields, for requests that send none.
struct Empty: Codable {}

extension ArtifactStoreClient {
    /// The `HTTPClient` configuration a command-line client wants: a server that refuses the
    /// connection fails at once (no retries with back-off), connecting gives up after 10 s, a
    /// stalled read after 10 minutes, up to 32 connections per server for parallel transfers, and
    /// up to 3 redirects followed.
    public static var commandLineHTTPConfiguration: HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = HTTPClient.Configuration.Timeout(connect: .seconds(10), read: .minutes(10))
        configuration.connectionPool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: .seconds(60),
            concurrentHTTP1ConnectionsPerHostSoftLimit: 32
        )
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .disabled
        // A download from an S3 backend with `redirect=true` is a 307 to a presigned URL: follow
        // it (the Authorization header is not sent to another origin). The bytes are still
        // checked against their digest before a file is kept.
        configuration.redirectConfiguration = .follow(max: 3, allowCycles: false)
        return configuration
    }
}
