import ArtifactStorage
import ArtifactStoreCore
import CArtifactStorageFileSystem
import Glibc
import NIOCore
import Synchronization

/// Appends buffers to an open file, in order, and has the device start on every
/// ``FileSystemBackend/writebackInterval`` bytes as they go (so a final `fsync` has little left
/// to wait for). Its methods block; they run on the thread pool, one at a time.
final class FileAppender: Sendable {
    let file: OwnedDescriptor
    let path: StoragePath
    /// The verb of the error a failed write reports ("write", "append to").
    let verb: String
    /// The file's length so far, and how much of it the device has been asked to take already.
    private let progress: Mutex<(written: Int64, writebackStarted: Int64)>

    init(file: OwnedDescriptor, path: StoragePath, verb: String, at offset: Int64 = 0) {
        self.file = file
        self.path = path
        self.verb = verb
        progress = Mutex((offset, offset))
    }

    /// Bytes written (from the offset the appender started at, included).
    var written: Int64 { progress.withLock { $0.written } }

    func writeOut(_ chunk: ByteBuffer) throws(StorageError) {
        do {
            try chunk.withUnsafeReadableBytes { pointer throws(SystemCallError) in try Sys.writeAll(file.raw, pointer) }
        } catch {
            throw .from(error, .create, path: path, verb: verb)
        }
        let writeback = progress.withLock { progress -> (from: Int64, to: Int64)? in
            progress.written += Int64(chunk.readableBytes)
            guard progress.written - progress.writebackStarted >= FileSystemBackend.writebackInterval else { return nil }
            defer { progress.writebackStarted = progress.written }
            return (progress.writebackStarted, progress.written)
        }
        if let writeback {
            // Overlap the device's work with the stream's instead of leaving it all to the
            // final fsync; a failure here only loses that overlap.
            _ = artifactstore_start_writeback(file.raw, writeback.from, writeback.to - writeback.from)
        }
    }
}

extension FileSystemBackend {
    /// Writes every non-empty buffer of `bytes` but the last to `appender`, and returns the last
    /// one unwritten (`nil` for an empty stream), so the caller writes it in its final trip to the
    /// thread pool with the `fsync`.
    ///
    /// Each write runs on the thread pool while the next buffer is pulled: in an ingest, the pull
    /// is where the bytes are counted and hashed (BLAKE3 on the caller's thread), so hashing one
    /// buffer and writing the one before take two threads at once instead of one after the other.
    /// At most one write is in flight and it finishes before the next starts, so the file is
    /// written in order; at most three buffers are held (the one being written, the one held back
    /// as possibly the last, the one being pulled).
    func writeAllButLast(_ bytes: ByteStream, to appender: FileAppender) async throws -> ByteBuffer? {
        var iterator = bytes.makeAsyncIterator()
        guard var held = try await Self.nextNonEmpty(&iterator) else { return nil }
        var next = try await Self.nextNonEmpty(&iterator)
        while let following = next {
            if Task.isCancelled { throw CancellationError() }
            let chunk = held
            async let written: Void = run { () throws(StorageError) in try appender.writeOut(chunk) }
            var pullFailure: (any Error)?
            do {
                next = try await Self.nextNonEmpty(&iterator)
            } catch {
                pullFailure = error
            }
            // The write is waited for whatever the pull did: the file is never written behind
            // the caller's back once this returns or throws.
            try await written
            if let pullFailure { throw pullFailure }
            held = following
        }
        if Task.isCancelled { throw CancellationError() }
        return held
    }

    private static func nextNonEmpty(_ iterator: inout ByteStream.AsyncIterator) async throws -> ByteBuffer? {
        while let chunk = try await iterator.next(isolation: #isolation) {
            if chunk.readableBytes > 0 { return chunk }
        }
        return nil
    }
}
