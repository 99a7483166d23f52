import ArtifactControlPlane
import ArtifactStoreCore
import NIOCore

/// The chunks of an upload session read in order, one blob after the other, then the closing
/// request's body if any, as one stream (what a closing ingest hashes and stores).
struct ChunkConcatenation: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let store: OCIStore
    let uploadID: String
    let chunks: [OCIUploadChunk]
    let tail: ByteStream?

    struct AsyncIterator: AsyncIteratorProtocol {
        let store: OCIStore
        let uploadID: String
        let chunks: [OCIUploadChunk]
        var tail: ByteStream?
        var index = 0
        var current: ByteStream.AsyncIterator?

        mutating func next() async throws -> ByteBuffer? {
            while true {
                if current == nil {
                    if index < chunks.count {
                        current = try await store.openChunk(uploadID: uploadID, chunk: chunks[index]).makeAsyncIterator()
                        index += 1
                    } else if let last = tail {
                        current = last.makeAsyncIterator()
                        tail = nil
                    } else {
                        return nil
                    }
                }
                if let buffer = try await current?.next(isolation: #isolation) { return buffer }
                current = nil
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(store: store, uploadID: uploadID, chunks: chunks, tail: tail)
    }
}
