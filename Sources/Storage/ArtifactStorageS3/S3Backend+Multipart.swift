public import ArtifactStorage
public import ArtifactStoreCore
import Foundation
import Logging
import NIOCore

// Writing: PutObject for streams that fit in one part, multipart upload otherwise; and the
// UploadPartCopy path of `move` for objects above CopyObject's limit.
extension S3Backend {
    /// Validates the options (a mode above `0o7777` is `invalidConfiguration`; otherwise mode
    /// and owner are ignored: S3 has neither). Without `overwrite` the upload is conditional
    /// (`If-None-Match: *`), so of several racing creators exactly one wins; a stream is first
    /// refused early by a HEAD, so that bytes of an object that exists are not read or sent. A
    /// body already whole in memory and at most ``unprobedWriteLimit`` is sent at once without
    /// that HEAD: the conditional PUT refuses it as the HEAD would, and a new object (a small
    /// ingest's usual case) costs one request instead of two. A body sent in one PUT is signed
    /// with ``StorageWriteOptions/contentSHA256`` when given, rather than hashed again. The
    /// returned `modified` is the local time the upload completed (S3's own `Last-Modified`,
    /// seen by `stat`, may differ by the request's duration; it saves a HEAD).
    public func write(
        _ path: StoragePath,
        from bytes: ByteStream,
        options: StorageWriteOptions
    ) async throws(StorageError)
        -> StorageObjectInfo
    {
        try options.validate(for: path)
        let key = key(for: path)
        let exclusive = !options.overwrite
        if let whole = bytes.wholeBuffer, whole.readableBytes <= min(Self.unprobedWriteLimit, configuration.partSize) {
            try Self.checkCancellation(path)
            do {
                try await client.putObject(key: key, body: whole, ifNoneMatch: exclusive, contentSHA256: options.contentSHA256)
            } catch {
                throw relabel(error, path: path)
            }
            return StorageObjectInfo(path: path, size: UInt64(whole.readableBytes), modified: Date())
        }
        if exclusive, try await exists(path) {
            throw StorageError(.alreadyExists, "an object is already at \"\(path)\"", path: path.string)
        }
        var reader = PartReader(iterator: bytes.makeAsyncIterator(), partSize: configuration.partSize, path: path)
        let first = try await reader.nextPart()
        do {
            if try await reader.isAtEnd() {
                try Self.checkCancellation(path)
                try await client.putObject(key: key, body: first, ifNoneMatch: exclusive, contentSHA256: options.contentSHA256)
            } else {
                try await multipartUpload(key: key, path: path, first: first, reader: &reader, exclusive: exclusive)
            }
        } catch {
            throw relabel(error, path: path)
        }
        return StorageObjectInfo(path: path, size: reader.total, modified: Date())
    }

    /// The largest body, whole in memory, that an exclusive ``write(_:from:options:)`` sends without
    /// a HEAD first: when the object exists, the refused PUT carries at most this many bytes for
    /// nothing (1 MiB, the data plane's whole-ingest limit).
    public static let unprobedWriteLimit = 1 << 20

    /// Uploads `first` and the rest of `reader` as parts, at most `maxPartsInFlight` at a time,
    /// then completes the upload; aborts it on any error or cancellation.
    func multipartUpload(
        key: String,
        path: StoragePath,
        first: ByteBuffer,
        reader: inout PartReader,
        exclusive: Bool
    )
        async throws(StorageError)
    {
        let client = self.client
        let uploadID = try await client.createMultipartUpload(key: key)
        let maxInFlight = configuration.maxPartsInFlight
        do {
            let parts = try await withThrowingTaskGroup(of: S3CompletedPart.self, returning: [S3CompletedPart].self) { group in
                var completed: [S3CompletedPart] = []
                var inFlight = 0
                var partNumber = 1
                var next: ByteBuffer? = first
                while let body = next {
                    if inFlight >= maxInFlight, let done = try await group.next() {
                        completed.append(done)
                        inFlight -= 1
                    }
                    let number = partNumber
                    group.addTask {
                        try await client.uploadPart(key: key, uploadID: uploadID, partNumber: number, body: body)
                    }
                    inFlight += 1
                    partNumber += 1
                    next = try await reader.isAtEnd() ? nil : try await reader.nextPart()
                }
                for try await done in group {
                    completed.append(done)
                }
                return completed
            }
            try Self.checkCancellation(path)
            try await client.completeMultipartUpload(key: key, uploadID: uploadID, parts: parts, ifNoneMatch: exclusive)
        } catch {
            await abort(key: key, uploadID: uploadID)
            throw Self.storageError(error, path: path, operation: "multipart upload")
        }
    }

    /// Copies `source` to `destination` with UploadPartCopy, `copyPartSize` bytes per part.
    func multipartCopy(from source: String, to destination: String, size: UInt64) async throws(StorageError) {
        let client = self.client
        let ranges = Self.copyPartRanges(size: size, partSize: configuration.copyPartSize)
        let uploadID = try await client.createMultipartUpload(key: destination)
        let maxInFlight = configuration.maxPartsInFlight
        do {
            let parts = try await withThrowingTaskGroup(of: S3CompletedPart.self, returning: [S3CompletedPart].self) { group in
                var completed: [S3CompletedPart] = []
                for (index, range) in ranges.enumerated() {
                    if index >= maxInFlight, let done = try await group.next() {
                        completed.append(done)
                    }
                    group.addTask {
                        try await client.uploadPartCopy(
                            key: destination,
                            uploadID: uploadID,
                            partNumber: index + 1,
                            source: source,
                            range: range
                        )
                    }
                }
                for try await done in group {
                    completed.append(done)
                }
                return completed
            }
            if Task.isCancelled { throw CancellationError() }
            try await client.completeMultipartUpload(key: destination, uploadID: uploadID, parts: parts)
        } catch {
            await abort(key: destination, uploadID: uploadID)
            throw Self.storageError(error, path: nil, operation: "multipart copy to \"\(destination)\"")
        }
    }

    /// The inclusive byte ranges of the parts of a `size`-byte object cut into `partSize` pieces.
    public static func copyPartRanges(size: UInt64, partSize: UInt64) -> [ClosedRange<UInt64>] {
        guard size > 0, partSize > 0 else { return [] }
        return stride(from: UInt64(0), to: size, by: Int(partSize)).map { start in
            start...(min(start + partSize, size) - 1)
        }
    }

    /// Aborts in a task of its own, so it still runs when the caller is being cancelled.
    func abort(key: String, uploadID: String) async {
        let client = self.client
        let logger = self.logger
        await Task {
            do {
                try await client.abortMultipartUpload(key: key, uploadID: uploadID)
            } catch {
                logger.warning(
                    "s3: aborting a multipart upload failed; it stays pending until a lifecycle rule removes it",
                    metadata: ["key": "\(key)", "uploadId": "\(uploadID)", "error": "\(error)"]
                )
            }
        }.value
    }

    static func checkCancellation(_ path: StoragePath) throws(StorageError) {
        if Task.isCancelled {
            throw StorageError.writeCancelled(path)
        }
    }

    static func storageError(_ error: any Error, path: StoragePath?, operation: String) -> StorageError {
        // A write cancelled while a part was in flight says so as any cancelled write does,
        // whichever request saw the cancellation.
        if let path, let error = error as? StorageError, error.underlying is CancellationError {
            return StorageError.writeCancelled(path)
        }
        if let error = error as? StorageError { return error }
        if error is CancellationError {
            if let path { return StorageError.writeCancelled(path) }
            return StorageError(.io, "\(operation) was cancelled", underlying: error)
        }
        return StorageError(.io, "\(operation) failed: \(error)", path: path?.string, underlying: error)
    }
}

/// Cuts a ``ByteStream`` into parts of exactly `partSize` bytes (the last one shorter), holding
/// at most one part plus one incoming buffer.
struct PartReader {
    var iterator: ByteStream.AsyncIterator
    let partSize: Int
    let path: StoragePath
    var carry: ByteBuffer?
    var ended = false
    /// Bytes read from the stream so far.
    var total: UInt64 = 0

    init(iterator: ByteStream.AsyncIterator, partSize: Int, path: StoragePath) {
        self.iterator = iterator
        self.partSize = partSize
        self.path = path
    }

    /// The next part: `partSize` bytes, or fewer at the end of the stream.
    mutating func nextPart() async throws(StorageError) -> ByteBuffer {
        var part = ByteBuffer()
        part.reserveCapacity(partSize)
        while part.readableBytes < partSize {
            guard var chunk = try await nextChunk() else { break }
            let needed = partSize - part.readableBytes
            if chunk.readableBytes <= needed {
                part.writeBuffer(&chunk)
            } else {
                var head = chunk.readSlice(length: needed)!
                part.writeBuffer(&head)
                carry = chunk
            }
        }
        return part
    }

    /// Whether the stream has no more bytes (reads ahead one buffer to find out).
    mutating func isAtEnd() async throws(StorageError) -> Bool {
        if let carry, carry.readableBytes > 0 { return false }
        guard let chunk = try await nextChunk() else { return true }
        carry = chunk
        return false
    }

    private mutating func nextChunk() async throws(StorageError) -> ByteBuffer? {
        if let pending = carry {
            carry = nil
            if pending.readableBytes > 0 { return pending }
        }
        while !ended {
            if Task.isCancelled {
                ended = true
                throw StorageError.writeCancelled(path)
            }
            let chunk: ByteBuffer?
            do {
                chunk = try await iterator.next(isolation: #isolation)
            } catch {
                ended = true
                throw StorageError.writeSourceFailed(error, path: path)
            }
            guard let chunk else {
                ended = true
                return nil
            }
            total += UInt64(chunk.readableBytes)
            if chunk.readableBytes > 0 { return chunk }
        }
        return nil
    }
}
