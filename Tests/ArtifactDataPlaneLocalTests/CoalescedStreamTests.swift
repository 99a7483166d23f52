import ArtifactStoreCore
import ArtifactStoreTestSupport
import NIOCore
import Testing

/// `ByteStream.coalesced(minimum:)`, which an ingest puts in front of its hashing and writing.
@Suite("Coalesced byte streams", .timeLimit(.minutes(5)))
struct CoalescedStreamTests {
    static func chunks(_ sizes: [Int]) -> (stream: ByteStream, bytes: [UInt8]) {
        var offset = 0
        var buffers: [ByteBuffer] = []
        var bytes: [UInt8] = []
        for size in sizes {
            let chunk = [UInt8](count: size) { UInt8(truncatingIfNeeded: ($0 + offset) &* 13) }
            offset += size
            bytes += chunk
            buffers.append(ByteBuffer(bytes: chunk))
        }
        return (ByteStream(buffers: buffers), bytes)
    }

    static func collect(_ stream: ByteStream) async throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        for try await buffer in stream { out.append(Array(buffer.readableBytesView)) }
        return out
    }

    @Test("small buffers are joined up to the minimum; the bytes and their order are unchanged")
    func joinsSmallBuffers() async throws {
        let (stream, bytes) = Self.chunks([100, 300, 0, 700, 50, 2_000, 10])
        let out = try await Self.collect(stream.coalesced(minimum: 1_000))
        #expect(out.map(\.count) == [1_100, 2_050, 10])
        #expect(out.flatMap { $0 } == bytes)
    }

    @Test("a buffer already large enough passes through; empty buffers and an empty stream yield nothing")
    func passesLargeBuffersAndSkipsEmpty() async throws {
        let (stream, bytes) = Self.chunks([5_000, 0, 1_000, 999])
        let out = try await Self.collect(stream.coalesced(minimum: 1_000))
        #expect(out.map(\.count) == [5_000, 1_000, 999])
        #expect(out.flatMap { $0 } == bytes)
        #expect(try await Self.collect(ByteStream.empty.coalesced(minimum: 10)).isEmpty)
        #expect(try await Self.collect(Self.chunks([0, 0]).stream.coalesced(minimum: 10)).isEmpty)
    }

    struct SourceFailed: Error {}

    struct FailingAfter: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let buffers: Int
        struct AsyncIterator: AsyncIteratorProtocol {
            var left: Int
            mutating func next() async throws -> ByteBuffer? {
                guard left > 0 else { throw SourceFailed() }
                left -= 1
                return ByteBuffer(repeating: 7, count: 10)
            }
        }
        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(left: buffers) }
    }

    @Test("a failing source fails the coalesced stream; the bytes held back are not handed on as if complete")
    func sourceFailurePropagates() async throws {
        var received = 0
        await #expect(throws: SourceFailed.self) {
            for try await buffer in ByteStream(FailingAfter(buffers: 3)).coalesced(minimum: 1_000) { received += buffer.readableBytes }
        }
        #expect(received == 0)
    }
}
