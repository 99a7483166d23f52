public import ArtifactStorage
import ArtifactStorageFileSystem
import ArtifactStorageS3
public import AsyncHTTPClient
public import Foundation
public import Logging
public import NIOPosix

/// Turns storage URLs into connectors, connected backends and sessions.
///
/// Each URL scheme has a handler that builds a ``StorageConnector`` from a parsed
/// ``StorageURL``. `file`, `memory` and `s3` are registered by default; an application adds
/// (or replaces) others with ``register(scheme:_:)``. Each handler is the one parser of its
/// scheme's rules — for `s3`, `S3Configuration(url:)` — so a URL is refused the same way
/// whether it comes through the factory or is given to the backend directly.
public struct StorageFactory: Sendable {
    /// Builds a connector for a URL of one scheme; throws `invalidConfiguration` for a bad URL.
    public typealias Handler = @Sendable (StorageURL) throws(StorageError) -> any StorageConnector

    private var handlers: [String: Handler]

    /// A factory with the `file`, `memory` and `s3` handlers.
    ///
    /// - Parameters:
    ///   - logger: passed to the backends that log (filesystem and S3).
    ///   - threadPool: where filesystem backends run blocking calls.
    ///   - httpClient: what S3 connectors send requests with. `HTTPClient.shared` suits a
    ///     short-lived CLI. A server passes one built with `S3Client.recommendedHTTPConfiguration`
    ///     (no redirects, no decompression, short connect timeout) and owns its shutdown: the
    ///     factory and its connectors never shut it down.
    ///   - environment: where S3 connectors read `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
    ///     `AWS_SESSION_TOKEN` (credentials never come from the URL); the process environment
    ///     unless a caller (a test) supplies its own.
    public init(
        logger: Logger,
        threadPool: NIOThreadPool = .singleton,
        httpClient: HTTPClient = .shared,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.handlers = [
            "file": { (url: StorageURL) throws(StorageError) -> any StorageConnector in
                try Self.fileConnector(url, logger: logger, threadPool: threadPool)
            },
            "memory": { (url: StorageURL) throws(StorageError) -> any StorageConnector in
                try Self.memoryConnector(url)
            },
            "s3": { (url: StorageURL) throws(StorageError) -> any StorageConnector in
                try S3Connector(
                    configuration: try S3Configuration(url: url),
                    httpClient: httpClient,
                    logger: logger,
                    environment: environment
                )
            },
        ]
    }

    /// Registers (or replaces) the handler for `scheme` (lower-case, e.g. `s3`).
    public mutating func register(scheme: String, _ handler: @escaping Handler) {
        handlers[scheme.lowercased()] = handler
    }

    /// The schemes this factory can connect to.
    public var schemes: [String] { handlers.keys.sorted() }

    /// Parses `text` and builds its connector. Nothing is contacted yet.
    public func connector(for text: String) throws(StorageError) -> any StorageConnector {
        let url = try StorageURL(parsing: text)
        guard let handler = handlers[url.scheme] else {
            throw url.invalid("scheme", "\"\(url.scheme)\" is not supported; supported: \(schemes.joined(separator: ", "))")
        }
        return try handler(url)
    }

    /// Parses `text`, checks the backend is there and returns the scoped backend.
    public func connect(_ text: String) async throws(StorageError) -> any StorageBackend {
        let connector = try connector(for: text)
        try await connector.verifyConnection()
        return try await connector.connect()
    }

    /// Connects and wraps the backend in a ``StorageSession``.
    public func session(
        _ text: String,
        sessionID: String,
        user: String?,
        credentials: StorageCredentials?,
        logger: Logger
    ) async throws(StorageError) -> StorageSession {
        let backend = try await connect(text)
        return StorageSession(backend: backend, url: text, sessionID: sessionID, user: user, credentials: credentials, logger: logger)
    }

    // MARK: Built-in schemes

    static func fileConnector(_ url: StorageURL, logger: Logger, threadPool: NIOThreadPool) throws(StorageError) -> any StorageConnector {
        func bad(_ part: String, _ why: String) -> StorageError { url.invalid(part, why) }
        try url.requireOnlyQueryItems(["sync"])
        var syncMode = FileSystemSyncMode.automatic
        if let value = url.queryValue("sync") {
            do {
                syncMode = try FileSystemSyncMode(urlValue: value)
            } catch {
                throw bad("query", error.message)
            }
        }
        guard url.host.isEmpty || url.host.lowercased() == "localhost" else {
            throw bad("host", "\(StorageURL.quote(url.host)) is not allowed; use file:///absolute/path (or file://localhost/…)")
        }
        guard url.path.hasPrefix("/") else {
            throw bad("path", "is missing; use file:///absolute/path")
        }
        var segments = url.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if segments.last == "" && segments.count > 1 { segments = segments.dropLast() }
        for segment in segments where segment.isEmpty || segment == "." || segment == ".." {
            if segments.count == 1 && segment.isEmpty { break }  // file:/// — the filesystem root
            throw bad("path", "\(StorageURL.quote(url.path)) has an empty, \".\" or \"..\" segment; give the directory plainly")
        }
        let root = "/" + segments.joined(separator: "/")
        return try FileSystemConnector(rootPath: root, threadPool: threadPool, logger: logger, syncMode: syncMode)
    }

    static func memoryConnector(_ url: StorageURL) throws(StorageError) -> any StorageConnector {
        try url.requireOnlyQueryItems([])
        guard url.path.isEmpty || url.path == "/" else {
            throw url.invalid("path", "\(StorageURL.quote(url.path)) is not allowed; use memory://name")
        }
        guard !url.host.isEmpty else {
            throw url.invalid("store name", "is missing; use memory://name")
        }
        do {
            return try MemoryConnector(name: url.host)
        } catch {
            throw StorageError(.invalidConfiguration, "storage URL \(StorageURL.quote(url.redactedText)): \(error.message)")
        }
    }
}
