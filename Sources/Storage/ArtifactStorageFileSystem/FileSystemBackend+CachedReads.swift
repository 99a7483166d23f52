import ArtifactStorage
import CArtifactStorageFileSystem
import Glibc
import NIOCore
import Synchronization

/// Whether the kernel takes `RESOLVE_CACHED` (Linux 5.12); cleared the first time it refuses it.
private let cachedResolutionAvailable = Atomic<Bool>(true)

/// How often reads were answered on the calling thread from the kernel's caches, and how often
/// they went to the thread pool: for tests and for operators wondering where reads wait.
package final class FileSystemReadCounters: Sendable {
    private let fromCache = Atomic<Int>(0)
    private let onThreadPool = Atomic<Int>(0)

    package init() {}

    func countFromCache() { fromCache.add(1, ordering: .relaxed) }
    func countOnThreadPool() { onThreadPool.add(1, ordering: .relaxed) }

    /// Opens and whole reads done on the calling thread, without waiting for the device.
    package var answeredFromCache: Int { fromCache.load(ordering: .relaxed) }
    /// Opens and whole reads that went to the thread pool (the kernel would have waited, or the
    /// quick attempt failed and the pool said why).
    package var sentToThreadPool: Int { onThreadPool.load(ordering: .relaxed) }
}

extension FileSystemBackend {
    /// Opens `path` for reading on the calling thread, when the kernel can resolve every
    /// component from its directory cache; `nil` otherwise.
    ///
    /// Exists because handing a small read to the thread pool and back costs more than the read
    /// itself when everything is cached, which is what a busy store's hot set is. `openat2`
    /// with `RESOLVE_CACHED` fails with `EAGAIN` rather than wait for the device, and keeps the
    /// confinement of ``resolve(_:flags:)`` (`RESOLVE_BENEATH`, no magic links). Any failure,
    /// not only `EAGAIN`, gives `nil`: the caller then opens on the thread pool, which either
    /// succeeds or says exactly what failed, so errors have one source.
    func openForReadingFromCache(_ path: StoragePath) -> OpenedStorageFile? {
        guard resolution == .automatic, cachedResolutionAvailable.load(ordering: .relaxed) else { return nil }
        let resolveFlags = Self.confinedResolution | UInt64(ARTIFACTSTORE_RESOLVE_CACHED)
        let flags = UInt64(UInt32(bitPattern: Self.readOpenFlags | O_CLOEXEC))
        var fd: Int32
        repeat {
            fd = artifactstore_openat2(root.raw, path.string, flags, 0, resolveFlags)
        } while fd < 0 && errno == EINTR
        guard fd >= 0 else {
            // EINVAL: a kernel before RESOLVE_CACHED; ENOSYS: one before openat2.
            if errno == EINVAL || errno == ENOSYS {
                cachedResolutionAvailable.store(false, ordering: .relaxed)
            }
            return nil
        }
        return (try? Self.stampedIfRegular(OwnedDescriptor(fd))) ?? nil
    }

    /// ``readStamped(_:wholeUpTo:)`` done entirely on the calling thread when the kernel holds
    /// everything it needs: the path in its directory cache and, for a file of at most `limit`
    /// bytes, every byte in its page cache (`preadv2` with `RWF_NOWAIT`). `nil` when any step
    /// would wait or fails; the caller then does the read on the thread pool.
    ///
    /// The promises are those of the pool's read: a whole read returns the stamp taken at the
    /// open and only if a second `fstat` after the last byte finds it unchanged.
    func readStampedFromCache(_ path: StoragePath, wholeUpTo limit: UInt64) -> StampedObjectRead? {
        guard let opened = openForReadingFromCache(path) else { return nil }
        let size = opened.stamp.size
        guard size <= limit else {
            let bytes = Self.chunks(of: opened.descriptor, path: path, size: size, expectedStamp: opened.stamp, threadPool: threadPool)
            return .streamed(StampedRead(bytes: bytes, stamp: opened.stamp))
        }
        var buffer = ByteBufferAllocator().buffer(capacity: Int(size))
        guard FileChunks.fillFromCache(&buffer, length: Int(size), from: opened.descriptor.raw),
            let info = try? Sys.fstat(opened.descriptor.raw), Self.stamp(info) == opened.stamp
        else { return nil }
        return .whole(buffer, opened.stamp)
    }
}

extension FileSystemBackend {
    /// Lets other tasks run after a read answered from the kernel's caches.
    ///
    /// Exists because such a read never suspends, and Swift tasks are not preempted: a loop of
    /// them (readers hashing an object while a writer replaces it, a scrub) would keep its thread
    /// from every other task, and a task waiting to resume there (the writer, back from the
    /// thread pool) would never run. Measured: four readers looping on cached reads on a 2-core
    /// machine starved the writer of `overwriteAtomicUnderConcurrentReaders` for good. A yield is
    /// one trip through the executor's queue, far cheaper than the pool hand-off it replaces.
    static func yieldAfterCachedRead() async {
        await Task.yield()
    }
}

extension FileChunks {
    /// Reads `length` bytes from offset 0 of `fd` into `buffer` without waiting for the device;
    /// `false` when some of them are not in the page cache, the file is shorter, or the read
    /// fails (the caller reads again on the thread pool, which reports any real failure).
    static func fillFromCache(_ buffer: inout ByteBuffer, length: Int, from fd: Int32) -> Bool {
        guard length > 0 else { return true }
        var failure: Int32 = 0
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { pointer in
            let copied = copyFromCache(into: pointer, length: length, from: fd, at: 0)
            failure = copied.failure
            return copied.failure == 0 ? copied.filled : 0
        }
        return failure == 0
    }

    /// Copies up to `length` bytes at `offset` of `fd` into `pointer` with `preadv2(RWF_NOWAIT)`,
    /// retrying interrupted calls, until all are copied or the kernel stops. `failure` is 0 when
    /// all `length` bytes were copied, -1 when the file ended first, otherwise the `errno`
    /// (`EAGAIN`: the rest is not in the page cache).
    static func copyFromCache(
        into pointer: UnsafeMutableRawBufferPointer,
        length: Int,
        from fd: Int32,
        at offset: Int64
    ) -> (filled: Int, failure: Int32) {
        var filled = 0
        while filled < length {
            let count = artifactstore_pread_cached(fd, pointer.baseAddress! + filled, length - filled, offset + Int64(filled))
            if count > 0 {
                filled += count
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                return (filled, count == 0 ? -1 : errno)
            }
        }
        return (filled, 0)
    }
}
