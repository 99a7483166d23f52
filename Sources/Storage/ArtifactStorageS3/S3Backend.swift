public import ArtifactStorage
public import ArtifactStoreCore
import AsyncHTTPClient
import Foundation
public import Logging
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
///   "directory" exists while some object lies beneath it, `removeDirectory` is `objectNotFound` when
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
        guard key.utf8.starts(with: rootKeyPrefix.utf8) else { return nil }
        let relative = String(decoding: key.utf8.dropFirst(rootKeyPrefix.utf8.count), as: UTF8.self)
        return try? StoragePath(relative)
    }

    // MARK: Reading

    /// HEADs the object (so `objectNotFound` and `invalidRange` come from this call, without holding
    /// a connection), then streams it with a GET issued on the first pull. Each GET returns one
    /// complete version (S3 objects are immutable), even if the object is overwritten between the
    /// HEAD and the GET; a ranged answer is checked against its `Content-Range` again.
    public func read(_ path: StoragePath, range: ClosedRange<UInt64>?) async throws(StorageError) -> ByteStream {
        let key = key(for: path)
        let head: S3ObjectHead?
        do {
            head = try await client.headObject(key: key)
        } catch {
            throw relabel(error, path: path)
        }
        guard let head else { throw StorageError.notFound(path) }
        try StorageError.checkRange(range, size: head.size, path: path)
        if head.size == 0 {
            return .empty
        }
        return ByteStream(S3BodyStream(client: client, key: key, path: path, range: range))
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

    /// S3 has no directories to sync: every completed request is durable, so `durableSource`
    /// changes nothing.
    public func move(from source: StoragePath, to destination: StoragePath, options: StorageMoveOptions) async throws(StorageError) {
        let overwrite = options.overwrite
        let sourceHead: S3ObjectHead?
        do {
            sourceHead = try await client.headObject(key: key(for: source))
        } catch {
            throw relabel(error, path: source)
        }
        guard let sourceHead else { throw StorageError.notFound(source) }
        if source.bytes == destination.bytes {
            // Moving onto itself: nothing to do with overwrite, refused without (the object is there).
            if overwrite { return }
            throw StorageError(.alreadyExists, "cannot move \"\(source)\" onto itself without overwrite", path: destination.string)
        }
        if !overwrite, try await exists(destination) {
            throw StorageError(
                .alreadyExists,
                "cannot move \"\(source)\" to \"\(destination)\": an object is there",
                path: destination.string
            )
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

    /// S3 has no directories: accepted and ignored (no marker object is written), unless an
    /// object sits at `path` (`alreadyExists`).
    public func makeDirectory(_ path: StoragePath) async throws(StorageError) {
        if try await exists(path) {
            throw StorageError(.alreadyExists, "cannot make directory \"\(path)\": an object is there", path: path.string)
        }
    }

    /// `objectNotFound` when no object lies under `path`, `io` when some do (a directory on S3 exists
    /// only while it is not empty).
    public func removeDirectory(_ path: StoragePath) async throws(StorageError) {
        let page: S3ListPage
        do {
            page = try await client.listObjectsV2(prefix: key(for: path) + "/", maxKeys: 1)
        } catch {
            throw relabel(error, path: path)
        }
        if page.objects.isEmpty {
            throw StorageError(.objectNotFound, "no directory at \"\(path)\"", path: path.string)
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
                reachable: true,
                writable: true,
                message: "bucket \(configuration.bucket) answered HeadBucket in \(milliseconds) ms"
            )
        } catch {
            return StorageHealth(reachable: false, writable: false, message: error.message)
        }
    }

    /// Keeps the error's code but names the storage path (not the S3 key) when it has one.
    func relabel(_ error: StorageError, path: StoragePath?) -> StorageError {
        guard let path else { return error }
        if error.kind == .objectNotFound {
            return StorageError(.objectNotFound, "no object at \"\(path)\"", path: path.string, underlying: error)
        }
        return StorageError(error.kind, error.message, path: path.string, underlying: error.underlying)
    }
}

/// The body of a GET as a pull-based sequence of buffers. The request is sent on the first
/// `next()`, so an opened but unread stream holds no connection; errors become `StorageError`s.
struct S3BodyStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let client: S3Client
    let key: String
    let path: StoragePath
    let range: ClosedRange<UInt64>?

    struct AsyncIterator: AsyncIteratorProtocol {
        let stream: S3BodyStream
        var body: HTTPClientResponse.Body.AsyncIterator?
        var finished = false

        mutating func next() async throws -> ByteBuffer? {
            if finished { return nil }
            if body == nil {
                body = try await stream.open()
            }
            do {
                let chunk = try await body!.next(isolation: #isolation)
                if chunk == nil { finished = true }
                return chunk
            } catch {
                finished = true
                throw StorageError(.io, "reading \"\(stream.path)\" from S3 failed: \(error)", path: stream.path.string, underlying: error)
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(stream: self)
    }

    func open() async throws(StorageError) -> HTTPClientResponse.Body.AsyncIterator {
        let response: HTTPClientResponse
        do {
            response = try await client.getObject(key: key, range: range)
        } catch  where error.kind == .objectNotFound {
            throw StorageError(.objectNotFound, "\"\(path)\" was deleted while being read", path: path.string, underlying: error)
        } catch  where error.kind == .invalidRange {
            throw StorageError(.invalidRange, "\"\(path)\" shrank while being read: \(error.message)", path: path.string, underlying: error)
        } catch {
            throw StorageError(error.kind, error.message, path: path.string, underlying: error.underlying)
        }
        if let range {
            guard response.status.code == 206,
                let total = response.headers.first(name: "content-range").flatMap(S3Backend.totalSize)
            else {
                throw StorageError(
                    .io,
                    "GetObject of \"\(path)\" ignored the range \(range) (HTTP \(response.status.code))",
                    path: path.string
                )
            }
            try StorageError.checkRange(range, size: total, path: path)
        }
        return response.body.makeAsyncIterator()
    }
}
