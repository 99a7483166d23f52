import ArtifactStorage
import ArtifactStoreCore
import Glibc
import NIOCore
import NIOPosix

extension FileSystemBackend {
    public func read(_ path: StoragePath, range: ClosedRange<UInt64>?) async throws(StorageError) -> ByteStream {
        let (file, size) = try await run { () throws(StorageError) -> (OwnedDescriptor, UInt64) in
            do {
                // O_NONBLOCK so a FIFO planted in the root cannot hang the open; regular files ignore it.
                let fd = try resolve(path, flags: O_RDONLY | O_NONBLOCK | O_NOCTTY)
                let info = try Sys.fstat(fd.raw)
                guard Sys.isRegular(info) else {
                    throw StorageError(.notFound, "no object at \"\(path)\"; something other than a file is there", path: path.string)
                }
                return (fd, UInt64(info.st_size))
            } catch {
                throw .from(error, .lookUp, path: path, verb: "read")
            }
        }
        try StorageError.checkRange(range, size: size, path: path)
        let start = range?.lowerBound ?? 0
        let end = range.map { $0.upperBound + 1 } ?? size
        return ByteStream(
            FileChunks(file: file, path: path, start: start, end: end, chunkSize: Self.readChunkSize, threadPool: threadPool)
        )
    }
}

/// The chunks of an open file between two offsets, each read with `pread` on the thread pool
/// only when the consumer asks for it. The descriptor closes when the sequence is gone.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let file: OwnedDescriptor
    let path: StoragePath
    let start: UInt64
    let end: UInt64
    let chunkSize: Int
    let threadPool: NIOThreadPool

    struct AsyncIterator: AsyncIteratorProtocol {
        let chunks: FileChunks
        var offset: UInt64

        mutating func next() async throws -> ByteBuffer? {
            guard offset < chunks.end else { return nil }
            let length = Int(Swift.min(UInt64(chunks.chunkSize), chunks.end - offset))
            let file = chunks.file
            let path = chunks.path
            let at = offset
            let buffer = try await FileSystemBackend.run(chunks.threadPool) { () throws(StorageError) -> ByteBuffer in
                var buffer = ByteBufferAllocator().buffer(capacity: length)
                var failure: Int32 = 0
                var shortRead = false
                buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { pointer in
                    var filled = 0
                    while filled < length {
                        let count = pread(file.raw, pointer.baseAddress! + filled, length - filled, off_t(at) + off_t(filled))
                        if count < 0 {
                            if errno == EINTR { continue }
                            failure = errno
                            break
                        }
                        if count == 0 {
                            shortRead = true
                            break
                        }
                        filled += count
                    }
                    return filled
                }
                if failure != 0 {
                    throw .from(SystemCallError(errno: failure, operation: "read"), .lookUp, path: path, verb: "read")
                }
                if shortRead {
                    throw StorageError(.io, "\"\(path)\" became shorter while it was being read", path: path.string)
                }
                return buffer
            }
            offset += UInt64(length)
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(chunks: self, offset: start)
    }
}
