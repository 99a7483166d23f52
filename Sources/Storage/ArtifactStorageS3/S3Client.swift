public import ArtifactStorage
public import AsyncHTTPClient
public import Foundation
public import Logging
public import NIOCore
public import NIOHTTP1

/// A thin S3 REST client: signs requests with ``SigV4Signer`` and sends them with
/// AsyncHTTPClient. It knows bucket-relative keys, not storage paths; ``S3Backend`` adds the
/// prefix and the storage semantics on top.
///
/// Owns its `HTTPClient` only when it created it (``init(configuration:logger:)``); call
/// ``shutdown()`` then. A client passed in (or `HTTPClient.shared`) is left to its owner.
/// Secrets are never logged: log lines carry the method, key and status only.
public final class S3Client: Sendable {
    public let configuration: S3Configuration
    let httpClient: HTTPClient
    let ownsHTTPClient: Bool
    let signer: SigV4Signer
    let logger: Logger

    /// Uses `httpClient`, which the caller keeps and shuts down.
    ///
    /// Credentials come from the configuration, else from `AWS_*` in `environment`;
    /// `invalidConfiguration` when neither has them or the configuration is invalid.
    public convenience init(
        configuration: S3Configuration,
        httpClient: HTTPClient,
        logger: Logger,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(StorageError) {
        try self.init(configuration: configuration, httpClient: httpClient, owns: false, logger: logger, environment: environment)
    }

    /// Creates and owns an `HTTPClient` (shared event loops; connect timeout 10 s, read timeout
    /// 60 s, no redirects); ``shutdown()`` releases it.
    public convenience init(
        configuration: S3Configuration,
        logger: Logger,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(StorageError) {
        try configuration.validate()
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: Self.recommendedHTTPConfiguration)
        do {
            try self.init(configuration: configuration, httpClient: client, owns: true, logger: logger, environment: environment)
        } catch {
            try? client.syncShutdown()
            throw error
        }
    }

    private init(
        configuration: S3Configuration,
        httpClient: HTTPClient,
        owns: Bool,
        logger: Logger,
        environment: [String: String]
    ) throws(StorageError) {
        try configuration.validate()
        guard let credentials = configuration.credentials ?? StorageCredentials.fromEnvironment(environment) else {
            throw StorageError(
                .invalidConfiguration,
                "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or configure them for \(configuration.bucket)"
            )
        }
        self.configuration = configuration
        self.httpClient = httpClient
        self.ownsHTTPClient = owns
        self.signer = SigV4Signer(credentials: credentials, region: configuration.region, service: "s3", pathMode: .s3)
        self.logger = logger
    }

    /// The `HTTPClient` settings S3 traffic wants: no redirects (a redirected request would carry
    /// a signature for the wrong host), no transparent decompression (an object stored with
    /// `Content-Encoding: gzip` must come back byte for byte), connect timeout 10 s, read timeout
    /// 60 s. `HTTPClient.shared` differs on all three (it follows redirects, decompresses, and
    /// waits up to 90 s for a connection), so pass a client built with this to serve foreign
    /// objects or to notice an unreachable endpoint quickly.
    public static var recommendedHTTPConfiguration: HTTPClient.Configuration {
        HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: .seconds(60)),
            decompression: .disabled
        )
    }

    /// Shuts down the `HTTPClient` if this client created it; otherwise does nothing.
    public func shutdown() async throws {
        if ownsHTTPClient {
            try await httpClient.shutdown()
        }
    }

    // MARK: Addressing

    /// Where a request for `key` (or the bucket itself when `nil`) goes.
    public struct Target: Sendable, Hashable {
        public var scheme: String
        /// The `Host` header value.
        public var authority: String
        /// The wire path, percent-encoded once.
        public var path: String

        public var url: String { "\(scheme)://\(authority)\(path)" }
    }

    /// Path-style: `endpoint/bucket/key`; virtual-hosted: `bucket.endpoint/key`.
    public func target(key: String?) -> Target {
        let endpoint = configuration.effectiveEndpoint
        let encodedKey = key.map { SigV4Signer.uriEncode($0, keepSlash: true) }
        if configuration.pathStyle {
            return Target(
                scheme: endpoint.scheme,
                authority: endpoint.authority,
                path: "/" + configuration.bucket + (encodedKey.map { "/" + $0 } ?? "")
            )
        }
        var virtual = endpoint
        virtual.host = configuration.bucket + "." + endpoint.host
        return Target(scheme: endpoint.scheme, authority: virtual.authority, path: "/" + (encodedKey ?? ""))
    }

    // MARK: Sending

    /// The lower-case hex SHA-256 that SigV4 signs for `body` (that of no bytes when there is none).
    static func payloadHash(of body: ByteBuffer?) -> String {
        body.map { SigV4Signer.sha256Hex($0.readableBytesView) } ?? SigV4Signer.emptyPayloadHash
    }

    /// Builds the signed request without sending it (also used by tests to check addressing).
    public func signedRequest(
        method: HTTPMethod,
        key: String?,
        query: [SigV4Request.QueryItem] = [],
        headers: [(String, String)] = [],
        body: ByteBuffer? = nil,
        payloadHash: String? = nil,
        date: Date = Date()
    ) -> HTTPClientRequest {
        let target = target(key: key)
        var request = SigV4Request(method: method.rawValue, path: target.path, query: query)
        request.headers.append(.init("Host", target.authority))
        for (name, value) in headers {
            request.headers.append(.init(name, value))
        }
        let payloadHash = payloadHash ?? Self.payloadHash(of: body)
        signer.sign(&request, date: date, payloadHash: payloadHash, addContentSHA256Header: true)

        var url = target.url
        if !query.isEmpty {
            url += "?" + request.encodedQuery
        }
        var http = HTTPClientRequest(url: url)
        http.method = method
        for header in request.headers {
            http.headers.add(name: header.name, value: header.value)
        }
        if let body {
            http.body = .bytes(body)
        } else if method == .PUT || method == .POST {
            http.body = .bytes(ByteBuffer())
        }
        return http
    }

    /// Sends a signed request and returns the response with its body not yet read. Non-2xx
    /// answers become a ``StorageError`` (via ``S3ErrorResponse``); connection failures are
    /// `unreachable`. `timed` requests get ``S3Configuration/requestTimeout`` as deadline; the
    /// others (object bodies, server-side copies) none.
    ///
    /// Server errors (500, 502, 503, 504: S3's InternalError and SlowDown) are retried, as AWS
    /// asks clients to, up to ``maximumAttempts`` times with a doubling, jittered pause
    /// (``retryPause(after:)``), for every method but POST (CreateMultipartUpload would leave an
    /// orphan upload behind).
    func send(
        _ operation: String,
        method: HTTPMethod,
        key: String?,
        path: String? = nil,
        query: [SigV4Request.QueryItem] = [],
        headers: [(String, String)] = [],
        body: ByteBuffer? = nil,
        payloadHash: String? = nil,
        accept: Set<UInt> = [],
        timed: Bool = true
    ) async throws(StorageError) -> HTTPClientResponse {
        // The body is hashed once (or not at all when the caller knows its hash), not per attempt.
        let payloadHash = payloadHash ?? Self.payloadHash(of: body)
        var attempt = 1
        while true {
            // Signed afresh for each attempt (the date is part of the signature).
            let request = signedRequest(method: method, key: key, query: query, headers: headers, body: body, payloadHash: payloadHash)
            let response: HTTPClientResponse
            do {
                let deadline: NIODeadline = timed ? .now() + configuration.requestTimeout : .distantFuture
                response = try await httpClient.execute(request, deadline: deadline, logger: logger)
            } catch {
                if error is CancellationError || Task.isCancelled {
                    throw StorageError(.io, "\(operation) \(describe(key)) was cancelled", path: path, underlying: error)
                }
                throw StorageError(
                    .unreachable,
                    "\(operation) \(describe(key)): cannot reach S3 at \(configuration.effectiveEndpoint): \(error)",
                    path: path,
                    underlying: error
                )
            }
            let status = response.status.code
            logger.debug(
                "s3 request",
                metadata: [
                    "operation": "\(operation)", "method": "\(method.rawValue)", "key": "\(key ?? "")", "status": "\(status)",
                    "attempt": "\(attempt)",
                ]
            )
            if (200..<300).contains(status) || accept.contains(status) {
                return response
            }
            let bodyBytes = (try? await response.body.collect(upTo: 64 * 1024)).map { Array($0.readableBytesView) } ?? []
            let failure = S3ErrorResponse(status: Int(status), body: bodyBytes)
            if [500, 502, 503, 504].contains(status), method != .POST, attempt < Self.maximumAttempts, !Task.isCancelled {
                logger.debug("s3 request will be retried", metadata: ["operation": "\(operation)", "error": "\(failure)"])
                try? await Task.sleep(for: Self.retryPause(after: attempt))
                attempt += 1
                continue
            }
            throw failure.storageError(operation: operation, path: path ?? key)
        }
    }

    /// Attempts per request when S3 answers with a server error.
    public static let maximumAttempts = 6

    /// The pause before retrying a request whose `attempt` failed: at random between half and
    /// all of 100 ms doubled per attempt so far.
    ///
    /// Requests that failed together (many writers of one prefix that S3 slowed down, or
    /// concurrent copies to one key) would otherwise all retry at the same instant and collide
    /// again, attempt after attempt; AWS's retry guidance asks for jitter for this reason.
    package static func retryPause(after attempt: Int) -> Duration {
        let ceiling = 100 << (attempt - 1)
        return .milliseconds(Int.random(in: (ceiling / 2)...ceiling))
    }

    /// Reads a (small) response body whole, at most `limit` bytes.
    func collect(
        _ response: HTTPClientResponse,
        operation: String,
        key: String?,
        limit: Int = 16 * 1024 * 1024
    )
        async throws(StorageError) -> [UInt8]
    {
        do {
            return Array(try await response.body.collect(upTo: limit).readableBytesView)
        } catch {
            throw StorageError(.io, "\(operation) \(describe(key)): reading the response failed: \(error)", underlying: error)
        }
    }

    func describe(_ key: String?) -> String {
        key.map { "of \"\($0)\" in bucket \(configuration.bucket)" } ?? "on bucket \(configuration.bucket)"
    }
}
