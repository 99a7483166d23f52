import ArtifactStoreCore
import NIOCore
import Testing

/// What a ``ByteStream`` offers besides its iteration: one buffer in memory is offered whole.
@Suite("ByteStream", .timeLimit(.minutes(5)))
struct ByteStreamTests {
    @Test("a stream of one buffer offers it whole, and still iterates it")
    func oneBufferIsOfferedWhole() async throws {
        let buffer = ByteBuffer(string: "content")
        let stream = ByteStream(buffer)
        #expect(stream.wholeBuffer == buffer)
        var iterated: [ByteBuffer] = []
        for try await part in stream { iterated.append(part) }
        #expect(iterated == [buffer])
    }

    @Test("no whole buffer for several buffers, none, or a stream produced on demand")
    func otherStreamsOfferNone() {
        let buffer = ByteBuffer(string: "content")
        #expect(ByteStream(buffers: [buffer, buffer]).wholeBuffer == nil)
        #expect(ByteStream.empty.wholeBuffer == nil)
        #expect(ByteStream(ByteStream(buffer)).wholeBuffer == nil)
    }
}
