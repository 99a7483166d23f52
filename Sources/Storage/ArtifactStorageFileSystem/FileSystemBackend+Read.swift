public import ArtifactStorage
public import ArtifactStoreCore
import CArtifactStorageFileSystem
import Glibc
import NIOCore
package import NIOPosix

extension FileSystemBackend {
    public func read(_ path: StoragePath, range: ClosedRange<UInt64>?) async throws(StorageError) -> ByteStream {
        try await openChunks(path, range: range, stamped: false).bytes
    }

    /// Opens a regular file for reading and returns its chunks between the range's bounds,
    /// checking at the end, when `stamped`, that the file's stamp did not move during the read.
    func openChunks(_ path: StoragePath, range: ClosedRange<UInt64>?, stamped: Bool) async throws(StorageError) -> StampedRead {
        let opened = try await openForReading(path)
        let size = opened.stamp.size
        try StorageError.checkRange(range, size: size, path: path)
        let chunks = FileChunks(
            file: opened.descriptor,
            path: path,
            start: range?.lowerBound ?? 0,
            end: range.map { $0.upperBound + 1 } ?? size,
            chunkSize: Self.readChunkSize,
            threadPool: threadPool,
            expectedStamp: stamped ? opened.stamp : nil
        )
        return StampedRead(bytes: chunks.byteStream, stamp: opened.stamp)
    }
}

extension FileSystemBackend: StorageDescriptorOpening {
    package func openForReading(_ path: StoragePath) async throws(StorageError) -> OpenedStorageFile {
        if let opened = openForReadingFromCache(path) {
            readCounters.countFromCache()
            await Self.yieldAfterCachedRead()
            return opened
        }
        readCounters.countOnThreadPool()
        return try await run { () throws(StorageError) -> OpenedStorageFile in try openForReadingNow(path) }
    }

    /// Opens a regular file for reading and stamps it, blocking the calling thread.
    func openForReadingNow(_ path: StoragePath) throws(StorageError) -> OpenedStorageFile {
        do {
            let fd = try resolve(path, flags: Self.readOpenFlags)
            guard let opened = try Self.stampedIfRegular(fd) else {
                throw StorageError(.objectNotFound, "no object at \"\(path)\"; something other than a file is there", path: path.string)
            }
            return opened
        } catch {
            throw .from(error, .lookUp, path: path, verb: "read")
        }
    }

    /// The flags every open for reading uses (with `O_CLOEXEC`): `O_NONBLOCK` so a FIFO planted
    /// in the root cannot hang the open; regular files ignore it.
    static let readOpenFlags: Int32 = O_RDONLY | O_NONBLOCK | O_NOCTTY

    /// `fd` with its stamp, or `nil` when it is not a regular file.
    static func stampedIfRegular(_ fd: OwnedDescriptor) throws(SystemCallError) -> OpenedStorageFile? {
        let info = try Sys.fstat(fd.raw)
        guard Sys.isRegular(info) else { return nil }
        return OpenedStorageFile(descriptor: fd, stamp: stamp(info))
    }

    /// The stamp of a file another process opened and passed to this one (the data plane
    /// daemon's descriptor side channel), taken here with `fstat`; `objectNotFound` unless it is a
    /// regular file.
    package static func stampOfOpenFile(_ file: OwnedDescriptor, path: StoragePath) throws(StorageError) -> StorageChangeStamp {
        let info: Glibc.stat
        do {
            info = try Sys.fstat(file.raw)
        } catch {
            throw .from(error, .lookUp, path: path, verb: "read")
        }
        guard Sys.isRegular(info) else {
            throw StorageError(.objectNotFound, "the descriptor passed for \"\(path)\" is not a regular file", path: path.string)
        }
        return stamp(info)
    }

    /// The whole of an open file as the same chunk stream ``read(_:range:)`` returns (cached
    /// reads inline, device reads on `threadPool`, recycled buffers), failing at the end when
    /// the file's stamp is no longer `expectedStamp`. The stream owns `file`.
    package static func chunks(
        of file: OwnedDescriptor,
        path: StoragePath,
        size: UInt64,
        expectedStamp: StorageChangeStamp?,
        threadPool: NIOThreadPool
    ) -> ByteStream {
        let chunks = FileChunks(
            file: file,
            path: path,
            start: 0,
            end: size,
            chunkSize: readChunkSize,
            threadPool: threadPool,
            expectedStamp: expectedStamp
        )
        return chunks.byteStream
    }
}

extension FileSystemBackend: StorageChangeStamping {
    public func readStamped(_ path: StoragePath, range: ClosedRange<UInt64>?) async throws(StorageError) -> StampedRead {
        try await openChunks(path, range: range, stamped: true)
    }

    /// Opens, stamps and, when it holds at most `limit` bytes, reads the file, stamping it again
    /// after the read: on the calling thread when the kernel has it all cached
    /// (``readStampedFromCache(_:wholeUpTo:)``), else in one job on the thread pool, one hand-off
    /// instead of the open's and the closing stamp check's. A larger file comes back as the stream ``readStamped(_:range:)``
    /// gives, on the descriptor already open.
    public func readStamped(_ path: StoragePath, wholeUpTo limit: UInt64) async throws(StorageError) -> StampedObjectRead {
        if let read = readStampedFromCache(path, wholeUpTo: limit) {
            readCounters.countFromCache()
            await Self.yieldAfterCachedRead()
            return read
        }
        readCounters.countOnThreadPool()
        let pool = threadPool
        // The descriptor of a file read whole is closed on the pool thread, at the end of the job.
        let read = try await run { () throws(StorageError) -> WholeOrOpened in
            let opened = try openForReadingNow(path)
            let size = opened.stamp.size
            guard size <= limit else { return .opened(opened) }
            var buffer = ByteBufferAllocator().buffer(capacity: Int(size))
            try FileChunks.fill(&buffer, length: Int(size), from: opened.descriptor.raw, at: 0, path: path)
            try FileChunks.requireStamp(opened.stamp, of: opened.descriptor, path: path)
            return .whole(buffer, opened.stamp)
        }
        switch read {
        case .whole(let buffer, let stamp):
            return .whole(buffer, stamp)
        case .opened(let opened):
            let bytes = Self.chunks(
                of: opened.descriptor,
                path: path,
                size: opened.stamp.size,
                expectedStamp: opened.stamp,
                threadPool: pool
            )
            return .streamed(StampedRead(bytes: bytes, stamp: opened.stamp))
        }
    }

    /// What the job of ``readStamped(_:wholeUpTo:)`` hands back to the caller.
    private enum WholeOrOpened: Sendable {
        case whole(ByteBuffer, StorageChangeStamp)
        case opened(OpenedStorageFile)
    }

    public func statStamped(_ path: StoragePath) async throws(StorageError) -> StampedObjectInfo {
        try await run { () throws(StorageError) in
            do {
                let fd = try resolve(path, flags: O_PATH)
                let info = try Sys.fstat(fd.raw)
                guard Sys.isRegular(info) else {
                    throw StorageError(.objectNotFound, "no object at \"\(path)\"; something other than a file is there", path: path.string)
                }
                return StampedObjectInfo(info: Self.objectInfo(path, info), stamp: Self.stamp(info))
            } catch {
                throw .from(error, .lookUp, path: path, verb: "stat")
            }
        }
    }

    /// Device, inode, size, modification and change time: what any write, truncation or
    /// replacement of the file moves.
    static func stamp(_ info: Glibc.stat) -> StorageChangeStamp {
        StorageChangeStamp(
            size: UInt64(info.st_size),
            changeTimeNanoseconds: Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec),
            identity: [
                UInt64(info.st_dev),
                UInt64(info.st_ino),
                UInt64(bitPattern: Int64(info.st_mtim.tv_sec)),
                UInt64(bitPattern: Int64(info.st_mtim.tv_nsec)),
            ]
        )
    }
}

/// The chunks of an open file between two offsets, read only when the consumer asks for one.
/// The descriptor closes when the sequence is gone.
///
/// A chunk whose bytes are already in the page cache is copied on the calling task with
/// `preadv2(RWF_NOWAIT)`, which never waits for the device; only a chunk that needs the device
/// goes to the thread pool. The iterator recycles its last two buffers: a consumer that lets go
/// of a chunk before asking for the one after next gets the same memory back, so a long read
/// touches the same few hundred KiB of cache instead of fresh pages for every chunk.
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer

    let file: OwnedDescriptor
    let path: StoragePath
    let start: UInt64
    let end: UInt64
    let chunkSize: Int
    let threadPool: NIOThreadPool
    /// When set, the file is stamped again after its last byte, and a different stamp fails the
    /// read instead of ending it.
    let expectedStamp: StorageChangeStamp?

    struct AsyncIterator: AsyncIteratorProtocol {
        let chunks: FileChunks
        var offset: UInt64
        /// Buffers handed out before; `clear()` reuses one's memory when the consumer let go of it.
        var recycled: [ByteBuffer?] = [nil, nil]
        var nextSlot = 0
        /// Cleared the first time the kernel says it cannot read without waiting.
        var readsCachedInline = true
        var finished = false

        mutating func next() async throws -> ByteBuffer? {
            guard offset < chunks.end else {
                if !finished, let expected = chunks.expectedStamp {
                    try await checkStamp(expected)
                }
                return nil
            }
            let length = Int(Swift.min(UInt64(chunks.chunkSize), chunks.end - offset))
            if readsCachedInline, let buffer = try readCached(length) {
                offset += UInt64(buffer.readableBytes)
                return buffer
            }
            let file = chunks.file
            let path = chunks.path
            let at = offset
            let buffer = try await FileSystemBackend.run(chunks.threadPool) { () throws(StorageError) -> ByteBuffer in
                var buffer = ByteBufferAllocator().buffer(capacity: length)
                try FileChunks.fill(&buffer, length: length, from: file.raw, at: at, path: path)
                return buffer
            }
            offset += UInt64(length)
            return buffer
        }

        /// Fails unless the open file's stamp is still `expected`; after that, the sequence ends.
        mutating func checkStamp(_ expected: StorageChangeStamp) async throws(StorageError) {
            try await chunks.checkStamp(expected)
            finished = true
        }

        /// The next chunk, or as much of it as the page cache holds, without blocking on the
        /// device; `nil` when none of it is cached.
        mutating func readCached(_ length: Int) throws(StorageError) -> ByteBuffer? {
            var buffer: ByteBuffer
            if let previous = recycled[nextSlot] {
                // Out of the slot first, so the buffer is uniquely held if the consumer let go.
                recycled[nextSlot] = nil
                buffer = previous
                buffer.clear()
            } else {
                buffer = ByteBufferAllocator().buffer(capacity: chunks.chunkSize)
            }
            let fd = chunks.file.raw
            let at = off_t(offset)
            var failure: Int32 = 0
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { pointer in
                let copied = FileChunks.copyFromCache(into: pointer, length: length, from: fd, at: Int64(at))
                failure = copied.failure
                return copied.filled
            }
            switch failure {
            case 0, EAGAIN:
                break
            case EOPNOTSUPP, EINVAL, ENOSYS:
                readsCachedInline = false
            case -1:
                throw StorageError(.io, "\"\(chunks.path)\" became shorter while it was being read", path: chunks.path.string)
            default:
                throw .from(SystemCallError(errno: failure, operation: "read"), .lookUp, path: chunks.path, verb: "read")
            }
            guard buffer.readableBytes > 0 else { return nil }
            recycled[nextSlot] = buffer
            nextSlot = 1 - nextSlot
            return buffer
        }
    }

    /// Reads exactly `length` bytes at `offset` into `buffer`, blocking as long as it takes.
    static func fill(_ buffer: inout ByteBuffer, length: Int, from fd: Int32, at offset: UInt64, path: StoragePath) throws(StorageError) {
        var failure: Int32 = 0
        var shortRead = false
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { pointer in
            var filled = 0
            while filled < length {
                let count = pread(fd, pointer.baseAddress! + filled, length - filled, off_t(offset) + off_t(filled))
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
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(chunks: self, offset: start)
    }

    /// This sequence erased, offering its file region.
    var byteStream: ByteStream {
        ByteStream(self, fileSlice: fileSlice)
    }

    /// The same bytes as a file region; its confirmation is the stamp check the iterator makes
    /// after the last chunk.
    var fileSlice: ByteStreamFileSlice {
        ByteStreamFileSlice(descriptor: file.raw, range: start..<end, owner: file) { [self] in
            if let expectedStamp { try await checkStamp(expectedStamp) }
        }
    }

    /// Fails unless the open file's stamp is still `expected`.
    func checkStamp(_ expected: StorageChangeStamp) async throws(StorageError) {
        let file = self.file
        let path = self.path
        try await FileSystemBackend.run(threadPool) { () throws(StorageError) in
            try Self.requireStamp(expected, of: file, path: path)
        }
    }

    /// Fails unless `file`'s stamp is still `expected`, blocking the calling thread for the `fstat`.
    static func requireStamp(_ expected: StorageChangeStamp, of file: OwnedDescriptor, path: StoragePath) throws(StorageError) {
        let info: Glibc.stat
        do {
            info = try Sys.fstat(file.raw)
        } catch {
            throw .from(error, .lookUp, path: path, verb: "read")
        }
        let now = FileSystemBackend.stamp(info)
        guard now == expected else {
            throw StorageError(.io, "\"\(path)\" changed while it was being read (\(expected) became \(now))", path: path.string)
        }
    }
}
