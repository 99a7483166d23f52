import ArtifactStoreTestSupport
import NIOCore
import Synchronization
import Testing

@testable import ArtifactIdentity

@Suite("Dual digester", .timeLimit(.minutes(5)))
struct DualDigesterTests {
    static let configurations: [DualDigester.Configuration] = [
        .init(concurrent: true),
        .init(concurrent: false),
        .init(concurrent: true, maximumQueuedBytes: 1, maximumQueuedBuffers: 1),
    ]

    @Test(arguments: configurations)
    func emptyStreamGivesEmptyDigests(configuration: DualDigester.Configuration) async throws {
        let result = try await DualDigester.digest([ByteBuffer]().async, configuration: configuration)
        #expect(result.size == 0)
        #expect(result.blake3.description == "blake3:af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262")
        #expect(result.sha256.description == "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        // Zero-length buffers change nothing.
        let empties = try await DualDigester.digest([ByteBuffer(), ByteBuffer()].async, configuration: configuration)
        #expect(empties == result)
    }

    @Test(arguments: configurations)
    func matchesOneShotDigestsForAnySplit(configuration: DualDigester.Configuration) async throws {
        var random = SeededBytes(state: 42)
        for length in [1, 63, 64, 65, 1023, 1024, 1025, 4096, 65_537, 1_048_577] {
            let bytes = random.bytes(length)
            var buffers: [ByteBuffer] = []
            var offset = 0
            while offset < length {
                let step = 1 + random.below(max(1, length / 3))
                buffers.append(ByteBuffer(bytes: bytes[offset..<min(length, offset + step)]))
                offset += step
            }
            let result = try await DualDigester.digest(buffers.async, configuration: configuration)
            #expect(result.size == UInt64(length))
            #expect(result.blake3 == Digest.blake3(of: bytes), "length \(length)")
            #expect(result.sha256 == Digest.sha256(of: bytes), "length \(length)")
        }
    }

    @Test func largeStreamMatchesSequentialHashes() async throws {
        var random = SeededBytes(state: 7)
        let block = ByteBuffer(bytes: random.bytes(1 << 20))
        // 48 MiB in 1 MiB buffers, the shape a file or socket reader produces.
        let buffers = Array(repeating: block, count: 48)
        let concurrent = try await DualDigester.digest(buffers.async, configuration: .init(concurrent: true))
        let inline = try await DualDigester.digest(buffers.async, configuration: .init(concurrent: false))
        #expect(concurrent == inline)
        #expect(concurrent.size == 48 << 20)
        let (blake3, _) = try await Digest.digest(of: buffers.async, algorithm: .blake3)
        let (sha256, _) = try await Digest.digest(of: buffers.async, algorithm: .sha256)
        #expect(concurrent.blake3 == blake3)
        #expect(concurrent.sha256 == sha256)
    }

    @Test(arguments: configurations)
    func streamFailurePropagates(configuration: DualDigester.Configuration) async throws {
        let buffers = Array(repeating: ByteBuffer(repeating: 1, count: 4096), count: 10)
        await #expect(throws: BufferSequence.TestStreamFailure.self) {
            try await DualDigester.digest(BufferSequence(buffers: buffers, failAfter: 5), configuration: configuration)
        }
    }

    @Test(arguments: configurations)
    func sessionBodyFailurePropagatesAndStopsHashing(configuration: DualDigester.Configuration) async throws {
        struct BodyFailure: Error {}
        await #expect(throws: BodyFailure.self) {
            _ = try await DualDigester.withSession(configuration: configuration) { session in
                try await session.update(ByteBuffer(repeating: 9, count: 100))
                throw BodyFailure()
            }
        }
    }

    @Test(arguments: configurations)
    func cancellationEndsCleanly(configuration: DualDigester.Configuration) async throws {
        let endless = EndlessSequence(buffer: ByteBuffer(repeating: 3, count: 64 << 10))
        let task = Task {
            try await DualDigester.digest(endless, configuration: configuration)
        }
        // Cancelled while hashing, not before it began: once several buffers have been taken.
        for await _ in endless.underWay {}
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    @Test func sessionReturnsBodyResultAndSize() async throws {
        let (result, digest) = try await DualDigester.withSession { session in
            try await session.update(ByteBuffer(string: "hello "))
            try await session.update(ByteBuffer(string: "world"))
            return session.size
        }
        #expect(result == 11)
        #expect(digest.size == 11)
        #expect(digest.sha256 == Digest.sha256(of: Array("hello world".utf8)))
        #expect(digest.blake3 == Digest.blake3(of: Array("hello world".utf8)))
        #expect(digest.digest(for: .sha256) == digest.sha256)
    }
}

@Suite("Bounded buffer channel", .timeLimit(.minutes(5)))
struct BoundedBufferChannelTests {
    @Test func producerSuspendsWhenFullAndResumesWhenDrained() async throws {
        let channel = BoundedBufferChannel(maximumBytes: 10, maximumBuffers: 100)
        let sent = Atomic<Int>(0)
        let producer = Task {
            for _ in 0..<5 {
                try await channel.send(ByteBuffer(repeating: 0, count: 4))
                sent.add(1, ordering: .relaxed)
            }
            channel.finish()
        }
        // Two 4-byte buffers fit in 10 bytes; the third must wait for the consumer.
        #expect(try await eventually { channel.hasWaitingProducer }, "the producer never parked")
        #expect(sent.load(ordering: .relaxed) == 2)
        #expect(channel.queuedBytes == 8)
        var received = 0
        while let buffer = try await channel.next() {
            received += buffer.readableBytes
        }
        try await producer.value
        #expect(received == 20)
        #expect(sent.load(ordering: .relaxed) == 5)
    }

    /// A buffer taken from the channel is no longer referenced by it: the producer's copy is
    /// unique again, so writing to it does not copy its storage. (The channel once kept up to
    /// 64 taken buffers alive, 64 MiB of 1 MiB chunks read from a socket.)
    @Test func takenBuffersAreReleased() async throws {
        let channel = BoundedBufferChannel(maximumBytes: 1 << 20, maximumBuffers: 64)
        var buffers = (0..<10).map { ByteBuffer(repeating: UInt8($0), count: 4096) }
        func addresses() -> [UInt] { buffers.map { $0.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } } }
        for buffer in buffers { try await channel.send(buffer) }
        for _ in buffers { _ = try await channel.next() }
        let before = addresses()
        for index in buffers.indices { buffers[index].setInteger(UInt8(0xFF), at: 0) }
        #expect(addresses() == before, "the channel still holds taken buffers")
    }

    @Test func oversizedBufferIsAcceptedWhenEmpty() async throws {
        let channel = BoundedBufferChannel(maximumBytes: 2, maximumBuffers: 1)
        try await channel.send(ByteBuffer(repeating: 0, count: 100))
        channel.finish()
        #expect(try await channel.next()?.readableBytes == 100)
        #expect(try await channel.next() == nil)
    }

    @Test func failureReachesConsumerAfterQueuedBuffers() async throws {
        struct Boom: Error {}
        let channel = BoundedBufferChannel(maximumBytes: 100, maximumBuffers: 10)
        try await channel.send(ByteBuffer(repeating: 1, count: 1))
        channel.finish(throwing: Boom())
        #expect(try await channel.next()?.readableBytes == 1)
        await #expect(throws: Boom.self) { _ = try await channel.next() }
        await #expect(throws: Boom.self) { try await channel.send(ByteBuffer(repeating: 1, count: 1)) }
    }

    @Test func cancelledConsumerWakes() async throws {
        let channel = BoundedBufferChannel(maximumBytes: 100, maximumBuffers: 10)
        let consumer = Task { try await channel.next() }
        #expect(try await eventually { channel.hasWaitingConsumer }, "the consumer never parked")
        consumer.cancel()
        await #expect(throws: CancellationError.self) { _ = try await consumer.value }
    }

    @Test func cancelledProducerWakes() async throws {
        let channel = BoundedBufferChannel(maximumBytes: 1, maximumBuffers: 1)
        try await channel.send(ByteBuffer(repeating: 1, count: 1))
        let producer = Task { try await channel.send(ByteBuffer(repeating: 1, count: 1)) }
        #expect(try await eventually { channel.hasWaitingProducer }, "the producer never parked")
        producer.cancel()
        await #expect(throws: CancellationError.self) { try await producer.value }
    }
}
