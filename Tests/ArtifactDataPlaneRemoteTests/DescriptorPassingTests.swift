import ArtifactDataPlane
import ArtifactDataPlaneConformance
import ArtifactDataPlaneDaemon
import ArtifactDataPlaneRemote
import ArtifactDataPlaneTestSupport
import ArtifactDataPlaneWire
import ArtifactIdentity
import ArtifactStoreCore
import ArtifactStoreTestSupport
import Foundation
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Whole serves over files through a descriptor the daemon passes on its `.fd` side channel:
/// what the client gets, that it proves the bytes itself, when the daemon streams instead, and
/// peers of the side channel that break its rules.
@Suite("Descriptor passing", .timeLimit(.minutes(10)))
struct DescriptorPassingTests {
    /// A daemon over fresh file system backends, and a client.
    struct Setup {
        let subject: DataPlaneConformanceSubject
        let harness: DaemonHarness
        let remote: RemoteDataPlane

        init(
            configure: (inout DataPlaneDaemon.Configuration) -> Void = { _ in },
            client: RemoteDataPlane.Configuration = .init()
        ) async throws {
            subject = try Subjects.fileSystem()
            harness = try await DaemonHarness(serving: subject.dataPlane, configure: configure)
            remote = RemoteDataPlane(socketPath: harness.socketPath, configuration: client, logger: TestLogs.silent)
        }

        var sideChannel: SideChannelPeer { SideChannelPeer(mainSocketPath: harness.socketPath) }

        func stop() async throws {
            remote.shutdown()
            try await harness.stop()
            try await subject.tearDown()
        }

        /// A ticket for a whole serve of `address`, asked for with raw frames on the main socket.
        func ticket(for address: ContentAddress) async throws -> WireDescriptorTicket {
            let serve = try WireRequest.serve(address, range: nil, backendID: nil, window: 4, descriptor: true).frame(call: 1).encoded()
            let frames = try await RawClient(socketPath: harness.socketPath).frames([try RawClient.hello(), serve]) {
                $0.call == 1 && $0.kind == .end
            }
            let result = try #require(frames.first { $0.call == 1 && $0.kind == .result })
            #expect(frames.last?.kind == .end)
            return try #require(try result.decodeBody(WireServeStart.self).descriptor)
        }
    }

    static func collect(_ stream: ByteStream) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in stream { bytes += chunk.readableBytesView }
        return bytes
    }

    static func content(_ size: Int, seed: UInt8) -> [UInt8] {
        (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed)) }
    }

    @Test func wholeServesTakeTheDescriptorRangedServesStream() async throws {
        let setup = try await Setup()
        let bytes = Self.content(3_000_000, seed: 7)
        let object = try await setup.remote.ingest(ByteStream(ByteBuffer(bytes: bytes)))
        for round in 1...2 {
            #expect(try await Self.collect(setup.remote.serve(object.address)) == bytes)
            #expect(setup.remote.descriptorServeCount == round)
        }
        let ranged = try await Self.collect(
            setup.remote.serve(object.address, range: ByteRange(first: 10, last: 2_000_009), backendID: nil)
        )
        #expect(ranged == Array(bytes[10...2_000_009]))
        #expect(setup.remote.descriptorServeCount == 2)
        try await setup.stop()
    }

    /// A whole serve through `setup` returns the bytes without a descriptor; then stop.
    static func expectStreamedThenStop(_ setup: Setup, size: Int, seed: UInt8) async throws {
        let bytes = content(size, seed: seed)
        let object = try await setup.remote.ingest(ByteStream(ByteBuffer(bytes: bytes)))
        #expect(try await collect(setup.remote.serve(object.address)) == bytes)
        #expect(setup.remote.descriptorServeCount == 0)
        try await setup.stop()
    }

    /// A side channel that cannot be reached does not fail the read: the client asks again for
    /// the bytes on the main socket, and stops asking for descriptors for a while.
    @Test func aLostSideChannelFallsBackToStreaming() async throws {
        let setup = try await Setup()
        let bytes = Self.content(1_200_000, seed: 9)
        let object = try await setup.remote.ingest(ByteStream(ByteBuffer(bytes: bytes)))
        #expect(unlink(setup.sideChannel.path) == 0)
        #expect(try await Self.collect(setup.remote.serve(object.address)) == bytes)
        #expect(setup.remote.descriptorServeCount == 0)
        #expect(setup.remote.descriptorFallbackCount == 1)
        // Suspended: the next whole serve streams without trying the side channel again.
        #expect(try await Self.collect(setup.remote.serve(object.address)) == bytes)
        #expect(setup.remote.descriptorFallbackCount == 1)
        try await setup.stop()
    }

    /// Once the suspension is over, whole serves ask again.
    @Test func askingResumesAfterTheSuspension() async throws {
        let setup = try await Setup(client: .init(descriptorRetryAfter: .zero))
        let bytes = Self.content(800_000, seed: 4)
        let object = try await setup.remote.ingest(ByteStream(ByteBuffer(bytes: bytes)))
        #expect(unlink(setup.sideChannel.path) == 0)
        for round in 1...2 {
            #expect(try await Self.collect(setup.remote.serve(object.address)) == bytes)
            #expect(setup.remote.descriptorFallbackCount == round)
        }
        try await setup.stop()
    }

    /// A client that does not ask (as before the field existed) is streamed the bytes.
    @Test func aClientThatDoesNotAskIsStreamed() async throws {
        try await Self.expectStreamedThenStop(try await Setup(client: .init(takesDescriptors: false)), size: 1_500_000, seed: 3)
    }

    /// A daemon that does not pass descriptors has no side channel and streams, also to a
    /// client that asks.
    @Test func aDaemonThatDoesNotPassStreams() async throws {
        let setup = try await Setup(configure: { $0.passesDescriptors = false })
        #expect(DataPlaneDaemonTests.status(setup.sideChannel.path) == nil)
        try await Self.expectStreamedThenStop(setup, size: 700_000, seed: 5)
    }

    /// Memory backends have no files: streamed.
    @Test func objectsWithoutFilesAreStreamed() async throws {
        let subject = try Subjects.memory()
        let harness = try await DaemonHarness(serving: subject.dataPlane)
        let remote = RemoteDataPlane(socketPath: harness.socketPath, logger: TestLogs.silent)
        let bytes = Self.content(600_000, seed: 9)
        let object = try await remote.ingest(ByteStream(ByteBuffer(bytes: bytes)))
        #expect(try await Self.collect(remote.serve(object.address)) == bytes)
        #expect(remote.descriptorServeCount == 0)
        remote.shutdown()
        try await harness.stop()
        try await subject.tearDown()
    }

    /// The client proves what it reads through the descriptor: a corrupted object ends in
    /// `objectCorrupt` without its last bytes, also after clean reads recorded its stamp.
    @Test func corruptionIsCaughtByTheClient() async throws {
        let setup = try await Setup()
        let bytes = Self.content(2_000_000, seed: 11)
        let object = try await setup.remote.ingest(ByteStream(ByteBuffer(bytes: bytes)))
        #expect(try await Self.collect(setup.remote.serve(object.address)) == bytes)
        try await setup.subject.corruptByte(setup.subject.defaultBackendID, object.receipt.storageKey, 1_999_000)
        var received = 0
        var caught: DataPlaneError?
        do {
            for try await chunk in try await setup.remote.serve(object.address) { received += chunk.readableBytes }
        } catch let error as DataPlaneError {
            caught = error
        }
        #expect(caught?.kind == .objectCorrupt)
        #expect(received < bytes.count)
        #expect(setup.remote.descriptorServeCount == 2)
        try await setup.stop()
    }

    /// The daemon wrote and hashed the object at ingest, so its whole read would be proved by the
    /// stamp; the ticket carries that stamp and the client needs no hash. A byte changed in place
    /// gives the file another stamp: no vouching, the client hashes and refuses the bytes.
    @Test(.timeLimit(.minutes(10))) func theDaemonVouchesByStampOnlyForTheFileItProved() async throws {
        let setup = try await Setup()
        let bytes = Self.content(3_000_000, seed: 5)
        let object = try await setup.remote.ingest(ByteStream(ByteBuffer(bytes: bytes)))
        let fresh = try await setup.ticket(for: object.address)
        #expect(fresh.proves)
        #expect(fresh.stamp?.size == 3_000_000)
        #expect(try await Self.collect(setup.remote.serve(object.address)) == bytes)

        try await setup.subject.corruptByte(setup.subject.defaultBackendID, object.receipt.storageKey, 100)
        let changed = try await setup.ticket(for: object.address)
        #expect(changed.proves)
        #expect(changed.stamp == nil)
        var caught: DataPlaneError?
        do {
            _ = try await Self.collect(setup.remote.serve(object.address))
        } catch let error as DataPlaneError {
            caught = error
        }
        #expect(caught?.kind == .objectCorrupt)
        #expect(setup.remote.descriptorServeCount == 2)
        try await setup.stop()
    }

    @Test func sideChannelIsOwnerOnlyAndRemovedOnShutdown() async throws {
        let setup = try await Setup()
        let status = try #require(DataPlaneDaemonTests.status(setup.sideChannel.path))
        #expect(status.st_mode & S_IFMT == S_IFSOCK)
        #expect(status.st_mode & 0o7777 == 0o600)
        try await setup.stop()
        #expect(DataPlaneDaemonTests.status(setup.sideChannel.path) == nil)
        #expect(DataPlaneDaemonTests.status(setup.harness.socketPath) == nil)
    }

    /// Something that is not a socket at `<path>.fd` stops the daemon from starting, is left
    /// alone, and the main socket it had already bound is removed again.
    @Test func aNonSocketAtTheSideChannelPathIsRefused() async throws {
        let path = DaemonHarness.freshSocketPath()
        let sidePath = path + WireProtocol.descriptorSocketSuffix
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: sidePath))
        defer { unlink(sidePath) }
        let error = try await DataPlaneDaemonTests.startFails(at: path)
        #expect(error?.kind == .socketPathNotSocket)
        #expect(error?.message.contains(sidePath) == true)
        #expect(try String(contentsOfFile: sidePath, encoding: .utf8) == "keep me")
        #expect(DataPlaneDaemonTests.status(path) == nil)
    }

    /// A main socket path that leaves no room for `.fd` is refused up front.
    @Test func aMainPathTooLongForTheSideChannelIsRefused() async throws {
        let path = "/tmp/" + String(repeating: "s", count: 105 - 5)
        #expect(path.utf8.count == 105)
        let error = try await DataPlaneDaemonTests.startFails(at: path)
        #expect(error?.kind == .invalidConfiguration)
        #expect(DataPlaneDaemonTests.status(path) == nil)
    }

    // MARK: Hostile side-channel peers

    /// Less than a ticket, nothing at all, or 32 bytes that are no ticket: refused with a code
    /// and closed, nothing passed; the daemon goes on passing descriptors.
    @Test func garbageAndUnknownTicketsAreRefused() async throws {
        let setup = try await Setup()
        let short = try setup.sideChannel.exchange([1, 2, 3, 4, 5])
        #expect(short.refusal == "malformedFrame")
        #expect(short.descriptor == nil)
        let empty = try setup.sideChannel.exchange([])
        #expect(empty.refusal == "malformedFrame")
        let unknown = try setup.sideChannel.exchange([UInt8](repeating: 0xA5, count: WireProtocol.ticketLength))
        #expect(unknown.refusal == "ticketUnknown")
        #expect(unknown.descriptor == nil)
        let bytes = Self.content(400_000, seed: 13)
        let object = try await setup.remote.ingest(ByteStream(ByteBuffer(bytes: bytes)))
        #expect(try await Self.collect(setup.remote.serve(object.address)) == bytes)
        #expect(setup.remote.descriptorServeCount == 1)
        try await setup.stop()
    }

    /// A real ticket hands over a read-only descriptor of the object once; the second time it
    /// is refused.
    @Test func aTicketIsRedeemedOnce() async throws {
        let setup = try await Setup()
        let bytes = Self.content(100_000, seed: 17)
        let object = try await setup.remote.ingest(ByteStream(ByteBuffer(bytes: bytes)))
        let granted = try await setup.ticket(for: object.address)
        #expect(granted.ticket.count == WireProtocol.ticketLength)
        #expect(granted.size == UInt64(bytes.count))
        let first = try setup.sideChannel.exchange(granted.ticket)
        let descriptor = try #require(first.descriptor)
        defer { close(descriptor) }
        #expect(first.size == UInt64(bytes.count))
        let flags = fcntl(descriptor, F_GETFL)
        #expect(flags & O_ACCMODE == O_RDONLY, "the passed descriptor is not read-only")
        #expect(fcntl(descriptor, F_GETFD) & FD_CLOEXEC != 0)
        var head = [UInt8](repeating: 0, count: 16)
        #expect(head.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, 16, 0) } == 16)
        #expect(head == Array(bytes.prefix(16)))
        #expect(write(descriptor, head, 1) == -1, "the passed descriptor is writable")
        let again = try setup.sideChannel.exchange(granted.ticket)
        #expect(again.refusal == "ticketUnknown")
        #expect(again.descriptor == nil)
        try await setup.stop()
    }

    /// A peer that is not on the allow-list is refused on the side channel before it is read.
    @Test func disallowedUIDIsRefused() async throws {
        let setup = try await Setup(configure: { $0.allowList = .init(uids: [getuid() &+ 1], gids: []) })
        for _ in 0..<2 {
            let answer = try setup.sideChannel.exchange([UInt8](repeating: 1, count: WireProtocol.ticketLength))
            #expect(answer.refusal == "peerNotAllowed")
            #expect(answer.descriptor == nil)
        }
        try await setup.stop()
    }
}
