import ArtifactStorage
import ArtifactStorageFileSystem
import Logging
import NIOPosix

/// Turns storage URLs into connectors, connected backends and sessions.
///
/// Each URL scheme has a handler that builds a ``StorageConnector`` from a parsed
/// ``StorageURL``. `file` and `memory` are registered by default; other schemes (`s3`, once its
/// module is linked) are registered by the application with ``register(scheme:_:)``, so this
/// module does not depend on every backend. An `s3` URL is validated here even before a
/// handler exists, so configuration errors surface the same way either way.
public struct StorageFactory: Sendable {
    /// Builds a connector for a URL of one scheme; throws `invalidConfiguration` for a bad URL.
    public typealias Handler = @Sendable (StorageURL) throws(StorageError) -> any StorageConnector

    private var handlers: [String: Handler]

    /// A factory with the `file` and `memory` handlers.
    ///
    /// - Parameters:
    ///   - logger: passed to the backends that log (the filesystem backend).
    ///   - threadPool: where filesystem backends run blocking calls.
    public init(logger: Logger, threadPool: NIOThreadPool = .singleton) {
        self.handlers = [
            "file": { (url: StorageURL) throws(StorageError) -> any StorageConnector in
                try Self.fileConnector(url, logger: logger, threadPool: threadPool)
            },
            "memory": { (url: StorageURL) throws(StorageError) -> any StorageConnector in
                try Self.memoryConnector(url)
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
        if url.scheme == "s3" {
            _ = try S3StorageLocation(url: url)
        }
        guard let handler = handlers[url.scheme] else {
            let hint = url.scheme == "s3" ? " (the S3 backend is not linked into this build yet)" : ""
            throw StorageError(
                .invalidConfiguration,
                "storage URL \(StorageURL.quote(StorageURL.redacting(text))): scheme \"\(url.scheme)\" is not supported\(hint); supported: \(schemes.joined(separator: ", "))"
            )
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
        func bad(_ part: String, _ why: String) -> StorageError {
            StorageError(.invalidConfiguration, "storage URL \(StorageURL.quote(url.redactedText)): \(part) \(why)")
        }
        try url.requireOnlyQueryItems([])
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
        return try FileSystemConnector(rootPath: root, threadPool: threadPool, logger: logger)
    }

    static func memoryConnector(_ url: StorageURL) throws(StorageError) -> any StorageConnector {
        try url.requireOnlyQueryItems([])
        guard url.path.isEmpty || url.path == "/" else {
            throw StorageError(
                .invalidConfiguration,
                "storage URL \(StorageURL.quote(url.redactedText)): path \(StorageURL.quote(url.path)) is not allowed; use memory://name"
            )
        }
        guard !url.host.isEmpty else {
            throw StorageError(.invalidConfiguration, "storage URL \(StorageURL.quote(url.redactedText)): store name is missing; use memory://name")
        }
        do {
            return try MemoryConnector(name: url.host)
        } catch {
            throw StorageError(.invalidConfiguration, "storage URL \(StorageURL.quote(url.redactedText)): \(error.message)")
        }
    }
}
