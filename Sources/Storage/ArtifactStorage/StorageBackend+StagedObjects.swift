public import ArtifactStoreCore
import NIOCore

/// Staged objects from the other operations, for backends that cannot append in place: each
/// append is one atomically written segment object, `<path>/<offset as 20 digits>`, and the
/// commit writes the destination from the segments read in order. A backend that can do better
/// (a file appended to in place, server-side composition) implements the requirements itself.
extension StorageBackend {
    public func appendStaged(_ path: StoragePath, at offset: UInt64, from bytes: ByteStream) async throws(StorageError) -> UInt64 {
        let segments = try await stagedSegments(path)
        let length = segments.last.map { $0.start + $0.size } ?? 0
        guard offset <= length else {
            throw StorageError(
                .invalidRange,
                "cannot append at byte \(offset) of staged object \"\(path)\": it holds \(length) bytes",
                path: path.string
            )
        }
        // A segment that starts at or past `offset` holds bytes nobody acknowledged.
        for segment in segments where segment.start >= offset {
            try await deleteIgnoringMissing(segment.path)
        }
        if let straddling = segments.last(where: { $0.start < offset && $0.start + $0.size > offset }) {
            throw StorageError(
                .invalidRange,
                "cannot append at byte \(offset) of staged object \"\(path)\": a segment spans it",
                path: straddling.path.string
            )
        }
        let written = try await write(try Self.segmentPath(path, start: offset), from: bytes, options: StorageWriteOptions(overwrite: true))
        return offset + written.size
    }

    public func stagedLength(_ path: StoragePath) async throws(StorageError) -> UInt64? {
        let segments = try await stagedSegments(path)
        return segments.last.map { $0.start + $0.size }
    }

    public func readStaged(_ path: StoragePath, range: ClosedRange<UInt64>?) async throws(StorageError) -> ByteStream {
        let segments = try await stagedSegments(path)
        guard let last = segments.last else { throw StorageError.notFound(path) }
        try StorageError.checkRange(range, size: last.start + last.size, path: path)
        let wanted = range ?? 0...(max(last.start + last.size, 1) - 1)
        if last.start + last.size == 0 { return ByteStream(ByteBuffer()) }
        return ByteStream(StagedSegmentsSequence(backend: self, segments: segments, range: wanted))
    }

    @discardableResult
    public func commitStaged(
        _ path: StoragePath,
        length: UInt64,
        to destination: StoragePath,
        options: StorageWriteOptions
    )
        async throws(StorageError) -> StorageObjectInfo
    {
        try await commitStagedByRewriting(path, length: length, to: destination, options: options)
    }

    /// The default commit: the destination written from the segments read in order, then the
    /// segments removed. A backend that composes objects itself falls back to this where it cannot.
    package func commitStagedByRewriting(
        _ path: StoragePath,
        length: UInt64,
        to destination: StoragePath,
        options: StorageWriteOptions
    )
        async throws(StorageError) -> StorageObjectInfo
    {
        let bytes = length == 0 ? ByteStream(ByteBuffer()) : try await readStaged(path, range: 0...(length - 1))
        let info = try await write(destination, from: bytes, options: options)
        try await discardStaged(path)
        return info
    }

    public func discardStaged(_ path: StoragePath) async throws(StorageError) {
        for segment in try await stagedSegments(path) {
            try await deleteIgnoringMissing(segment.path)
        }
        do {
            try await removeDirectory(path)
        } catch  where error.kind == .objectNotFound {
            // Never made, or a backend without directories.
        }
    }

    /// The segments of the staged object at `path`, in order of their first byte.
    package func stagedSegments(_ path: StoragePath) async throws(StorageError) -> [StagedSegment] {
        var segments: [StagedSegment] = []
        var cursor: String?
        repeat {
            let page = try await list(under: path, recursive: false, limit: 1000, cursor: cursor)
            for entry in page.entries where entry.kind == .object {
                guard let start = UInt64(entry.path.name), entry.path.name.utf8.count == 20 else { continue }
                segments.append(StagedSegment(path: entry.path, start: start, size: entry.size ?? 0))
            }
            cursor = page.nextCursor
        } while cursor != nil
        return segments.sorted { $0.start < $1.start }
    }

    static func segmentPath(_ path: StoragePath, start: UInt64) throws(StorageError) -> StoragePath {
        let digits = String(start)
        return try path.appending(String(repeating: "0", count: 20 - digits.count) + digits)
    }

    private func deleteIgnoringMissing(_ path: StoragePath) async throws(StorageError) {
        do {
            try await delete(path)
        } catch  where error.kind == .objectNotFound {
            // Removed by a concurrent discard.
        }
    }
}

/// One append of a staged object kept as an object of its own (the segmented default).
package struct StagedSegment: Sendable, Hashable {
    package var path: StoragePath
    package var start: UInt64
    package var size: UInt64
}

/// The inclusive byte `range` of a staged object's segments, read one after the other.
struct StagedSegmentsSequence: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let backend: any StorageBackend
    let segments: [StagedSegment]
    let range: ClosedRange<UInt64>

    struct AsyncIterator: AsyncIteratorProtocol {
        let backend: any StorageBackend
        var pending: ArraySlice<(path: StoragePath, range: ClosedRange<UInt64>)>
        var current: ByteStream.AsyncIterator?

        mutating func next() async throws -> ByteBuffer? {
            while true {
                if current == nil {
                    guard let (path, range) = pending.popFirst() else { return nil }
                    current = try await backend.read(path, range: range).makeAsyncIterator()
                }
                if let buffer = try await current?.next(isolation: #isolation) { return buffer }
                current = nil
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        // Each segment's part of `range`, relative to the segment.
        let pieces = segments.compactMap { segment -> (path: StoragePath, range: ClosedRange<UInt64>)? in
            guard segment.size > 0 else { return nil }
            let lower = Swift.max(range.lowerBound, segment.start)
            let upper = Swift.min(range.upperBound, segment.start + segment.size - 1)
            guard lower <= upper else { return nil }
            return (segment.path, (lower - segment.start)...(upper - segment.start))
        }
        return AsyncIterator(backend: backend, pending: pieces[...], current: nil)
    }
}
