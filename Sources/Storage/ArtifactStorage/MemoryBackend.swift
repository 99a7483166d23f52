public import ArtifactStoreCore
import Foundation
import NIOCore
import Synchronization

/// A ``StorageBackend`` that keeps objects in process memory.
///
/// A real backend, not a mock: it keeps every promise the filesystem backend keeps (atomic
/// writes that become visible only once the stream completes, explicit directories, the same
/// errors), so tests and scratch deployments behave as production does. Backends created with
/// the same name share one store through ``MemoryStoreRegistry``; an unnamed backend has a
/// private store. Reads hand out chunks of the stored bytes without copying them.
public struct MemoryBackend: StorageBackend {
    /// Size of the buffers a read yields.
    public static let readChunkSize = 256 * 1024

    let store: MemoryStore

    /// A backend over the shared store called `name` (created if needed).
    public init(name: String) throws(StorageError) {
        try MemoryStoreRegistry.validate(name: name)
        self.store = MemoryStoreRegistry.store(named: name)
    }

    /// A backend over a new, private store.
    public init() {
        self.store = MemoryStore(name: nil)
    }

    /// The store's name, `nil` for a private store.
    public var name: String? { store.name }

    /// Every object and directory in the store, as text, sorted byte-wise; directories end in `/`.
    /// For leak checks and inspection.
    public func allItems() -> [String] {
        store.state.withLock { state in
            state.objects.values.map(\.path.string) + state.directories.values.map { $0.string + "/" }
        }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    // MARK: Reading

    public func read(_ path: StoragePath, range: ClosedRange<UInt64>?) async throws(StorageError) -> ByteStream {
        let key = path.bytes
        guard let object = store.state.withLock({ $0.objects[key] }) else {
            throw .notFound(path)
        }
        var bytes = object.bytes
        try StorageError.checkRange(range, size: UInt64(bytes.readableBytes), path: path)
        if let range {
            bytes = bytes.getSlice(at: bytes.readerIndex + Int(range.lowerBound), length: Int(range.upperBound - range.lowerBound) + 1)!
        }
        return ByteStream(BufferChunks(buffer: bytes, chunkSize: Self.readChunkSize))
    }

    public func exists(_ path: StoragePath) async throws(StorageError) -> Bool {
        let key = path.bytes
        return store.state.withLock { $0.objects[key] != nil }
    }

    public func stat(_ path: StoragePath) async throws(StorageError) -> StorageObjectInfo {
        let key = path.bytes
        guard let object = store.state.withLock({ $0.objects[key] }) else {
            throw .notFound(path)
        }
        return object.info
    }

    public func list(
        under prefix: StoragePath?,
        recursive: Bool,
        limit: Int,
        cursor: String?
    ) async throws(StorageError)
        -> StorageListPage
    {
        let depth = prefix?.segments.count ?? 0
        var entries: [StorageEntry] = store.state.withLock { state in
            var entries: [StorageEntry] = []
            for object in state.objects.values {
                let path = object.path
                guard path.segments.count > depth, prefix.map({ path.isWithinBytes($0) }) ?? true else { continue }
                if recursive || path.segments.count == depth + 1 {
                    entries.append(
                        StorageEntry(path: path, kind: .object, size: UInt64(object.bytes.readableBytes), modified: object.modified)
                    )
                }
            }
            if !recursive {
                for directory in state.directories.values {
                    guard directory.segments.count == depth + 1, prefix.map({ directory.isWithinBytes($0) }) ?? true else {
                        continue
                    }
                    entries.append(StorageEntry(path: directory, kind: .directory))
                }
            }
            return entries
        }
        entries.sort { $0.path < $1.path }
        return StorageListPage.page(of: entries, limit: limit, cursor: cursor)
    }

    // MARK: Writing

    @discardableResult
    public func write(
        _ path: StoragePath,
        from bytes: ByteStream,
        options: StorageWriteOptions
    ) async throws(StorageError)
        -> StorageObjectInfo
    {
        try options.validate(for: path)
        let owner = try options.owner?.resolved()
        let key = path.bytes
        // Refuse early what the commit would refuse, rather than after buffering the stream.
        try store.state.withLock { state throws(StorageError) in try state.checkPlaceable(path, overwrite: options.overwrite) }
        var collected = ByteBuffer()
        do {
            for try await chunk in bytes {
                try Task.checkCancellation()
                var chunk = chunk
                collected.writeBuffer(&chunk)
            }
        } catch {
            throw .writeSourceFailed(error, path: path)
        }
        if Task.isCancelled { throw .writeCancelled(path) }

        let object = MemoryStore.Object(
            path: path,
            bytes: collected,
            modified: Date(),
            mode: options.mode ?? 0o644,
            uid: owner?.uid ?? UInt32(getuidPortable()),
            gid: owner?.gid ?? UInt32(getgidPortable())
        )
        try store.state.withLock { state throws(StorageError) in
            try state.checkPlaceable(path, overwrite: options.overwrite)
            state.addParents(of: path)
            state.objects[key] = object
        }
        return object.info
    }

    public func delete(_ path: StoragePath) async throws(StorageError) {
        let key = path.bytes
        try store.state.withLock { state throws(StorageError) in
            guard state.objects.removeValue(forKey: key) != nil else {
                if state.directories[key] != nil {
                    throw StorageError(.objectNotFound, "no object at \"\(path)\"; it is a directory", path: path.string)
                }
                throw .notFound(path)
            }
        }
    }

    public func makeDirectory(_ path: StoragePath) async throws(StorageError) {
        try store.state.withLock { state throws(StorageError) in
            var current: [String] = []
            for segment in path.segments {
                current.append(segment)
                let directory = StoragePath(unchecked: current)
                if state.objects[directory.bytes] != nil {
                    throw StorageError(.alreadyExists, "an object exists at \"\(directory)\"", path: directory.string)
                }
            }
            state.addParents(of: path)
            state.directories[path.bytes] = path
        }
    }

    public func removeDirectory(_ path: StoragePath) async throws(StorageError) {
        let key = path.bytes
        try store.state.withLock { state throws(StorageError) in
            guard state.directories[key] != nil else {
                throw StorageError(.objectNotFound, "no directory at \"\(path)\"", path: path.string)
            }
            let occupied =
                state.objects.values.contains { $0.path.segments.count > path.segments.count && $0.path.isWithinBytes(path) }
                || state.directories.values.contains { $0.segments.count > path.segments.count && $0.isWithinBytes(path) }
            if occupied {
                throw StorageError(.io, "directory \"\(path)\" is not empty", path: path.string)
            }
            state.directories.removeValue(forKey: key)
        }
    }

    public func move(from source: StoragePath, to destination: StoragePath, options: StorageMoveOptions) async throws(StorageError) {
        let overwrite = options.overwrite
        try store.state.withLock { state throws(StorageError) in
            guard var object = state.objects[source.bytes] else { throw .notFound(source) }
            if source.bytes == destination.bytes {
                if overwrite { return }
                throw StorageError(.alreadyExists, "an object exists at \"\(destination)\"", path: destination.string)
            }
            try state.checkPlaceable(destination, overwrite: overwrite)
            state.objects.removeValue(forKey: source.bytes)
            state.addParents(of: destination)
            object.path = destination
            state.objects[destination.bytes] = object
        }
    }

    public func health() async -> StorageHealth {
        let (count, bytes) = store.state.withLock { state in
            (state.objects.count, state.objects.values.reduce(0) { $0 + $1.bytes.readableBytes })
        }
        let label = store.name.map { "memory store \"\($0)\"" } ?? "private memory store"
        return StorageHealth(reachable: true, writable: true, message: "\(label): \(count) objects, \(bytes) bytes")
    }
}

extension MemoryStore.State {
    /// Refuses to place an object at `path` when an ancestor is an object, a directory is at
    /// `path`, or (without `overwrite`) an object is already there.
    func checkPlaceable(_ path: StoragePath, overwrite: Bool) throws(StorageError) {
        var current: [String] = []
        for segment in path.segments.dropLast() {
            current.append(segment)
            let ancestor = StoragePath(unchecked: current)
            if objects[ancestor.bytes] != nil {
                throw StorageError(.alreadyExists, "an object exists at \"\(ancestor)\", a parent of \"\(path)\"", path: path.string)
            }
        }
        if directories[path.bytes] != nil {
            throw StorageError(.alreadyExists, "a directory exists at \"\(path)\"", path: path.string)
        }
        if !overwrite, objects[path.bytes] != nil {
            throw StorageError(.alreadyExists, "an object exists at \"\(path)\"", path: path.string)
        }
    }

    mutating func addParents(of path: StoragePath) {
        var current: [String] = []
        for segment in path.segments.dropLast() {
            current.append(segment)
            let directory = StoragePath(unchecked: current)
            directories[directory.bytes] = directory
        }
    }
}

/// Yields a buffer in slices of at most `chunkSize` bytes, sharing its storage.
struct BufferChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let buffer: ByteBuffer
    let chunkSize: Int

    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: ByteBuffer
        let chunkSize: Int

        mutating func next() async throws -> ByteBuffer? {
            guard remaining.readableBytes > 0 else { return nil }
            return remaining.readSlice(length: Swift.min(chunkSize, remaining.readableBytes))
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(remaining: buffer, chunkSize: chunkSize)
    }
}

extension StoragePath {
    init(unchecked segments: [String]) {
        self.init(validatedSegments: segments)
    }

    /// `isWithin` by bytes rather than by Swift's canonical string equality.
    func isWithinBytes(_ other: StoragePath) -> Bool {
        segments.count >= other.segments.count
            && zip(segments, other.segments).allSatisfy { $0.utf8.elementsEqual($1.utf8) }
    }
}

extension StorageListPage {
    /// Cuts one page out of `entries` (already in byte-wise order): those after `cursor`, at most
    /// `limit` of them, with a cursor when more remain. Shared so every backend pages alike.
    public static func page(of entries: [StorageEntry], limit: Int, cursor: String?) -> StorageListPage {
        let limit = max(1, limit)
        var remaining = entries[...]
        if let cursor {
            let start = entries.firstIndex { cursor.utf8.lexicographicallyPrecedes($0.path.string.utf8) } ?? entries.endIndex
            remaining = entries[start...]
        }
        let page = Array(remaining.prefix(limit))
        let more = remaining.count > limit
        return StorageListPage(entries: page, nextCursor: more ? page.last?.path.string : nil)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
public import Darwin
#endif

func getuidPortable() -> UInt32 { UInt32(getuid()) }
func getgidPortable() -> UInt32 { UInt32(getgid()) }
