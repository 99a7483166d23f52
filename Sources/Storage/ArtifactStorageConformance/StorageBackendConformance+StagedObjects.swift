import ArtifactStorage
import ArtifactStoreCore
import NIOCore

extension StorageBackendConformance {
    /// Staged objects: appends at the staged length extend it, an append past it is
    /// `invalidRange` and changes nothing, an append before it replaces the unacknowledged tail,
    /// ranged reads see the appended bytes, and a commit makes exactly the first `length` bytes the
    /// destination (refused without overwrite onto an object, keeping the staged bytes), then
    /// leaves no staged object. Large appends (three of 6 MiB and a short tail) come back whole:
    /// the case S3 composes on the server.
    public func stagedObjects() async throws {
        try await withSubject(.stagedObjects) { _, probe in
            let backend = probe.backend
            let staged = try path("staged/upload-1")
            let destination = try path("objects/composed")
            try probe.require(try await backend.stagedLength(staged) == nil, "a staged object exists before any append")
            var length = try await backend.appendStaged(staged, at: 0, from: Array("abc".utf8).stream)
            try probe.require(length == 3, "an append of 3 bytes at 0 reported length \(length)")
            let chunks = ["de", "fg", "h"].map { ByteBuffer(string: $0) }
            length = try await backend.appendStaged(staged, at: 3, from: ByteStream(ChunkedStream(chunks: chunks)))
            try probe.require(length == 8, "an append of 5 bytes at 3 reported length \(length)")
            try probe.require(try await backend.stagedLength(staged) == 8, "the staged length is not 8 after two appends")
            try probe.require(try await collect(backend.readStaged(staged, range: nil)) == Array("abcdefgh".utf8), "staged bytes differ")
            try probe.require(try await collect(backend.readStaged(staged, range: 2...5)) == Array("cdef".utf8), "a staged range differs")

            try await probe.expectError(.invalidRange, "an append past the staged length") {
                _ = try await backend.appendStaged(staged, at: 10, from: Array("zz".utf8).stream)
            }
            try probe.require(try await backend.stagedLength(staged) == 8, "a refused append changed the staged length")

            length = try await backend.appendStaged(staged, at: 3, from: Array("XY".utf8).stream)
            try probe.require(length == 5, "an append at 3 over an unacknowledged tail reported length \(length)")
            try probe.require(try await collect(backend.readStaged(staged, range: nil)) == Array("abcXY".utf8), "the tail was not replaced")
            // An append nobody acknowledged, then a commit of what was acknowledged.
            _ = try await backend.appendStaged(staged, at: 5, from: Array("unacked".utf8).stream)

            try await probe.write(destination, Array("old".utf8))
            try await probe.expectError(.alreadyExists, "a commit onto an object without overwrite") {
                try await backend.commitStaged(staged, length: 5, to: destination, options: StorageWriteOptions(overwrite: false))
            }
            try await probe.expectContent(destination, Array("old".utf8), "after a refused commit")
            try probe.require(try await backend.stagedLength(staged) == 12, "a refused commit changed the staged object")
            try await backend.delete(destination)
            let info = try await backend.commitStaged(staged, length: 5, to: destination, options: StorageWriteOptions(overwrite: false))
            try probe.require(info.size == 5, "the commit reported \(info.size) bytes, not 5")
            try await probe.expectContent(destination, Array("abcXY".utf8), "the committed object")
            try probe.require(try await backend.stagedLength(staged) == nil, "the staged object is still there after its commit")
            try await backend.delete(destination)

            let large = try path("staged/upload-2")
            let composed = try path("objects/large")
            let pieces = [6 << 20, 6 << 20, 6 << 20, 1 << 20].enumerated().map { PatternedContent(seed: UInt64(40 + $0), size: $1) }
            var offset: UInt64 = 0
            for piece in pieces {
                offset = try await backend.appendStaged(large, at: offset, from: piece.stream)
            }
            try await backend.commitStaged(large, length: offset, to: composed, options: StorageWriteOptions(overwrite: false))
            var expected: [UInt8] = []
            for piece in pieces { expected += try await collect(piece.stream) }
            let actual = try await collect(backend.read(composed))
            try probe.require(actual == expected, "a staged object of \(offset) bytes in four appends did not come back whole")
            try await backend.delete(composed)
        }
    }

    /// A staged append whose stream fails keeps the staged object at its earlier length, with
    /// its bytes; a discard removes it, and a second discard succeeds.
    public func stagedFailures() async throws {
        try await withSubject(.stagedFailures) { _, probe in
            let backend = probe.backend
            let staged = try path("staged/upload-3")
            _ = try await backend.appendStaged(staged, at: 0, from: Array("kept".utf8).stream)
            let chunks = (0..<3).map { ByteBuffer(repeating: UInt8($0), count: 100 * 1024) }
            try await probe.expectError(.io, "an append from a stream that fails") {
                _ = try await backend.appendStaged(staged, at: 4, from: ByteStream(FailingStream(chunks: chunks)))
            }
            try probe.require(try await backend.stagedLength(staged) == 4, "a failed append changed the staged length")
            try probe.require(
                try await collect(backend.readStaged(staged, range: nil)) == Array("kept".utf8),
                "a failed append changed bytes"
            )
            try await probe.expectError(.invalidRange, "an append to a missing staged object past 0") {
                _ = try await backend.appendStaged(try path("staged/none"), at: 3, from: Array("x".utf8).stream)
            }
            try await backend.discardStaged(staged)
            try probe.require(try await backend.stagedLength(staged) == nil, "a discarded staged object is still there")
            try await backend.discardStaged(staged)
        }
    }
}

/// A stream of the given buffers, in order.
struct ChunkedStream: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let chunks: [ByteBuffer]

    struct AsyncIterator: AsyncIteratorProtocol {
        var remaining: ArraySlice<ByteBuffer>
        mutating func next() async throws -> ByteBuffer? { remaining.popFirst() }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(remaining: chunks[...]) }
}
