public import ArtifactStorage
public import ArtifactStoreCore
import Foundation
public import Logging

/// A scoped backend carrying who is using it: a session id, the acting user and the
/// credentials the session holds.
///
/// Every operation is forwarded unchanged to the wrapped backend and logged through the
/// caller's `Logger` with the session's ``context()`` as metadata, so each log line says which
/// session and user did what to which path, and how it ended. ``context()`` and every log line
/// show secrets as `<redacted>`; the session never logs object contents.
public struct StorageSession: StorageBackend {
    public let backend: any StorageBackend
    /// The storage URL the session was opened with.
    public let url: String
    public let sessionID: String
    public let user: String?
    public let credentials: StorageCredentials?
    let logger: Logger

    public static let redacted = "<redacted>"

    public init(
        backend: any StorageBackend,
        url: String,
        sessionID: String,
        user: String?,
        credentials: StorageCredentials?,
        logger: Logger
    ) {
        self.backend = backend
        self.url = url
        self.sessionID = sessionID
        self.user = user
        self.credentials = credentials
        self.logger = logger
    }

    /// The session's metadata, safe to log or show: secrets are `<redacted>`.
    public func context() -> [String: String] {
        var context = [
            "storage.session": sessionID,
            "storage.url": url,
            "storage.user": user ?? "-",
        ]
        if let credentials {
            context["storage.credentials.accessKeyID"] = credentials.accessKeyID
            context["storage.credentials.secretAccessKey"] = Self.redacted
            if credentials.sessionToken != nil {
                context["storage.credentials.sessionToken"] = Self.redacted
            }
        }
        return context
    }

    // MARK: Forwarding

    public func read(_ path: StoragePath, range: ClosedRange<UInt64>?) async throws(StorageError) -> ByteStream {
        var details = ["storage.path": path.string]
        if let range { details["storage.range"] = "\(range.lowerBound)-\(range.upperBound)" }
        return try await logged("read", details) { () async throws(StorageError) in try await backend.read(path, range: range) }
    }

    @discardableResult
    public func write(
        _ path: StoragePath,
        from bytes: ByteStream,
        options: StorageWriteOptions
    ) async throws(StorageError)
        -> StorageObjectInfo
    {
        var details = ["storage.path": path.string, "storage.overwrite": "\(options.overwrite)"]
        if let mode = options.mode { details["storage.mode"] = "0o" + String(mode, radix: 8) }
        if let owner = options.owner { details["storage.owner"] = owner.user ?? owner.uid.map { "\($0)" } ?? "-" }
        return try await logged("write", details) { () async throws(StorageError) in
            try await backend.write(path, from: bytes, options: options)
        }
    }

    public func delete(_ path: StoragePath) async throws(StorageError) {
        try await logged("delete", ["storage.path": path.string]) { () async throws(StorageError) in try await backend.delete(path) }
    }

    public func exists(_ path: StoragePath) async throws(StorageError) -> Bool {
        try await logged("exists", ["storage.path": path.string]) { () async throws(StorageError) in try await backend.exists(path) }
    }

    public func stat(_ path: StoragePath) async throws(StorageError) -> StorageObjectInfo {
        try await logged("stat", ["storage.path": path.string]) { () async throws(StorageError) in try await backend.stat(path) }
    }

    public func makeDurable(_ path: StoragePath) async throws(StorageError) {
        try await logged("make durable", ["storage.path": path.string]) { () async throws(StorageError) in
            try await backend.makeDurable(path)
        }
    }

    public func list(
        under prefix: StoragePath?,
        recursive: Bool,
        limit: Int,
        cursor: String?
    ) async throws(StorageError)
        -> StorageListPage
    {
        let details = ["storage.path": prefix?.string ?? "", "storage.recursive": "\(recursive)", "storage.limit": "\(limit)"]
        return try await logged("list", details) { () async throws(StorageError) in
            try await backend.list(under: prefix, recursive: recursive, limit: limit, cursor: cursor)
        }
    }

    public func makeDirectory(_ path: StoragePath) async throws(StorageError) {
        try await logged("makeDirectory", ["storage.path": path.string]) { () async throws(StorageError) in
            try await backend.makeDirectory(path)
        }
    }

    public func removeDirectory(_ path: StoragePath) async throws(StorageError) {
        try await logged("removeDirectory", ["storage.path": path.string]) { () async throws(StorageError) in
            try await backend.removeDirectory(path)
        }
    }

    public func move(from source: StoragePath, to destination: StoragePath, options: StorageMoveOptions) async throws(StorageError) {
        let details = [
            "storage.path": source.string, "storage.destination": destination.string, "storage.overwrite": "\(options.overwrite)",
        ]
        try await logged("move", details) { () async throws(StorageError) in
            try await backend.move(from: source, to: destination, options: options)
        }
    }

    public func health() async -> StorageHealth {
        let health = await backend.health()
        var metadata = metadata(["storage.operation": "health"])
        metadata["storage.reachable"] = "\(health.reachable)"
        metadata["storage.writable"] = "\(health.writable)"
        logger.debug("storage health", metadata: metadata)
        return health
    }

    // MARK: Logging

    private func metadata(_ details: [String: String]) -> Logger.Metadata {
        var metadata: Logger.Metadata = [:]
        for (key, value) in context() { metadata[key] = .string(value) }
        for (key, value) in details { metadata[key] = .string(value) }
        return metadata
    }

    func logged<T>(
        _ operation: String,
        _ details: [String: String],
        _ body: () async throws(StorageError) -> T
    ) async throws(StorageError) -> T {
        var metadata = metadata(details)
        metadata["storage.operation"] = .string(operation)
        do {
            let result = try await body()
            metadata["storage.outcome"] = "ok"
            logger.debug("storage \(operation)", metadata: metadata)
            return result
        } catch {
            metadata["storage.outcome"] = .string(error.code)
            metadata["storage.error"] = .string(error.message)
            logger.notice("storage \(operation) failed", metadata: metadata)
            throw error
        }
    }
}
