public import ArtifactStorage
public import ArtifactStoreCore
public import AsyncHTTPClient
public import Foundation
public import Logging
import NIOCore

/// Reaches one S3 bucket + prefix and hands out an ``S3Backend`` confined to it.
///
/// Exists so the storage factory can turn `s3://bucket/prefix?region=…&endpoint=…&pathStyle=…`
/// into a checked backend. The connector owns one ``S3Client``; backends from ``connect()``
/// share it. The `HTTPClient` defaults to `HTTPClient.shared` (nothing to shut down); servers
/// should pass one built with ``S3Client/recommendedHTTPConfiguration`` and shut it down
/// themselves. The storage factory (`ArtifactStorageFactory`) registers `s3` with this
/// connector by default, passing the `HTTPClient` it was given.
public struct S3Connector: StorageConnector {
    public let configuration: S3Configuration
    public let client: S3Client
    let logger: Logger

    /// Uses `httpClient` (the caller shuts it down). Credentials: the configuration's, else `AWS_*`
    /// from `environment`; `invalidConfiguration` when there are none.
    public init(
        configuration: S3Configuration,
        httpClient: HTTPClient = .shared,
        logger: Logger,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(StorageError) {
        self.configuration = configuration
        self.client = try S3Client(configuration: configuration, httpClient: httpClient, logger: logger, environment: environment)
        self.logger = logger
    }

    /// Parses an `s3://` URL (see ``S3Configuration/init(url:)``), with `credentials` or the
    /// environment's.
    public init(
        url: String,
        credentials: StorageCredentials? = nil,
        httpClient: HTTPClient = .shared,
        logger: Logger,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(StorageError) {
        var configuration = try S3Configuration(url: url)
        configuration.credentials = credentials
        try self.init(configuration: configuration, httpClient: httpClient, logger: logger, environment: environment)
    }

    /// Releases the client's resources (a no-op for a shared or caller-owned `HTTPClient`).
    public func shutdown() async throws {
        try await client.shutdown()
    }

    /// HeadBucket. A missing bucket or a network failure is `unreachable`; refused credentials
    /// `accessDenied`.
    public func verifyConnection() async throws(StorageError) {
        try await client.headBucket()
    }

    /// Writes, reads back, checks and deletes a probe object under the prefix.
    ///
    /// S3 objects have no POSIX owner or mode: asking to check a `user` or `permissions` is
    /// `invalidConfiguration` ("not applicable to S3") rather than a silent pass.
    public func verifyAccess(user: String?, permissions: UInt32?) async throws(StorageError) {
        if user != nil || permissions != nil {
            throw StorageError(
                .invalidConfiguration,
                "owner and permission checks are not applicable to S3 (bucket \(configuration.bucket)): objects have no POSIX owner or mode"
            )
        }
        let backend = S3Backend(client: client, logger: logger)
        let probe = try StoragePath(".artifactstore-probe-\(UUID().uuidString.lowercased())")
        let content = "artifactstore access probe \(probe.name)"
        do {
            try await backend.write(probe, from: ByteStream(ByteBuffer(string: content)))
        } catch {
            throw Self.denied("write", probe, error)
        }
        do {
            var collected = ByteBuffer()
            for try await var chunk in try await backend.read(probe) {
                collected.writeBuffer(&chunk)
            }
            guard collected.readString(length: collected.readableBytes) == content else {
                try? await backend.delete(probe)
                throw StorageError(.accessDenied, "access probe: the object read back from \(configuration) differs from what was written")
            }
        } catch let error as StorageError {
            try? await backend.delete(probe)
            throw error.kind == .accessDenied ? error : Self.denied("read back", probe, error)
        } catch {
            try? await backend.delete(probe)
            throw Self.denied("read back", probe, error)
        }
        do {
            try await backend.delete(probe)
        } catch {
            throw Self.denied("delete", probe, error)
        }
    }

    /// Checks the bucket answers, then returns the backend.
    public func connect() async throws(StorageError) -> any StorageBackend {
        try await verifyConnection()
        return S3Backend(client: client, logger: logger)
    }

    static func denied(_ step: String, _ probe: StoragePath, _ error: any Error) -> StorageError {
        let message = (error as? StorageError)?.message ?? "\(error)"
        return StorageError(
            .accessDenied,
            "access probe failed at step \"\(step)\" for \"\(probe)\": \(message)",
            path: probe.string,
            underlying: error
        )
    }
}
