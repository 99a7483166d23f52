import ArtifactStorage
import ArtifactStoreCore
import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// A ``StorageBackend`` over one S3 bucket and key prefix.
///
/// Exists so the data plane can keep bytes in any S3-compatible service with the same promises
/// as a directory. Every ``StoragePath`` becomes the key `prefix/path`; listing asks S3 only for
/// keys under `prefix/` and drops anything else defensively, so nothing outside the prefix is
/// ever read, listed, moved or deleted.
///
/// Semantics on S3:
/// - Writes are atomic by nature: PutObject and CompleteMultipartUpload make the object appear
///   whole or not at all. A stream shorter than one part is read first, then sent with PutObject;
///   longer ones go up as a multipart upload that is aborted on any failure or cancellation.
/// - Directories do not exist on S3. `makeDirectory` is a no-op (no marker object), a
///   "directory" exists while some object lies beneath it, `removeDirectory` is `notFound` when
///   nothing is under the path and `io` (not empty) otherwise: an empty directory can never exist.
/// - POSIX `mode`/`owner` write options are ignored (S3 has neither), as the contract allows.
/// - `delete` does a HEAD first because S3's DELETE succeeds for missing keys.
public struct S3Backend: StorageBackend {
    public let client: S3Client
    let logger: Logger

    public init(client: S3Client, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    var configuration: S3Configuration { client.configuration }

    /// The S3 key of `path`: `prefix/path`, or `path` when there is no prefix.
    public func key(for path: StoragePath) -> String {
        configuration.prefix.isEmpty ? path.string : configuration.prefix + "/" + path.string
    }

    /// The key prefix every object of this backend starts with (`prefix/`, or empty).
    var rootKeyPrefix: String {
        configuration.prefix.isEmpty ? "" : configuration.prefix + "/"
    }

    /// The storage path of `key`, or `nil` when it lies outside the root or is not a valid path
    /// (a key written by another tool, such as `a//b` or a `dir/` marker).
    func path(forKey key: String) -> StoragePath? {
        guard key.hasPrefix(rootKeyPrefix) else { return nil }
        let relative = String(key.dropFirst(rootKeyPrefix.count))
        return try? StoragePath(relative)
    }

    // MARK: Reading

    public func read(_ path: StoragePath, range: ClosedRange<UInt64>?) async throws(StorageError) -> ByteStream {
        let key = key(for: path)
        let response: HTTPClientResponse
        do {
            response = try await client.getObject(key: key, range: range)
        } catch {
            throw relabel(error, path: path)
        }
        if let range {
            // S3 clips a range that runs past the end (206 with fewer bytes); the contract calls
            // that invalid, so check the total size from Content-Range.
            guard response.status.code == 206 else {
                throw StorageError(
                    .io, "GetObject of \"\(path)\" ignored the range \(range) (HTTP \(response.status.code))", path: path.string)
            }
            guard let total = response.headers.first(name: "content-range").flatMap(Self.totalSize) else {
                throw StorageError(.io, "GetObject of \"\(path)\": the ranged answer has no Content-Range", path: path.string)
            }
            guard range.upperBound < total else {
                throw StorageError(
                    .invalidRange,
                    "range \(range.lowerBound)-\(range.upperBound) lies outside \"\(path)\" (\(total) bytes)", path: path.string)
            }
        }
        return ByteStream(S3BodyStream(body: response.body, path: path.string))
    }

    /// The total of `Content-Range: bytes a-b/total`.
    static func totalSize(_ contentRange: String) -> UInt64? {
        guard let slash = contentRange.lastIndex(of: "/") else { return nil }
        return UInt64(contentRange[contentRange.index(after: slash)...])
    }

    public func exists(_ path: StoragePath) async throws(StorageError) -> Bool {
        do {
            return try await client.headObject(key: key(for: path)) != nil
        } catch {
            throw relabel(error, path: path)
        }
    }

    public func stat(_ path: StoragePath) async throws(StorageError) -> StorageObjectInfo {
        let head: S3ObjectHead?
        do {
            head = try await client.headObject(key: key(for: path))
        } catch {
            throw relabel(error, path: path)
        }
        guard let head else { throw StorageError.notFound(path) }
        return StorageObjectInfo(path: path, size: head.size, modified: head.lastModified)
    }

    // MARK: Deleting and moving

    public func delete(_ path: StoragePath) async throws(StorageError) {
        guard try await exists(path) else { throw StorageError.notFound(path) }
        do {
            try await client.deleteObject(key: key(for: path))
        } catch {
            throw relabel(error, path: path)
        }
    }

    public func move(from source: StoragePath, to destination: StoragePath, overwrite: Bool) async throws(StorageError) {
        let sourceHead: S3ObjectHead?
        do {
            sourceHead = try await client.headObject(key: key(for: source))
        } catch {
            throw relabel(error, path: source)
        }
        guard let sourceHead else { throw StorageError.notFound(source) }
        if source == destination { return }
        if !overwrite, try await exists(destination) {
            throw StorageError(.alreadyExists, "cannot move \"\(source)\" to \"\(destination)\": an object is there", path: destination.string)
        }
        do {
            if sourceHead.size > configuration.multipartCopyThreshold {
                try await multipartCopy(from: key(for: source), to: key(for: destination), size: sourceHead.size)
            } else {
                try await client.copyObject(from: key(for: source), to: key(for: destination))
            }
            try await client.deleteObject(key: key(for: source))
        } catch {
            throw relabel(error, path: destination)
        }
    }

    // MARK: Listing and directories

    public func list(under prefix: StoragePath?, recursive: Bool, limit: Int, cursor: String?) async throws(StorageError)
        -> StorageListPage
    {
        guard limit > 0 else {
            throw StorageError(.invalidConfiguration, "list limit must be positive, not \(limit)")
        }
        let keyPrefix = prefix.map { key(for: $0) + "/" } ?? rootKeyPrefix
        let page: S3ListPage
        do {
            page = try await client.listObjectsV2(
                prefix: keyPrefix,
                delimiter: recursive ? nil : "/",
                continuationToken: cursor,
                maxKeys: min(limit, 1000)
            )
        } catch {
            throw relabel(error, path: prefix)
        }
        var entries: [StorageEntry] = []
        for object in page.objects {
            guard object.key.hasPrefix(keyPrefix), let path = path(forKey: object.key) else {
                logger.debug("s3 list: skipping key outside the root or not a valid path", metadata: ["key": "\(object.key)"])
                continue
            }
            entries.append(StorageEntry(path: path, kind: .object, size: object.size, modified: object.lastModified))
        }
        if !recursive {
            for common in page.commonPrefixes {
                guard common.hasPrefix(keyPrefix), common.hasSuffix("/"), let path = path(forKey: String(common.dropLast())) else {
                    continue
                }
                entries.append(StorageEntry(path: path, kind: .directory))
            }
        }
        entries.sort { $0.path < $1.path }
        return StorageListPage(entries: entries, nextCursor: page.isTruncated ? page.nextContinuationToken : nil)
    }

    /// S3 has no directories: accepted and ignored (no marker object is written), unless an
    /// object sits at `path` (`alreadyExists`).
    public func makeDirectory(_ path: StoragePath) async throws(StorageError) {
        if try await exists(path) {
            throw StorageError(.alreadyExists, "cannot make directory \"\(path)\": an object is there", path: path.string)
        }
    }

    /// `notFound` when no object lies under `path`, `io` when some do (a directory on S3 exists
    /// only while it is not empty).
    public func removeDirectory(_ path: StoragePath) async throws(StorageError) {
        let page: S3ListPage
        do {
            page = try await client.listObjectsV2(prefix: key(for: path) + "/", maxKeys: 1)
        } catch {
            throw relabel(error, path: path)
        }
        if page.objects.isEmpty {
            throw StorageError(.notFound, "no directory at \"\(path)\"", path: path.string)
        }
        throw StorageError(.io, "directory \"\(path)\" is not empty", path: path.string)
    }

    // MARK: Health

    /// HeadBucket: reachable when it answers. `writable` mirrors reachability (no write probe:
    /// health checks should not create objects; use `S3Connector.verifyAccess` for that).
    public func health() async -> StorageHealth {
        let start = ContinuousClock.now
        do {
            try await client.headBucket()
            let elapsed = ContinuousClock.now - start
            let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
            return StorageHealth(
                reachable: true, writable: true,
                message: "bucket \(configuration.bucket) answered HeadBucket in \(milliseconds) ms")
        } catch {
            return StorageHealth(reachable: false, writable: false, message: error.message)
        }
    }

    /// Keeps the error's code but names the storage path (not the S3 key) when it has one.
    func relabel(_ error: StorageError, path: StoragePath?) -> StorageError {
        guard let path else { return error }
        if error.kind == .notFound {
            return StorageError(.notFound, "no object at \"\(path)\"", path: path.string, underlying: error)
        }
        return StorageError(error.kind, error.message, path: path.string, underlying: error.underlying)
    }
}

/// The body of a GET as a pull-based sequence of buffers; errors become `StorageError(.io)`.
struct S3BodyStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let body: HTTPClientResponse.Body
    let path: String

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: HTTPClientResponse.Body.AsyncIterator
        let path: String

        mutating func next() async throws -> ByteBuffer? {
            do {
                return try await base.next()
            } catch {
                throw StorageError(.io, "reading \"\(path)\" from S3 failed: \(error)", path: path, underlying: error)
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: body.makeAsyncIterator(), path: path)
    }
}
